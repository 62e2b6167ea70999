/**
 * Follow-up questions: a run that continues an earlier conversation sees its questions, steps and
 * answers. This follows smolagents' `agent.run(task, reset=False)`, which the reference inherits: the
 * memory is kept, the new question is appended as another `New task:` message, step numbers (and so call
 * ids) start again at 1, and the Python namespace is kept. Here the namespace is rebuilt by running the
 * earlier actions that succeeded again before the follow-up's first step, so a follow-up also works on a
 * fresh executor (a reopened run, a reload) and its trajectory stands alone.
 */
import type { ChatMessage } from "../ports/engine.ts";
import { taskMessage } from "./messages.ts";
import type { Thread, Trajectory } from "./trajectory.ts";

/** The conversation a follow-up of `trajectory` continues: the trajectory's own thread plus its run. */
export function threadAfter(trajectory: Trajectory): Thread {
  const earlier = trajectory.thread;
  const messages: ChatMessage[] = [taskMessage(trajectory.task)];
  for (const step of trajectory.steps) {
    // A step's observation is its user messages merged, which is what merging the conversation gives.
    messages.push(
      { role: "assistant", content: step.assistant },
      { role: "user", content: step.observation },
    );
  }
  if (trajectory.fallback) {
    // The reference keeps the budget-exhausted call in memory as it was sent (final_answer's
    // pre-messages, the memory, post-messages) with the reply (memory.py, ActionFinalizeStep).
    messages.push(...trajectory.fallback.messages, {
      role: "assistant",
      content: trajectory.fallback.completion,
    });
  }
  const actions = trajectory.steps.flatMap((step) =>
    step.code !== null && step.execution && !step.execution.error ? [step.code] : [],
  );
  return {
    turns: [
      ...(earlier?.turns ?? []),
      { question: trajectory.question, answer: trajectory.answer, status: trajectory.status },
    ],
    messages: [...(earlier?.messages ?? []), ...messages],
    actions: [...(earlier?.actions ?? []), ...actions],
  };
}
