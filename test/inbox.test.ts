import { sql } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { answer } from "../src/chat.ts";
import { createCore } from "../src/domain/core.ts";
import { createInbox, INBOX_LEASE_MS, type InboxHandler } from "../src/inbox.ts";
import { silentLogger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import type { Clock } from "../src/time.ts";
import { resetDb } from "./support/db.ts";
import { harness, type Harness } from "./support/harness.ts";
import { until } from "./support/wait.ts";

let h: Harness;
// Opening the file's database is the slow part: a hook may take longer than a test.
beforeAll(() => resetDb());
afterEach(async () => {
  await h?.close();
});

/** An inbox on the harness's database, as another instance would have it, with its own clock. */
function instance(now: Clock, leaseMs?: number) {
  return createInbox({ store: h.store, now, log: silentLogger, leaseMs, coreIn: (tx) => createCore({ program: h.program, store: tx, now, baseUrl: "https://steps.test" }) });
}

async function rows() {
  const result = await h.db.db.execute(sql`select key, status, attempts, next_attempt_at from inbox order by id`);
  return ((result as { rows?: unknown[] }).rows ?? result) as { key: string; status: string; attempts: number; next_attempt_at: string }[];
}

describe("the inbox", () => {
  it("records a request once under its key, and works it off once", async () => {
    h = await harness();
    const t = new Date("2026-06-16T17:00:00Z");
    const inbox = instance(() => t);
    const seen: unknown[] = [];
    inbox.register("test", async (job) => void seen.push(job.payload));
    const recorded = await Promise.all([inbox.record("test", "k1", { n: 1 }), inbox.record("test", "k1", { n: 2 })]);
    expect(recorded.sort()).toEqual([false, true]);
    await inbox.idle();
    expect(await inbox.record("test", "k1", { n: 3 })).toBe(false);
    await inbox.idle();
    expect(seen).toHaveLength(1);
    expect((await rows()).map((r) => [r.key, r.status, r.attempts])).toEqual([["k1", "done", 1]]);
  });

  it("takes over a request claimed by an instance that died only once that instance's lease has run out", async () => {
    h = await harness();
    let t = new Date("2026-06-16T17:00:00Z");
    const inbox = instance(() => t);
    await inbox.record("test", "k1", {});
    // The instance that died claimed it and never finished.
    expect(await h.store.inboxClaim(["test"], t, 10, INBOX_LEASE_MS)).toHaveLength(1);
    const seen: string[] = [];
    inbox.register("test", async (job) => void seen.push(job.key));
    t = new Date(t.getTime() + INBOX_LEASE_MS - 1);
    expect(await inbox.drain()).toBe(0);
    t = new Date(t.getTime() + 1);
    expect(await inbox.drain()).toBe(1);
    expect(seen).toEqual(["k1"]);
    expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([["done", 2]]);
  });

  it("renews the lease while a request is worked on, so no other instance takes it over from a live one", async () => {
    h = await harness();
    const leaseMs = 3_000;
    const a = instance(() => new Date(), leaseMs);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    a.register("test", async () => {
      started();
      await gate;
    });
    await a.record("test", "slow", {});
    await running;
    const [claimed] = await rows();
    const firstLease = new Date(claimed!.next_attempt_at).getTime();
    await until("the lease is renewed", async () => new Date((await rows())[0]!.next_attempt_at).getTime() > firstLease);
    const b = instance(() => new Date(), leaseMs);
    const tookOver: string[] = [];
    b.register("test", async (job) => void tookOver.push(job.key));
    expect(await b.drain()).toBe(0);
    release();
    await a.idle();
    expect(tookOver).toEqual([]);
    expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([["done", 1]]);
  });

  it("commits a request's change once when two attempts run it, and the late one answers nothing", async () => {
    h = await harness();
    const ana = await h.person("ana@example.org");
    const replies: string[] = [];
    const handler = (gate: Promise<void>): InboxHandler => async (job) => {
      await gate;
      replies.push(toPlainText(await job.once((core) => answer(core, ana, "log 1h field-hours", silentLogger))));
    };
    // The first instance claims it, then stalls past its lease; a second one takes it over and finishes first.
    let release!: () => void;
    const a = instance(() => new Date());
    a.register("test", handler(new Promise<void>((resolve) => (release = resolve))));
    await a.record("test", "k1", {});
    const b = instance(() => new Date(Date.now() + INBOX_LEASE_MS));
    b.register("test", handler(Promise.resolve()));
    await until("the first instance has claimed it", async () => (await rows())[0]!.status === "working");
    expect(await b.drain()).toBe(1);
    release();
    await a.idle();
    expect(replies).toEqual([expect.stringMatching(/^Recorded 1 h of Field hours \(#1\)/)]);
    expect((await h.store.submissionsOf(ana.id)).map((s) => [s.task, s.units])).toEqual([["field-hours", 60]]);
    expect((await rows()).map((r) => r.status)).toEqual(["done"]);
  });

  it("retries a failed request with backoff, keeps its answer across attempts, and gives up after the last with a log line", async () => {
    h = await harness();
    let t = new Date("2026-06-16T17:00:00Z");
    const logged: string[] = [];
    const log = { ...silentLogger, error: (message: string) => void logged.push(message) };
    const inbox = createInbox({ store: h.store, now: () => t, log, maxAttempts: 3, coreIn: (tx) => createCore({ program: h.program, store: tx, now: () => t, baseUrl: "https://steps.test" }) });
    const ana = await h.person("ana@example.org");
    const answers: string[] = [];
    inbox.register("test", async (job) => {
      answers.push(toPlainText(await job.once((core) => answer(core, ana, "log 1h field-hours", silentLogger))));
      throw new Error("response_url answered 500");
    });
    await inbox.record("test", "k1", {});
    await inbox.idle();
    for (const waitMs of [2_000, 4_000]) {
      t = new Date(t.getTime() + waitMs - 1);
      expect(await inbox.drain()).toBe(0);
      t = new Date(t.getTime() + 1);
      expect(await inbox.drain()).toBe(1);
    }
    expect(answers).toHaveLength(3);
    expect(new Set(answers).size).toBe(1);
    expect(await h.store.submissionsOf(ana.id)).toHaveLength(1);
    expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([["failed", 3]]);
    expect(logged).toEqual(["inbox request failed for good"]);
  });
});
