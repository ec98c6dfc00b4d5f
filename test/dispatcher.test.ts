import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { outbox } from "../db/schema.ts";
import { createDispatcher, OUTBOX_LEASE_MS } from "../src/delivery/dispatcher.ts";
import { DeliveryError, type Transport } from "../src/delivery/transport.ts";
import { silentLogger } from "../src/log.ts";
import type { Message } from "../src/messages.ts";
import type { SentMark } from "../src/store.ts";
import { resetDb } from "./support/db.ts";
import { harness, recordingTransport, type Harness, type Sent } from "./support/harness.ts";

// Starting the database can take long on a busy machine: not in a test's time.
beforeAll(() => resetDb());

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const message = (text: string): Message => ({ text, blocks: [{ type: "text", text }] });

/** Answers after a random pause, so sends finish out of the order they started in. */
function jitteryTransport(log: string[], fail: (text: string) => boolean = () => false): Transport {
  return {
    platform: "jittery",
    reachesEveryone: true,
    async sendToPerson(person, _identity, m) {
      await new Promise((r) => setTimeout(r, Math.random() * 15));
      if (fail(m.text)) throw new DeliveryError("no such user", { permanent: true });
      log.push(`${person.email} ${m.text}`);
      return { platform: "jittery" };
    },
    async sendToChannel() {
      return null;
    },
    async update() {},
  };
}

describe("dispatcher", () => {
  it("keeps each person's messages in order while sending to many people at once", async () => {
    h = await harness();
    const people = await h.store.peopleByRole("intern");
    await h.store.enqueue(people.flatMap((p) => [1, 2, 3].map((n) => ({ key: `t:${p.id}:${n}`, recipient: `person:${p.id}` as const, payload: { message: message(`m${n}`) } }))));
    const log: string[] = [];
    const dispatcher = createDispatcher({ store: h.store, now: () => new Date("2026-06-16T17:00:00Z"), log: silentLogger });
    dispatcher.register(jitteryTransport(log));
    expect(await dispatcher.drain()).toBe(people.length * 3);
    for (const p of people) {
      expect(log.filter((l) => l.startsWith(`${p.email} `))).toEqual([`${p.email} m1`, `${p.email} m2`, `${p.email} m3`]);
    }
  });

  it("marks messages that finish together as sent in one statement", async () => {
    h = await harness();
    const people = await h.store.peopleByRole("intern");
    await h.store.enqueue(people.map((p) => ({ key: `t:${p.id}`, recipient: `person:${p.id}` as const, payload: { message: message("hi") } })));
    // Known on the platform already, so no send waits on a lookup of its own.
    for (const p of people) await h.store.saveIdentity({ platform: "jittery", platformUserId: `u${p.id}`, personId: p.id, address: {} });
    const batches: number[] = [];
    const store = { ...h.store, markSent: (marks: SentMark[]) => (batches.push(marks.length), h.store.markSent(marks)) };
    const dispatcher = createDispatcher({ store, now: () => new Date("2026-06-16T17:00:00Z"), log: silentLogger });
    // Every send answers at once, so the sends in flight finish in the same moment.
    dispatcher.register({ ...jitteryTransport([]), sendToPerson: async () => ({ platform: "jittery", channel: "D1" }) });
    expect(await dispatcher.drain()).toBe(people.length);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(people.length);
    expect(batches.length).toBeLessThan(people.length);
    expect(await h.store.deliveredUnder("t:")).toEqual(people.map(() => ({ platform: "jittery", channel: "D1" })));
    expect(await h.store.claimDue(new Date("2026-06-16T18:00:00Z"), 100, 60_000)).toEqual([]);
  });

  it("does not send again a message that went out when who its recipient is cannot be read back", async () => {
    h = await harness();
    const [ana] = await h.store.peopleByRole("intern");
    await h.store.enqueue([{ key: "t:once", recipient: `person:${ana!.id}`, payload: { message: message("once") } }]);
    let reads = 0;
    // The batch's own lookup works; the one after the first send fails, as when the database goes away.
    const store = { ...h.store, identitiesOf: (ids: number[]) => (reads++ === 0 ? h.store.identitiesOf(ids) : Promise.reject(new Error("connection lost"))) };
    const log: string[] = [];
    const dispatcher = createDispatcher({ store, now: () => new Date("2026-06-16T17:00:00Z"), log: silentLogger });
    dispatcher.register(jitteryTransport(log));
    await dispatcher.drain();
    expect(reads).toBe(2);
    expect(log).toEqual([`${ana!.email} once`]);
    expect(await h.store.deliveredUnder("t:once")).toEqual([{ platform: "jittery" }]);
  });

  it("marks a message that can never arrive as failed and still sends the rest", async () => {
    h = await harness();
    const [a, b] = await h.store.peopleByRole("intern");
    await h.store.enqueue([
      { key: "t:bad", recipient: `person:${a!.id}`, payload: { message: message("bad") } },
      { key: "t:good", recipient: `person:${b!.id}`, payload: { message: message("good") } },
    ]);
    const log: string[] = [];
    const dispatcher = createDispatcher({ store: h.store, now: () => new Date("2026-06-16T17:00:00Z"), log: silentLogger });
    dispatcher.register(jitteryTransport(log, (text) => text === "bad"));
    await dispatcher.drain();
    expect(log).toEqual([`${b!.email} good`]);
    const failed = (await h.store.digestRows(new Date(0))).failedDeliveries;
    expect(failed.map((f) => [f.key, f.lastError])).toEqual([["t:bad", "no such user"]]);
  });

  it("leaves the outbox untouched while no platform is registered, as in `run-due` before its adapters start", async () => {
    h = await harness();
    const [ana, ben] = await h.store.peopleByRole("intern");
    await h.store.enqueue([ana!, ben!].map((p) => ({ key: `t:${p.id}`, recipient: `person:${p.id}` as const, payload: { message: message("hi") } })));
    const dispatcher = createDispatcher({ store: h.store, now: () => new Date("2026-06-16T17:00:00Z"), log: silentLogger });
    expect(await dispatcher.drain()).toBe(0);
    const untouched = await h.store.claimDue(new Date("2026-06-16T17:00:00Z"), 10, 0);
    expect(untouched.map((i) => [i.key, i.attempts, i.resumed, i.lastError])).toEqual([
      [`t:${ana!.id}`, 1, false, null],
      [`t:${ben!.id}`, 1, false, null],
    ]);
  });

  it("leaves a message for someone who uses Steps only elsewhere to an instance with that platform, and never to a stand-in", async () => {
    h = await harness();
    const [ana, ben] = await h.store.peopleByRole("intern");
    // Ana talks to Steps on Slack; Ben never wrote to it.
    await h.store.saveIdentity({ platform: "slack", platformUserId: "U0ANA", personId: ana!.id, address: {} });
    await h.store.enqueue([ana!, ben!].map((p) => ({ key: `t:${p.id}`, recipient: `person:${p.id}` as const, payload: { message: message("hi") } })));
    const at = new Date("2026-06-16T17:00:00Z");
    // This instance runs Teams and a console that prints what it would send to anyone (`steps as`).
    const printed: Sent[] = [];
    const here = createDispatcher({ store: h.store, now: () => at, log: silentLogger });
    const teams: Transport = { ...jitteryTransport([]), platform: "teams", reachesEveryone: false };
    here.register(teams);
    here.register({ ...recordingTransport(printed), platform: "console" });
    expect(await here.drain()).toBe(2);
    expect(printed.map((s) => s.to)).toEqual([ben!.email]);
    const [waiting] = await h.store.claimDue(new Date(at.getTime() + OUTBOX_LEASE_MS), 10, 0);
    expect(waiting).toMatchObject({ key: `t:${ana!.id}`, attempts: 1, lastError: `${ana!.email} uses Steps on slack, which the instance that tried does not run` });
    await h.store.release(waiting!, waiting!.lastError!, new Date(0));

    // An instance with Slack sends it.
    const log: string[] = [];
    const withSlack = createDispatcher({ store: h.store, now: () => at, log: silentLogger });
    withSlack.register({ ...jitteryTransport(log), platform: "slack" });
    expect(await withSlack.drain()).toBe(1);
    expect(log).toEqual([`${ana!.email} hi`]);
    expect((await h.store.digestRows(new Date(0))).failedDeliveries).toEqual([]);
  });
  it("runs a job: item with the handler of its kind, retries it up to that handler's own limit, then lists it failed with its reason", async () => {
    h = await harness();
    let at = new Date("2026-06-16T17:00:00Z");
    const dispatcher = createDispatcher({ store: h.store, now: () => at, log: silentLogger });
    dispatcher.register(recordingTransport([]));
    const seen: unknown[] = [];
    dispatcher.registerJob("svc", {
      maxAttempts: 2,
      async run(job) {
        seen.push(job);
        throw new DeliveryError("the service is down");
      },
    });
    await h.store.enqueue([{ key: "svc:1", recipient: "job:svc", payload: { job: { n: 1 } } }]);
    await dispatcher.drain();
    expect((await h.store.digestRows(new Date(0))).failedDeliveries).toEqual([]);
    at = new Date(at.getTime() + 60 * 60_000);
    await dispatcher.drain();
    expect(seen).toEqual([{ n: 1 }, { n: 1 }]);
    expect((await h.store.digestRows(new Date(0))).failedDeliveries).toMatchObject([{ key: "svc:1", recipient: "job:svc", attempts: 2, lastError: "the service is down" }]);
  });

  it("leaves a job no handler here runs for an instance that runs it, never failing it", async () => {
    h = await harness();
    const dispatcher = createDispatcher({ store: h.store, now: () => new Date("2026-06-16T17:00:00Z"), log: silentLogger });
    dispatcher.register(recordingTransport([]));
    await h.store.enqueue([{ key: "svc:2", recipient: "job:svc", payload: { job: {} } }]);
    await dispatcher.drain();
    const [row] = await h.db.db.select({ status: outbox.status, attempts: outbox.attempts, lastError: outbox.lastError }).from(outbox).where(eq(outbox.key, "svc:2"));
    expect(row).toEqual({ status: "queued", attempts: 0, lastError: "no handler for job:svc here" });
  });
});
