import { webApi } from "@slack/bolt";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readSlackVars, slackClientOptions } from "../adapters/slack/settings.ts";
import { HISTORY_WINDOW, OUTBOX_EVENT, slackTransport } from "../adapters/slack/transport.ts";
import { OUTBOX_LEASE_MS } from "../src/delivery/dispatcher.ts";
import { DeliveryError } from "../src/delivery/transport.ts";
import { createLogger, silentLogger } from "../src/log.ts";
import type { Message } from "../src/messages.ts";
import { ANNOUNCE, slackStack, users, type SlackStack } from "./support/slack.ts";

let s: SlackStack;
beforeAll(async () => {
  s = await slackStack();
});
beforeEach(() => s.reset());
afterAll(() => s.close());

const hello: Message = { text: "Hello", blocks: [{ type: "text", text: "Hello" }] };

/** A transport whose client reports rate limits instead of waiting them out, to see how they are mapped. */
function strictTransport() {
  const client = new webApi.WebClient("xoxb-test", { slackApiUrl: s.fake.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
  return slackTransport({ client, store: s.steps.store, program: s.steps.program, log: silentLogger });
}

async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe("Slack transport", () => {
  it("posts to the announcements channel from the program file, and has no channel where none is set", async () => {
    const t = strictTransport();
    expect(await t.sendToChannel("announcements", hello)).toEqual({ platform: "slack", channel: ANNOUNCE, ts: expect.any(String) });
    expect(s.fake.of("chat.postMessage")[0]!.body).toMatchObject({ channel: ANNOUNCE, text: "Hello" });
    const { program } = s.steps;
    const without = slackTransport({ client: new webApi.WebClient("xoxb-test", { slackApiUrl: s.fake.apiUrl }), store: s.steps.store, log: silentLogger, program: { ...program, file: { ...program.file, program: { ...program.file.program, channels: { announcements: {}, coordinators: {} } } } } });
    expect(await without.sendToChannel("coordinators", hello)).toBeNull();
  });

  it("posts to the channel of the program a post names, and to the first program's for a program it does not know", async () => {
    const { program } = s.steps;
    const early = { ...program, id: "early-learning", file: { ...program.file, program: { ...program.file.program, channels: { announcements: { slack: "C0EARLY" }, coordinators: {} } } } };
    const t = slackTransport({ client: new webApi.WebClient("xoxb-test", { slackApiUrl: s.fake.apiUrl }), store: s.steps.store, log: silentLogger, program, programs: (id) => (id === early.id ? early : undefined) });
    await t.sendToChannel("announcements", hello, "early-learning");
    await t.sendToChannel("announcements", hello, "gone");
    expect(s.fake.of("chat.postMessage").map((c) => c.body.channel)).toEqual(["C0EARLY", ANNOUNCE]);
    expect(await t.sendToChannel("coordinators", hello, "early-learning")).toBeNull();
  });

  it("maps a rate limit to a retry after Slack's Retry-After, and missing channels or users to permanent failures", async () => {
    const t = strictTransport();
    s.fake.set({ rateLimit: { "chat.postMessage": 0 }, retryAfterSeconds: 7 });
    expect((await failure(t.sendToChannel("announcements", hello))).options).toEqual({ retryAfterMs: 7000 });
    for (const code of ["not_in_channel", "channel_not_found"]) {
      s.fake.set({ failures: { "chat.postMessage": code } });
      expect((await failure(t.sendToChannel("announcements", hello))).options).toEqual({ permanent: true });
    }
    s.fake.set({ failures: { "chat.postMessage": "internal_error" } });
    expect((await failure(t.sendToChannel("announcements", hello))).options).toEqual({ permanent: false });
    s.fake.set({});
    const nobody = { id: 999, program: "", email: "nobody@example.org", name: "Nobody", role: "intern" as const, department: null, mentorId: null, approvers: {}, remindersOff: false, contact: "chat" as const, language: null };
    expect((await failure(t.sendToPerson(nobody, undefined, hello))).options).toEqual({ permanent: true });
    expect((await failure(t.update({ platform: "teams", id: 1 }, hello))).options).toEqual({ permanent: true });
  });

  it("leaves waiting out a rate limit to the Web API client: both messages arrive", async () => {
    s.fake.set({ rateLimit: { "chat.postMessage": 1 }, rateWindowMs: 300, retryAfterSeconds: 1 });
    await s.send.command(users.ana, "done safety-walk");
    await s.send.command(users.ana, "done fleet-tour");
    const posted = await s.waitFor("chat.postMessage", 2, 10_000);
    expect(posted.map((c) => c.body.channel)).toEqual([`D${users.max}`, `D${users.max}`]);
  });

  it("tries a rate-limited post again soon after Retry-After, not seconds later", async () => {
    const client = new webApi.WebClient("xoxb-test", slackClientOptions(readSlackVars({ SLACK_API_URL: s.fake.apiUrl })));
    const t = slackTransport({ client, store: s.steps.store, program: s.steps.program, log: silentLogger });
    s.fake.set({ bucket: { "chat.postMessage": { perSecond: 1 } } });
    await Promise.all([t.sendToChannel("announcements", hello), t.sendToChannel("announcements", hello)]);
    const [first, second] = s.fake.of("chat.postMessage");
    expect(s.fake.rejected("chat.postMessage")).toBe(1);
    // Retry-After: 1 s. The library's default policy would wait another 1–2 s after it.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_000);
    expect(second!.at - first!.at).toBeLessThan(1_900);
  });

  it("looks up someone it never wrote to once, however many messages for them are in a batch", async () => {
    const max = (await s.steps.store.personByEmail("max@example.org"))!;
    await s.steps.store.enqueue([1, 2, 3].map((n) => ({ key: `t:${n}`, recipient: `person:${max.id}` as const, payload: { message: hello } })));
    expect(await s.steps.dispatcher.drain()).toBe(3);
    expect(s.fake.of("users.lookupByEmail")).toHaveLength(1);
    expect(s.fake.of("conversations.open")).toHaveLength(1);
    expect(s.fake.of("chat.postMessage").map((c) => c.body.channel)).toEqual([1, 2, 3].map(() => `D${users.max}`));
  });

  it("keeps a message queued, not failed, when this instance's token is refused", async () => {
    const max = (await s.steps.store.personByEmail("max@example.org"))!;
    await s.steps.store.enqueue([{ key: "t:token", recipient: `person:${max.id}`, payload: { message: hello } }]);
    s.fake.set({ failures: { "users.lookupByEmail": "invalid_auth" } });
    expect(await s.steps.dispatcher.drain()).toBe(1);
    expect((await s.steps.store.digestRows(new Date(0))).failedDeliveries).toEqual([]);
    s.fake.set({});
    const later = new Date(s.steps.now().getTime() + OUTBOX_LEASE_MS);
    const [waiting] = await s.steps.store.claimDue(later, 10, 0);
    expect(waiting).toMatchObject({ key: "t:token", status: "sending", attempts: 1, lastError: "slack: invalid_auth" });
  });

  it("with SLACK_DEDUP_HISTORY, tags direct messages with their outbox id alone, and finds one a dead process had posted before posting it again", async () => {
    const client = new webApi.WebClient("xoxb-test", { slackApiUrl: s.fake.apiUrl, retryConfig: { retries: 0 } });
    const t = slackTransport({ client, store: s.steps.store, program: s.steps.program, log: silentLogger, dedupHistory: true });
    const max = (await s.steps.store.personByEmail("max@example.org"))!;
    const queuedAt = new Date();
    const first = await t.sendToPerson(max, undefined, hello, { id: "41", queuedAt, resumed: false, key: "test" });
    expect(s.fake.of("chat.postMessage").map((c) => c.body.metadata)).toEqual([{ event_type: OUTBOX_EVENT, event_payload: { outbox: "41" } }]);
    expect(s.fake.of("conversations.history")).toEqual([]);
    // The process that posted it died before marking it sent: the next one finds it.
    expect(await t.sendToPerson(max, undefined, hello, { id: "41", queuedAt, resumed: true, key: "test" })).toEqual(first);
    // Its DM's latest messages, since a little before it was queued.
    expect(s.fake.of("conversations.history").map((c) => c.body)).toMatchObject([
      { channel: `D${users.max}`, oldest: ((queuedAt.getTime() - 60_000) / 1000).toFixed(6), limit: String(HISTORY_WINDOW), include_all_metadata: "true" },
    ]);
    // One it had not posted yet is posted.
    await t.sendToPerson(max, undefined, hello, { id: "42", queuedAt, resumed: true, key: "test" });
    expect(s.fake.of("chat.postMessage").map((c) => c.body.metadata)).toEqual([41, 42].map((id) => ({ event_type: OUTBOX_EVENT, event_payload: { outbox: String(id) } })));
  });

  it("without SLACK_DEDUP_HISTORY, sends no metadata and reads no history", async () => {
    const t = strictTransport();
    const max = (await s.steps.store.personByEmail("max@example.org"))!;
    await t.sendToPerson(max, undefined, hello, { id: "41", queuedAt: new Date(), resumed: true, key: "test" });
    expect(s.fake.of("chat.postMessage").map((c) => c.body.metadata)).toEqual([undefined]);
    expect(s.fake.of("conversations.history")).toEqual([]);
  });

  it("posts a resumed message anyway when the history cannot be read, and the log says which scope is missing", async () => {
    s.fake.set({ failures: { "conversations.history": "missing_scope" } });
    const lines: string[] = [];
    const client = new webApi.WebClient("xoxb-test", { slackApiUrl: s.fake.apiUrl, retryConfig: { retries: 0 } });
    const t = slackTransport({ client, store: s.steps.store, program: s.steps.program, log: createLogger("warn", (l) => lines.push(l)), dedupHistory: true });
    const max = (await s.steps.store.personByEmail("max@example.org"))!;
    await t.sendToPerson(max, undefined, hello, { id: "41", queuedAt: new Date(), resumed: true, key: "test" });
    expect(s.fake.of("chat.postMessage")).toHaveLength(1);
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual([
      "slack: could not look for a message before sending it again (slack: missing_scope): SLACK_DEDUP_HISTORY needs the im:history scope, add it to the app and reinstall it",
    ]);
  });

  it("refuses a SLACK_DEDUP_HISTORY other than 0 or 1", () => {
    expect(() => readSlackVars({ SLACK_DEDUP_HISTORY: "yes" })).toThrow(/SLACK_DEDUP_HISTORY/);
    expect(readSlackVars({ SLACK_DEDUP_HISTORY: "1" }).SLACK_DEDUP_HISTORY).toBe("1");
  });
});
