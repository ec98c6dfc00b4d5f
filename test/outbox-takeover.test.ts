import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { webApi } from "@slack/bolt";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { readSlackVars, slackClientOptions } from "../adapters/slack/settings.ts";
import { HISTORY_WINDOW, OUTBOX_EVENT, slackTransport } from "../adapters/slack/transport.ts";
import { OUTBOX_BEAT_MS } from "../app/server.ts";
import { createDispatcher, DISPATCH_CONCURRENCY, OUTBOX_LEASE_MS } from "../src/delivery/dispatcher.ts";
import type { Transport } from "../src/delivery/transport.ts";
import { silentLogger } from "../src/log.ts";
import type { Message } from "../src/messages.ts";
import type { OutboxItem } from "../src/store.ts";
import { startFakeSlack, type FakeSlack } from "./support/fake-slack.ts";
import { resetDb } from "./support/db.ts";
import { harness, recordingTransport, type Harness, type Sent } from "./support/harness.ts";
import type { ChildSettings, StoreAnswer, StoreCall } from "./support/outbox-child.ts";
import { testProgram } from "./support/program.ts";
import { until } from "./support/wait.ts";

// Starting the database can take long on a busy machine: not in a test's time.
beforeAll(() => resetDb());

let h: Harness;
let fake: FakeSlack | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
  await fake?.close();
  fake = undefined;
  await h?.close();
});

const reminder: Message = { text: "Reminder: STEPS lunch-and-learn", blocks: [{ type: "text", text: "Reminder: STEPS lunch-and-learn" }] };

/** The outbox as it stands, every row. */
async function outbox(): Promise<OutboxItem[]> {
  return (await h.db.db.query.outbox.findMany({ orderBy: (o, { asc }) => [asc(o.id)] })) as OutboxItem[];
}

describe("outbox leases", () => {
  it("lets another instance take over within 15 s of a crash: the lease and the beat add up to at most that", () => {
    expect(OUTBOX_BEAT_MS).toBeLessThanOrEqual(OUTBOX_LEASE_MS);
    expect(OUTBOX_LEASE_MS + OUTBOX_BEAT_MS).toBeLessThanOrEqual(15_000);
  });

  it("keeps its claims while a slow platform takes longer than a lease: no other instance sends them again", async () => {
    h = await harness();
    const [ana, ben] = await h.store.peopleByRole("intern");
    await h.store.enqueue([ana!, ben!].map((p) => ({ key: `t:${p.id}`, recipient: `person:${p.id}` as const, payload: { message: reminder } })));
    const leaseMs = 1_000;
    let answer!: () => void;
    const slack = new Promise<void>((resolve) => (answer = resolve));
    const started: string[] = [];
    const slow: Transport = {
      platform: "test",
      reachesEveryone: true,
      async sendToPerson(person) {
        started.push(person.email);
        await slack;
        return { platform: "test" };
      },
      sendToChannel: async () => null,
      update: async () => {},
    };
    const first = createDispatcher({ store: h.store, now: () => new Date(), log: silentLogger, leaseMs });
    first.register(slow);
    const claimedAt = Date.now();
    const sending = first.drain();
    await until("both sends started", () => started.length === 2);
    // Long past the lease the claims would have had without renewal.
    await until("two leases passed", () => Date.now() > claimedAt + 2 * leaseMs);
    const sent: Sent[] = [];
    const second = createDispatcher({ store: h.store, now: () => new Date(), log: silentLogger, leaseMs });
    second.register(recordingTransport(sent));
    expect(await second.drain()).toBe(0);
    answer();
    expect(await sending).toBe(2);
    expect(await second.drain()).toBe(0);
    expect(sent).toEqual([]);
  });

  it("lets only the latest claim settle an item: a process whose lease ran out cannot undo the takeover", async () => {
    h = await harness();
    const [ana] = await h.store.peopleByRole("intern");
    await h.store.enqueue([{ key: "t:one", recipient: `person:${ana!.id}`, payload: { message: reminder } }]);
    const [stale] = await h.store.claimDue(new Date("2026-06-16T17:00:00Z"), 10, 0);
    expect(stale).toMatchObject({ claims: 1, attempts: 1, resumed: false });
    // Its lease is over at once: the next claim is a takeover.
    const [current] = await h.store.claimDue(new Date("2026-06-16T17:00:01Z"), 10, 60_000);
    expect(current).toMatchObject({ claims: 2, attempts: 2, resumed: true });
    await h.store.markRetry(stale!, "timed out", new Date(0));
    await h.store.markFailed(stale!, "timed out");
    await h.store.renewLeases([stale!], new Date("2030-01-01T00:00:00Z"));
    expect((await outbox())[0]).toMatchObject({ status: "sending", nextAttemptAt: new Date("2026-06-16T17:01:01Z"), lastError: null });
    await h.store.markSent([{ id: stale!.id, claims: stale!.claims, delivered: [], at: new Date() }]);
    expect((await outbox())[0]!.status).toBe("sending");
    await h.store.markSent([{ id: current!.id, claims: current!.claims, delivered: [{ platform: "test" }], at: new Date() }]);
    expect((await outbox())[0]).toMatchObject({ status: "sent", delivered: [{ platform: "test" }] });
  });
});

describe("a crash mid fan-out (300 interns, a slow Slack)", () => {
  const interns = 300;
  const leaseMs = 1_000;
  /** Posts Slack answers before it stops answering: the first batch of 50 and part of the second. */
  const answered = 60;

  /**
   * A dispatcher in a child process sends a reminder to 300 interns; Slack
   * accepts post 61 onwards but never answers, so when the child is killed
   * its eight sends in flight have arrived and are not marked sent. A second
   * dispatcher, beating like a server, then finishes the job.
   */
  async function crashMidFanOut(dedupHistory: boolean) {
    h = await harness();
    fake = await startFakeSlack({ latencyMs: { "chat.postMessage": 20 } });
    await h.store.upsertPeople(Array.from({ length: interns }, (_, i) => ({ email: `intern${i}@example.org`, name: `Intern ${i}`, role: "intern" as const, department: "fire", mentorEmail: null })));
    const people = (await h.store.peopleByRole("intern")).filter((p) => p.email.startsWith("intern"));
    // They use Steps on Slack: each has a DM channel with the bot.
    await Promise.all(people.map((p) => h.store.saveIdentity({ platform: "slack", platformUserId: `U${p.id}`, personId: p.id, address: { channel: `D${p.id}` } })));
    await h.store.enqueue(people.map((p) => ({ key: `reminder:crash:person:${p.id}`, recipient: `person:${p.id}` as const, payload: { message: reminder } })));
    fake.hold("chat.postMessage", answered);

    const settings: ChildSettings = { apiUrl: fake.apiUrl, leaseMs, dedupHistory };
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./support/outbox-child.ts", import.meta.url))], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
      env: { ...process.env, OUTBOX_CHILD: JSON.stringify(settings) },
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    cleanups.push(async () => {
      child.kill("SIGKILL");
      await exited;
    });
    // The child's database is ours, over IPC: every store call it makes is run here.
    child.on("message", (call: StoreCall) => {
      const method = h.store[call.method] as (...args: unknown[]) => Promise<unknown>;
      void method(...call.args).then(
        (result) => ({ id: call.id, result }),
        (error: unknown) => ({ id: call.id, error: String(error) }),
      ).then((answer: StoreAnswer) => child.connected && child.send(answer, () => {}));
    });
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    await until(() => `eight posts are in flight: ${fake!.of("chat.postMessage").length} posted, ${fake!.held("chat.postMessage")} held`, () => fake!.held("chat.postMessage") === DISPATCH_CONCURRENCY || exitedEarly, 90_000);
    expect(exitedEarly, stderr).toBe(false);

    child.kill("SIGKILL");
    await exited;
    const killedAt = Date.now();
    const inFlight = fake.of("chat.postMessage").slice(answered);
    expect(inFlight).toHaveLength(DISPATCH_CONCURRENCY);
    const left = (await outbox()).filter((r) => r.status === "sending");
    // The rest of the child's second batch, in flight or not begun; the leases run out within one of the crash.
    expect(left).toHaveLength(100 - answered);
    for (const row of left) expect(row.nextAttemptAt.getTime()).toBeLessThanOrEqual(killedAt + leaseMs);

    fake.answerHeld();
    const client = new webApi.WebClient("xoxb-test", slackClientOptions(readSlackVars({ SLACK_API_URL: fake.apiUrl })));
    const second = createDispatcher({ store: h.store, now: () => new Date(), log: silentLogger, leaseMs });
    second.register(slackTransport({ client, store: h.store, program: testProgram(), log: silentLogger, dedupHistory }));
    // As a server does: a beat no longer than the lease.
    const beat = setInterval(() => void second.kick(), leaseMs / 2);
    cleanups.push(() => clearInterval(beat));
    await until("every reminder is marked sent", async () => (await outbox()).filter((r) => r.status === "sent").length === interns, 60_000);
    clearInterval(beat);
    await second.idle();

    const postsTo = new Map<unknown, number>();
    for (const post of fake.of("chat.postMessage")) postsTo.set(post.body.channel, (postsTo.get(post.body.channel) ?? 0) + 1);
    expect(postsTo.size).toBe(interns);
    const twice = [...postsTo].filter(([, n]) => n > 1).map(([channel]) => channel);
    return { inFlight, twice, history: fake.of("conversations.history"), rows: await outbox() };
  }

  it("with SLACK_DEDUP_HISTORY, finds the posts the dead process made and sends nobody anything twice", { timeout: 120_000 }, async () => {
    const { inFlight, twice, history, rows } = await crashMidFanOut(true);
    expect(twice).toEqual([]);
    // One look per message the dead process had claimed and not finished, in that person's DM, since it was queued.
    expect(history).toHaveLength(100 - answered);
    expect(history[0]!.body).toMatchObject({ include_all_metadata: "true", limit: String(HISTORY_WINDOW) });
    // What it had posted is recorded where it landed, so it can be edited later.
    for (const post of inFlight) {
      const row = rows.find((r) => r.delivered?.[0]?.channel === post.body.channel);
      expect(row?.delivered).toEqual([{ platform: "slack", channel: post.body.channel, ts: post.response.ts }]);
      // Only the outbox id travels with the message.
      expect(post.body.metadata).toEqual({ event_type: OUTBOX_EVENT, event_payload: { outbox: String(row!.id) } });
    }
  });

  it("without it, sends again only what was in flight when the process died", { timeout: 120_000 }, async () => {
    const { inFlight, twice, history } = await crashMidFanOut(false);
    expect(twice.sort()).toEqual(inFlight.map((p) => p.body.channel).sort());
    expect(twice.length).toBeLessThanOrEqual(DISPATCH_CONCURRENCY);
    expect(history).toEqual([]);
    for (const post of inFlight) expect(post.body.metadata).toBeUndefined();
  });
});
