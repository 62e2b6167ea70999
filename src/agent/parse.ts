/**
 * Turning a completion into thought + code, tolerant of what small models write. Never throws:
 * a completion without usable code comes back as { code: null } and becomes an error observation.
 */
import { cutAtStop } from "../llm/stop.ts";

/** The reference's stop sequences; engines stop on them, and the parser cuts at them again in case one did not. */
export const STOP_SEQUENCES = ["<end_code>", "Observation:", "Calling tools:"] as const;

export interface ParsedStep {
  /** Text before the first code block (the model's thought), trimmed. */
  thought: string;
  /** Python to run, or null when the completion holds no code at all. */
  code: string | null;
  /**
   * True when no fence was found and the whole text is offered as code, as the reference does when the
   * text parses as Python; the executor's SyntaxError then turns it into a parse error.
   */
  unfenced: boolean;
  /** What the parser repaired, for the trace (e.g. "unclosed fence", "final_answer used as a variable"). */
  repairs: string[];
}

// An opening fence: three backticks, optional py/python tag, optional spaces, newline.
const FENCE_OPEN = /```(?:py|python)?[ \t]*\r?\n/g;
const FENCE_CLOSE = /\r?\n[ \t]*```/;

/**
 * The assistant text stored in memory and sent back on later calls: cut at a stop sequence the engine
 * ran past, trimmed, and with `<end_code>`
 * appended when it ends with a closing fence (the reference nudges the model to keep that ending).
 */
export function assistantText(completion: string): string {
  const trimmed = cutAtStop(completion, STOP_SEQUENCES).trim();
  return trimmed.endsWith("```") ? `${trimmed}<end_code>` : trimmed;
}

export function parseStep(completion: string): ParsedStep {
  const repairs: string[] = [];
  const text = cutAtStop(completion, STOP_SEQUENCES);
  if (text.length < completion.length) repairs.push("text after a stop sequence dropped");

  const blocks: string[] = [];
  let thoughtEnd = -1;
  let cursor = 0;
  for (;;) {
    FENCE_OPEN.lastIndex = cursor;
    const open = FENCE_OPEN.exec(text);
    if (!open) break;
    if (thoughtEnd === -1) thoughtEnd = open.index;
    const bodyStart = open.index + open[0].length;
    const rest = text.slice(bodyStart);
    const close = FENCE_CLOSE.exec(rest);
    if (close) {
      blocks.push(rest.slice(0, close.index));
      cursor = bodyStart + close.index + close[0].length;
    } else {
      // The last fence was never closed (length limit, or `<end_code>` written without the fence).
      blocks.push(rest);
      repairs.push("unclosed code fence");
      break;
    }
  }

  const nonEmpty = blocks.map((b) => b.trim()).filter((b) => b.length > 0);
  if (nonEmpty.length > 0) {
    if (nonEmpty.length > 1) repairs.push(`${nonEmpty.length} code blocks joined`);
    const code = fixFinalAnswerVariable(nonEmpty.join("\n\n"), repairs);
    return { thought: text.slice(0, thoughtEnd).trim(), code, unfenced: false, repairs };
  }

  const whole = text.trim();
  if (whole.length === 0) return { thought: "", code: null, unfenced: false, repairs };
  if (!couldBePython(whole)) return { thought: whole, code: null, unfenced: false, repairs };
  return { thought: "", code: fixFinalAnswerVariable(whole, repairs), unfenced: true, repairs };
}

/**
 * A cheap filter before asking Python: prose with a "Thought:" label followed by sentences, or with
 * sentence punctuation and no code-like characters, is not worth a round trip to the executor.
 * Anything it lets through is checked by the real Python parser in the executor.
 */
function couldBePython(text: string): boolean {
  if (text.includes("```")) return false;
  const firstLine = text.split("\n", 1)[0] ?? "";
  if (/^(Thought|Thoughts|Answer|Final Answer)\s*:\s*\S+\s+\S+/i.test(firstLine)) return false;
  return true;
}

/**
 * Small models sometimes assign to `final_answer` and call it in the same action; the reference renames
 * the variable so the call still reaches the tool. Left alone when the action does not call it.
 */
export function fixFinalAnswerVariable(code: string, repairs: string[] = []): string {
  const assignment = /(?<![.\w])final_answer(\s*)=(?!=)/;
  if (!code.includes("final_answer(") || !assignment.test(code)) return code;
  repairs.push("final_answer used as a variable renamed to final_answer_variable");
  return code
    .replace(/(?<![.\w])final_answer(\s*)=(?!=)/g, "final_answer_variable$1=")
    .replace(/(?<![.\w])final_answer\b(?!\s*\()/g, "final_answer_variable");
}
