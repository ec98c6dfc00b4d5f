import { request } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import slackAdapter from "../adapters/slack/index.ts";
import { createLogger } from "../src/log.ts";
import { slackHeaders, slackSender, startFakeSlack, type FakeSlack, type SlackSender } from "./support/fake-slack.ts";
import { SECRET } from "./support/slack.ts";
import { teamsActivity, teamsRig, userId, type TeamsRig } from "./support/teams.ts";

// Whatever anyone posts to the platform endpoints, signed or not: an answer
// in the 4xx range (or 200 for what Slack and Teams really send), and the
// process keeps serving. One server carries Slack and Teams (TEAMS=1: no
// authentication, so every body reaches the adapter, as the Teams tests run).

let fake: FakeSlack;
let t: TeamsRig;
let slack: SlackSender;
const logged: { level: string; message: string }[] = [];
beforeAll(async () => {
  fake = await startFakeSlack({ emails: { U0ANA: "ana@example.org" } });
  const log = createLogger("warn", (line) => logged.push(JSON.parse(line) as { level: string; message: string }));
  t = await teamsRig({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_API_URL: fake.apiUrl }, { log, adapters: [slackAdapter] });
  slack = slackSender(`${t.server.url}/slack/events`, SECRET, fake);
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});
beforeEach(() => {
  logged.length = 0;
  fake.clear();
});

const FORM = "application/x-www-form-urlencoded";
/** A hundred requests and health checks each: time enough on a busy machine. */
const PROPERTY_TIMEOUT_MS = 120_000;
const JSON_TYPE = "application/json";

/** The server still answers, and the database with it. */
async function alive(): Promise<void> {
  const res = await fetch(`${t.server.url}/healthz`);
  expect(res.status).toBe(200);
}

async function post(path: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${t.server.url}${path}`, { method: "POST", body, headers });
  await res.arrayBuffer();
  return res.status;
}

/** Bolt answers a request no listener acknowledged only after 3 s; nothing here may wait for that. */
const unanswered = () => logged.filter((l) => l.message.includes("not acknowledged"));

/** A value of a type Slack never sends where an object is expected. */
const notObject = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.string({ maxLength: 5 }));
/** A value of a type Slack never sends where a string is expected. */
const notString = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }));

/**
 * Bodies that are not a Slack request: random JSON (null, numbers and arrays
 * included), random form fields, a random interactivity `payload`, random
 * bytes, and Slack-shaped envelopes with a field of the wrong type.
 */
const notSlack = fc.oneof(
  fc.jsonValue().map((v) => ({ body: JSON.stringify(v), type: JSON_TYPE })),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 6 }).map((d) => ({ body: new URLSearchParams(d).toString(), type: FORM })),
  fc.jsonValue().map((v) => ({ body: new URLSearchParams({ payload: JSON.stringify(v) }).toString(), type: FORM })),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ body: Buffer.from(b).toString("utf8"), type: "application/octet-stream" })),
  fc.record({ type: fc.constant("event_callback"), event_id: fc.string({ maxLength: 8 }), event: notObject }).map((v) => ({ body: JSON.stringify(v), type: JSON_TYPE })),
  fc.record({ type: fc.constant("event_callback"), event_id: notString, event: fc.record({ type: fc.constantFrom("app_home_opened", "message") }) }).map((v) => ({ body: JSON.stringify(v), type: JSON_TYPE })),
  // A slash command without the person who typed it.
  fc.record({ command: fc.constantFrom("/steps", "/other", "steps", ""), user_id: fc.constant(""), text: fc.string({ maxLength: 10 }) }, { requiredKeys: ["command"] }).map((v) => ({ body: new URLSearchParams(v).toString(), type: FORM })),
  fc
    .record({ type: fc.constantFrom("block_actions", "view_submission", "shortcut", "message_action", "block_suggestion", "view_closed"), user: notObject, actions: fc.jsonValue(), view: fc.jsonValue(), channel: notObject })
    .map((v) => ({ body: new URLSearchParams({ payload: JSON.stringify(v) }).toString(), type: FORM })),
);

describe("Slack: any body gets a 4xx and the process lives", () => {
  it("answers random bodies, signed or not, with a 4xx at once", async () => {
    await fc.assert(
      fc.asyncProperty(notSlack, fc.boolean(), async ({ body, type }, signed) => {
        // Bolt lets an unsigned `ssl_check=1` through, as Slack's own check is: not a random body's business.
        fc.pre(!/(^|&)ssl_check=1(&|$)/.test(body));
        const headers = signed ? slackHeaders(SECRET, body, type) : { "content-type": type };
        const status = await post("/slack/events", body, headers);
        expect(status, `${signed ? "signed" : "unsigned"} ${type}: ${body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(status).toBeLessThan(500);
        if (!signed) expect(status).toBe(401);
        await alive();
      }),
      { numRuns: 100 },
    );
    expect(unanswered()).toEqual([]);
  }, PROPERTY_TIMEOUT_MS);

  it("answers Slack-shaped bodies with odd fields with 200 or a 4xx, never an error or a wait", async () => {
    const odd = fc.oneof(fc.jsonValue(), notObject, notString);
    const shaped = fc.oneof(
      fc.record({ type: fc.constant("event_callback"), event_id: fc.string({ minLength: 1, maxLength: 8 }), event: fc.record({ type: fc.constantFrom("app_home_opened", "message", "reaction_added"), user: odd, channel: odd, item: odd, tab: odd }) }).map((v) => ({
        body: JSON.stringify(v),
        type: JSON_TYPE,
      })),
      fc.record({ type: fc.constantFrom("block_actions", "view_submission"), user: fc.record({ id: fc.constantFrom("U0ANA", "U0NOBODY") }), actions: odd, view: odd, channel: odd, container: odd, trigger_id: odd, response_url: odd }).map((v) => ({
        body: new URLSearchParams({ payload: JSON.stringify(v) }).toString(),
        type: FORM,
      })),
      fc.record({ command: fc.constantFrom("/steps", "/other"), user_id: fc.constantFrom("U0ANA", "U0NOBODY"), text: fc.string({ maxLength: 20 }), channel_id: fc.string({ maxLength: 5 }), response_url: fc.string({ maxLength: 10 }) }).map((v) => ({
        body: new URLSearchParams(v).toString(),
        type: FORM,
      })),
    );
    await fc.assert(
      fc.asyncProperty(shaped, async ({ body, type }) => {
        const status = await post("/slack/events", body, slackHeaders(SECRET, body, type));
        expect(status === 200 || (status >= 400 && status < 500), `${status} for ${body.slice(0, 300)}`).toBe(true);
        await alive();
      }),
      { numRuns: 100 },
    );
    await t.server.idle();
    expect(unanswered()).toEqual([]);
  }, PROPERTY_TIMEOUT_MS);

  it("acknowledges a well-formed event Steps does not handle with 200, and does nothing with it", async () => {
    const events = [
      { type: "message", channel: "D0ANA", user: "U0ANA", text: "hello", ts: "1.1", channel_type: "im" },
      { type: "reaction_added", user: "U0ANA", reaction: "tada", item: { type: "message", channel: "C1", ts: "1.1" }, event_ts: "1.2" },
      { type: "app_home_opened", user: "U0ANA", channel: "D0ANA", tab: "messages", event_ts: "1.3" },
      { type: "app_uninstalled", event_ts: "1.4" },
    ];
    for (const [i, event] of events.entries()) expect((await slack.event(event, `EvIgnored${i}`)).status, event.type).toBe(200);
    await t.server.idle();
    expect(fake.calls.filter((c) => c.method !== "auth.test")).toEqual([]);
    await alive();
  });

  it("answers a body over Bolt's 4 MB limit with 413 after reading it", async () => {
    expect(await postInPieces("/slack/events", 5_000_000, { "x-slack-request-timestamp": String(Math.floor(Date.now() / 1000)), "x-slack-signature": "v0=0" })).toEqual({ status: 413 });
    await alive();
  });
});

/** Random activities and bodies that are not activities: Teams without an app id takes them from anyone. */
const notActivity = fc.oneof(
  fc.jsonValue().map((v) => ({ body: JSON.stringify(v), type: JSON_TYPE })),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 6 }).map((d) => ({ body: new URLSearchParams(d).toString(), type: FORM })),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ body: Buffer.from(b).toString("utf8"), type: "application/octet-stream" })),
  fc.record({ type: fc.constantFrom("message", "invoke", "conversationUpdate"), serviceUrl: notString, conversation: notObject, from: notObject, recipient: notObject }).map((v) => ({ body: JSON.stringify(v), type: JSON_TYPE })),
);

describe("Teams: any body gets a 4xx and the process lives", () => {
  it("answers random bodies with a 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(notActivity, async ({ body, type }) => {
        const status = await post("/api/messages", body, { "content-type": type });
        expect(status >= 400 && status < 500, `${status} for ${body.slice(0, 300)}`).toBe(true);
        await alive();
      }),
      { numRuns: 100 },
    );
  }, PROPERTY_TIMEOUT_MS);

  it("answers activities with odd fields with 200 or a 4xx, never an error", async () => {
    const odd = fc.oneof(fc.jsonValue(), notObject, notString);
    const activity = fc
      .record({ type: fc.constantFrom("message", "invoke", "conversationUpdate", "typing"), text: odd, value: odd, name: odd, membersAdded: odd, entities: odd, channelData: odd, id: odd })
      .map((fields) => ({ ...teamsActivity(t.connector, { from: userId("ana"), text: "status" }), ...fields }));
    await fc.assert(
      fc.asyncProperty(activity, async (a) => {
        const status = await post("/api/messages", JSON.stringify(a), { "content-type": JSON_TYPE });
        expect(status === 200 || (status >= 400 && status < 500), `${status} for ${JSON.stringify(a).slice(0, 400)}`).toBe(true);
        await alive();
      }),
      { numRuns: 100 },
    );
    await t.server.idle();
  }, PROPERTY_TIMEOUT_MS);

  it("answers a body over the limit with 413 after reading it, so the client is not cut off mid-request", async () => {
    expect(await postInPieces("/api/messages", 3_000_000, {})).toEqual({ status: 413 });
    await alive();
  });
});

/**
 * Posts `size` bytes in pieces, as a slow client does: the answer must come
 * after the last one, on a connection still open.
 */
function postInPieces(path: string, size: number, headers: Record<string, string>): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request(`${t.server.url}${path}`, { method: "POST", headers: { "content-type": JSON_TYPE, "content-length": String(size), ...headers } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode }));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    const piece = Buffer.alloc(64 * 1024, " ");
    void (async () => {
      for (let sent = 0; sent < size; sent += piece.length) {
        if (!req.write(piece.subarray(0, Math.min(piece.length, size - sent)))) await new Promise((r) => req.once("drain", r));
      }
      req.end();
    })();
  });
}
