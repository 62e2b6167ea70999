/** A minimal valid trajectory for unit tests of code that reads trajectories; fields can be overridden. */
import { TRAJECTORY_SCHEMA, TRAJECTORY_VERSION, type Trajectory } from "../../src/agent/trajectory.ts";

export function fakeTrajectory(overrides: Partial<Trajectory> = {}): Trajectory {
  return {
    schema: TRAJECTORY_SCHEMA,
    version: TRAJECTORY_VERSION,
    createdAt: "2026-01-01T00:00:00.000Z",
    question: "q",
    task: "q",
    engine: { kind: "openai", label: "t", isReplay: false },
    settings: { role: "student", promptPack: "default", maxSteps: 5, n: 1 },
    messages: [],
    steps: [],
    status: "answered",
    answer: "a",
    usage: { promptTokens: 1, completionTokens: 1 },
    durationMs: 1,
    ...overrides,
  };
}
