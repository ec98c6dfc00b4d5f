import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { outbox } from "../db/schema.ts";
import { createDispatcher, DISPATCH_CONCURRENCY } from "../src/delivery/dispatcher.ts";
import { DeliveryError, type Transport } from "../src/delivery/transport.ts";
import { silentLogger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import { recordingTransport, type Sent } from "./support/harness.ts";
import { scheduleHarness, scheduleProgram } from "./support/schedule.ts";

let h: Awaited<ReturnType<typeof scheduleHarness>>;
let server: Server | undefined;
afterEach(async () => {
  await h?.dispatcher.idle();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const program = () => scheduleProgram({ events: { dated: [{ slug: "visit", title: "Site visit", at: "2026-06-25 10:00", reminders: ["1h"], audience: "interns" }] } });
const DUE = "2026-06-25T16:00:00.000Z";

/** A fake chat API: the first post for each user gets 429 with Retry-After, later ones 200. */
async function fakeApi(retryAfterSeconds: number) {
  const calls: { user: string; at: number; status: number }[] = [];
  const seen = new Set<string>();
  server = createServer((req, res) => {
    const user = new URL(req.url!, "http://x").searchParams.get("user")!;
    const status = seen.has(user) ? 200 : 429;
    seen.add(user);
    calls.push({ user, at: Number(req.headers["x-now"]), status });
    res.writeHead(status, status === 429 ? { "retry-after": String(retryAfterSeconds) } : {});
    res.end(status === 200 ? '{"ok":true}' : '{"ok":false,"error":"ratelimited"}');
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  return { calls, url };
}

/** What a platform transport does with a 429: hand the server's Retry-After to the dispatcher. */
function httpTransport(url: string, now: () => Date, delivered: string[]): Transport {
  return {
    platform: "test",
    reachesEveryone: true,
    async sendToPerson(person) {
      const res = await fetch(`${url}/post?user=${encodeURIComponent(person.email)}`, { method: "POST", headers: { "x-now": String(now().getTime()) } });
      if (res.status === 429) throw new DeliveryError("rate limited", { retryAfterMs: Number(res.headers.get("retry-after")) * 1000 });
      delivered.push(person.email);
      return { platform: "test", user: person.email };
    },
    async sendToChannel() {
      return null;
    },
    async update() {},
  };
}

async function addInterns(n: number) {
  await h.store.upsertPeople(Array.from({ length: n }, (_, i) => ({ email: `extra${i}@example.org`, name: `Extra ${i}`, role: "intern" as const, department: "fire", mentorEmail: null })));
}

describe("delivery of reminders", () => {
  it("respects a platform's 429 Retry-After: nothing before it, delivered once after", async () => {
    const delivered: string[] = [];
    const api = await fakeApi(30);
    h = await scheduleHarness(program(), { transport: httpTransport(api.url, () => h.now(), delivered) });
    h.setTime(DUE);
    await h.runDue(h.now());
    await h.dispatcher.drain();
    expect(api.calls.map((c) => c.status)).toEqual([429, 429, 429]);
    h.setTime(new Date(Date.parse(DUE) + 29_000).toISOString());
    expect(await h.dispatcher.drain()).toBe(0);
    expect(api.calls).toHaveLength(3);
    h.setTime(new Date(Date.parse(DUE) + 30_000).toISOString());
    expect(await h.dispatcher.drain()).toBe(3);
    expect(delivered.sort()).toEqual(["ana@example.org", "ben@example.org", "cal@example.org"]);
    // Every retry came no earlier than Retry-After.
    for (const ok of api.calls.filter((c) => c.status === 200)) {
      const first = api.calls.find((c) => c.user === ok.user && c.status === 429)!;
      expect(ok.at - first.at).toBeGreaterThanOrEqual(30_000);
    }
    const rows = await h.db.db.select({ status: outbox.status, attempts: outbox.attempts }).from(outbox);
    expect(rows).toEqual(Array(3).fill({ status: "sent", attempts: 2 }));
  });

  it("a process killed in the middle of a fan-out: the next one finishes it, nobody twice, nobody missed", async () => {
    h = await scheduleHarness(program());
    await addInterns(60);
    await h.runDue(new Date(DUE));
    // The first process sends 17 messages, then hangs forever mid-send, as a killed process would.
    const sent: Sent[] = [];
    const recorder = recordingTransport(sent);
    let budget = 17;
    // Each of the dispatcher's workers marks a message sent before it takes the next: once all of them hang, the 17 are recorded.
    let hanging = 0;
    let allHang!: () => void;
    const frozen = new Promise<void>((resolve) => (allHang = resolve));
    const hang = () => (++hanging === DISPATCH_CONCURRENCY && allHang(), new Promise<never>(() => {}));
    const dying: Transport = { ...recorder, sendToPerson: (p, i, m) => (budget-- > 0 ? recorder.sendToPerson(p, i, m) : hang()) };
    let clock = new Date(DUE);
    const first = createDispatcher({ store: h.store, now: () => clock, log: silentLogger, leaseMs: 60_000 });
    first.register(dying);
    void first.drain();
    await frozen;
    // Killed with its 17 deliveries recorded: a message sent but never recorded would be sent again,
    // which no chat platform's API lets us rule out (none takes an idempotency key).
    const recorded = (await h.db.db.select({ status: outbox.status }).from(outbox)).filter((r) => r.status === "sent");
    expect([sent.length, recorded.length]).toEqual([17, 17]);
    // The next process (or another instance) starts after the lease of the dead one's claims ran out.
    clock = new Date(Date.parse(DUE) + 61_000);
    const next = createDispatcher({ store: h.store, now: () => clock, log: silentLogger });
    next.register(recorder);
    await next.drain();
    const recipients = sent.map((s) => s.to);
    expect(recipients).toHaveLength(63);
    expect(new Set(recipients).size).toBe(63);
    expect(sent.every((s) => toPlainText(s.message).startsWith("Reminder: Site visit"))).toBe(true);
    const statuses = await h.db.db.select({ status: outbox.status }).from(outbox);
    expect(statuses.every((r) => r.status === "sent")).toBe(true);
  });

  it("a transport that throws after k sends: the retry sends only the rest", async () => {
    h = await scheduleHarness(program());
    await addInterns(20);
    await h.runDue(new Date(DUE));
    const sent: Sent[] = [];
    const recorder = recordingTransport(sent);
    let budget = 9;
    const flaky: Transport = { ...recorder, sendToPerson: async (p, i, m) => { if (budget-- <= 0) throw new Error("socket hang up"); return recorder.sendToPerson(p, i, m); } };
    let clock = new Date(DUE);
    const dispatcher = createDispatcher({ store: h.store, now: () => clock, log: silentLogger });
    dispatcher.register(flaky);
    await dispatcher.drain();
    expect(sent).toHaveLength(9);
    budget = Infinity;
    clock = new Date(Date.parse(DUE) + 2_000); // the dispatcher's own backoff after one attempt
    await dispatcher.drain();
    expect(sent.map((s) => s.to).sort()).toEqual([...new Set(sent.map((s) => s.to))].sort());
    expect(sent).toHaveLength(23);
  });
});
