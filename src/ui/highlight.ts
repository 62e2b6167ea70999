/**
 * Python syntax highlighting for the trace's code, with highlight.js (its core and the python grammar
 * only). It is imported on first use, not with the page: the code shows at once as plain text and gains
 * its colours when the chunk arrives, so the initial load carries none of it.
 *
 * highlight.js returns HTML. It escapes the code it is given, and this module still checks what comes
 * back before using it: only <span class="..."> elements, whose text is exactly the code. Anything else
 * keeps the plain text, so a model's code can never become markup in the page.
 */

type Highlighter = (code: string) => string;

let loading: Promise<Highlighter> | undefined;

function highlighter(): Promise<Highlighter> {
  loading ??= Promise.all([
    import("highlight.js/lib/core"),
    import("highlight.js/lib/languages/python"),
  ]).then(([core, python]) => {
    const hljs = core.default;
    hljs.registerLanguage("python", python.default);
    return (code: string) => hljs.highlight(code, { language: "python", ignoreIllegals: true }).value;
  });
  return loading;
}

/**
 * Shows `code` in `el` as text now, and highlighted once highlight.js has loaded. `el.dataset.highlighted`
 * becomes "python" when the colours are in, or "plain" when they could not be (the text stays).
 */
export function showCode(el: HTMLElement, code: string): void {
  el.textContent = code;
  void highlighter()
    .then((highlight) => {
      const spans = safeSpans(highlight(code), code);
      // The element may have been given other text meanwhile (a new run reuses nothing, but be sure).
      if (!spans || el.textContent !== code) throw new Error("not applied");
      el.replaceChildren(spans);
      el.dataset["highlighted"] = "python";
    })
    .catch(() => {
      el.dataset["highlighted"] = "plain";
    });
}

/** The highlighter's HTML as nodes, if it holds nothing but class-carrying spans around exactly `code`. */
function safeSpans(html: string, code: string): DocumentFragment | undefined {
  const template = document.createElement("template");
  template.innerHTML = html;
  const fragment = template.content;
  for (const el of fragment.querySelectorAll("*")) {
    if (el.tagName !== "SPAN") return undefined;
    for (const attribute of el.getAttributeNames()) if (attribute !== "class") return undefined;
  }
  return fragment.textContent === code ? fragment : undefined;
}
