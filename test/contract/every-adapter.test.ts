import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { adapters } from "../../app/adapters.ts";

/** Adapters that deliver no messages, so have no contract to keep, and why. */
const SENDS_NOTHING: Record<string, string> = {
  badges: "serves the public badge pages; it has no transport",
  credly: "issues badges at Credly through outbox jobs; it has no transport (test/credly.test.ts drives it)",
};

describe("adapter contract", () => {
  it("is run by every adapter in app/adapters.ts that delivers messages", () => {
    const missing = adapters.map((a) => a.name).filter((name) => !(name in SENDS_NOTHING) && !existsSync(`test/contract/${name}.test.ts`));
    // A new platform writes a driver in test/contract/<name>.test.ts, as slack.test.ts does.
    expect(missing).toEqual([]);
  });
});
