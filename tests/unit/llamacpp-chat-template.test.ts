/**
 * The llama.cpp engines render a GGUF's own chat template. For Qwen2.5 (the students' base) the text must
 * equal what transformers' apply_chat_template(messages, add_generation_prompt=True) gives, which is
 * what vLLM sends to the model; the expected strings below follow from reading the template.
 */
import { describe, expect, it } from "vitest";
import { renderChatPrompt } from "../../src/llm/chat-template.ts";
import type { ChatMessage } from "../../src/ports/engine.ts";
import { QWEN25_CHAT_TEMPLATE } from "../support/qwen25-chat-template.ts";

const render = (messages: ChatMessage[]) => renderChatPrompt(QWEN25_CHAT_TEMPLATE, messages);

describe("renderChatPrompt with Qwen2.5's template", () => {
  it("renders a system and a user message as ChatML with the generation prompt", () => {
    expect(
      render([
        { role: "system", content: "You are an expert assistant." },
        { role: "user", content: "New task:\nWhat is 2+2?" },
      ]),
    ).toBe(
      "<|im_start|>system\nYou are an expert assistant.<|im_end|>\n" +
        "<|im_start|>user\nNew task:\nWhat is 2+2?<|im_end|>\n" +
        "<|im_start|>assistant\n",
    );
  });

  it("adds Qwen's default system message when there is none", () => {
    expect(render([{ role: "user", content: "hi" }])).toBe(
      "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    );
  });

  it("renders an agent conversation turn by turn, contents verbatim", () => {
    const code = "Thought: compute.\nCode:\n```py\nprint({'a': 1})\n```<end_code>";
    const observation = "Call id: call_1\nObservation:\nExecution logs:\n{{ not a template }}\n  indented\n";
    expect(
      render([
        { role: "system", content: "S" },
        { role: "user", content: "New task:\nQ" },
        { role: "assistant", content: code },
        { role: "user", content: observation },
      ]),
    ).toBe(
      "<|im_start|>system\nS<|im_end|>\n" +
        "<|im_start|>user\nNew task:\nQ<|im_end|>\n" +
        `<|im_start|>assistant\n${code}<|im_end|>\n` +
        `<|im_start|>user\n${observation}<|im_end|>\n` +
        "<|im_start|>assistant\n",
    );
  });

  it("continues a final assistant message instead of opening a new turn (first-thought prefix)", () => {
    expect(
      render([
        { role: "system", content: "S" },
        { role: "user", content: "Q" },
        { role: "assistant", content: "Thought: I will" },
      ]),
    ).toBe(
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nThought: I will",
    );
  });
});

describe("renderChatPrompt's Jinja conventions", () => {
  it("uses transformers' trim_blocks and lstrip_blocks, not Python Jinja's defaults", () => {
    // With Python Jinja's defaults this would render "  \nA\n  \nB".
    expect(renderChatPrompt("  {% if true %}\nA\n  {% endif %}\nB", [{ role: "user", content: "x" }])).toBe(
      "A\nB",
    );
  });

  it("passes the special-token strings a template refers to", () => {
    const template =
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}";
    expect(
      renderChatPrompt(template, [{ role: "user", content: "hi" }], { bosToken: "<s>", eosToken: "</s>" }),
    ).toBe("<s>[user]hi</s>");
  });

  it("says so when a template does not parse", () => {
    expect(() => renderChatPrompt("{% if %}", [{ role: "user", content: "x" }])).toThrow(/does not parse/);
  });
});
