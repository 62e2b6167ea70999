/**
 * A tiny element builder. Everything the model or a file produced goes in as text (textContent), never
 * as HTML, so a completion cannot inject markup into the page.
 */
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; text?: string; title?: string; data?: Record<string, string> } & Partial<
    Record<"role" | "hidden" | "open", string | boolean>
  > = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.title) el.title = props.title;
  if (props.role && typeof props.role === "string") el.setAttribute("role", props.role);
  if (props.hidden) el.hidden = true;
  if (props.open && el instanceof HTMLDetailsElement) el.open = true;
  for (const [key, value] of Object.entries(props.data ?? {})) el.dataset[key] = value;
  for (const child of children) if (child) el.append(child);
  return el;
}

/** The element with this id, of this type; a missing one is a bug in index.html, said plainly. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`index.html: #${id} is missing or not a ${type.name}`);
  return el;
}
