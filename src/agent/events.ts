/** The event stream of a run: the CLI trace and the page both render from these and nothing else. */
import type { EngineInfo } from "../ports/engine.ts";
import type { CandidateRecord, ExecutionRecord, Thread, Trajectory, VoteRecord } from "./trajectory.ts";

export type AgentEvent =
  | {
      type: "run-start";
      question: string;
      task: string;
      engine: EngineInfo;
      maxSteps: number;
      /** A follow-up's earlier questions and answers, oldest first (absent for a first question). */
      earlier?: Thread["turns"];
    }
  | { type: "step-start"; step: number }
  | { type: "token"; step: number; delta: string }
  | { type: "candidates"; step: number; candidates: CandidateRecord[]; vote: VoteRecord }
  | { type: "action"; step: number; thought: string; code: string | null; repairs: string[] }
  | {
      type: "observation";
      step: number;
      text: string;
      execution?: ExecutionRecord;
      parseError?: string;
    }
  | { type: "final-answer"; answer: unknown; source: "final_answer" | "fallback" }
  | { type: "error"; step?: number; message: string }
  /** The caller cancelled the run (Stop): not an error; the step under way is dropped, nothing is fed back. */
  | { type: "stopped"; step: number }
  | { type: "run-end"; trajectory: Trajectory };

export type AgentEventListener = (event: AgentEvent) => void;
