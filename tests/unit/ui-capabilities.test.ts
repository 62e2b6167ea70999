import { describe, expect, it } from "vitest";
import { describeCapabilities } from "../../src/ui/capabilities.ts";

describe("describeCapabilities", () => {
  it("names what the browser has, free storage included", () => {
    expect(
      describeCapabilities({
        webgpuProblem: undefined,
        crossOriginIsolated: true,
        threads: 8,
        storage: { quota: 2 * 1024 ** 3, usage: 512 * 1024 ** 2 },
      }),
    ).toBe(
      "This browser: WebGPU: yes · cross-origin isolated: yes · CPU threads: 8 · storage for models and shards: 1.5 GiB free of 2.0 GiB.",
    );
  });

  it("says what is missing and what that costs", () => {
    const text = describeCapabilities({
      webgpuProblem: "no adapter",
      crossOriginIsolated: false,
      threads: undefined,
      storage: undefined,
    });
    expect(text).toContain("WebGPU: no");
    expect(text).toContain(
      "cross-origin isolated: no (a runaway action restarts Python instead of stopping)",
    );
    expect(text).toContain("CPU threads: unknown");
    expect(text).toContain("storage: unknown");
  });
});
