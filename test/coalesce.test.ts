import { describe, expect, it } from "vitest";
import { coalesce } from "../src/delivery/coalesce.ts";

/** A flush that records its batches and finishes when told to. */
function controlledFlush() {
  const batches: number[][] = [];
  const finish: (() => void)[] = [];
  const fail: ((e: Error) => void)[] = [];
  const flush = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push(items);
      finish.push(resolve);
      fail.push(reject);
    });
  return { batches, finish, fail, flush };
}

describe("coalesce", () => {
  it("sends a lone call at once, and the calls made meanwhile together in the next batch", async () => {
    const c = controlledFlush();
    const call = coalesce(c.flush);
    const first = call(1);
    expect(c.batches).toEqual([[1]]);
    const rest = [call(2), call(3), call(4)];
    expect(c.batches).toEqual([[1]]);
    c.finish[0]!();
    await first;
    expect(c.batches).toEqual([[1], [2, 3, 4]]);
    c.finish[1]!();
    await Promise.all(rest);
    // Idle again: the next call does not wait for anything.
    void call(5);
    expect(c.batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it("fails only the calls of the batch that failed", async () => {
    const c = controlledFlush();
    const call = coalesce(c.flush);
    const first = call(1);
    const second = call(2);
    c.fail[0]!(new Error("database down"));
    await expect(first).rejects.toThrow("database down");
    await new Promise((r) => setImmediate(r));
    expect(c.batches).toEqual([[1], [2]]);
    c.finish[1]!();
    await expect(second).resolves.toBeUndefined();
  });
});
