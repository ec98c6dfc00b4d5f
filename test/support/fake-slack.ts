import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SlackCall {
  method: string;
  /** The request path: for a response_url, `/respond/<id>` tells which interaction it answers. */
  path: string;
  /** Form fields or JSON body; fields Slack sends as JSON strings (blocks, view) are parsed. */
  body: Record<string, unknown>;
  /** What the fake answered. */
  response: Record<string, unknown>;
  at: number;
}

export interface FakeSlackOptions {
  /** Slack user id → email, as users.info reports it. Users not listed get user_not_found. */
  emails?: Record<string, string>;
  /** Slack user id → locale, reported by users.info only when asked with include_locale, as Slack does. */
  locales?: Record<string, string>;
  /** Method → Slack error code returned with ok:false (e.g. channel_not_found). */
  failures?: Record<string, string>;
  /** Method → calls allowed per window; beyond it: 429 with Retry-After, like Slack's tiers. */
  rateLimit?: Record<string, number>;
  rateWindowMs?: number;
  retryAfterSeconds?: number;
  /**
   * Method → a token bucket: `perSecond` calls refill continuously, up to `burst`
   * (default one second's worth) saved while idle. Beyond it: 429 with Retry-After
   * in whole seconds until a call is allowed again, as Slack's header is.
   */
  bucket?: Record<string, { perSecond: number; burst?: number }>;
  /** Method → how long Slack takes to answer, after it has accepted (and recorded) the call. */
  latencyMs?: Record<string, number>;
  /** What apps.connections.open answers for Socket Mode: a local WebSocket (test/support/fake-socket.ts). */
  socketUrl?: string;
}

/**
 * A local stand-in for slack.com/api and response_url: records every call and
 * answers like Slack would. The Web API client is pointed here with SLACK_API_URL.
 * `port` puts it where a Slack that was unreachable comes back.
 */
export async function startFakeSlack(initial: FakeSlackOptions = {}, { port = 0 }: { port?: number } = {}) {
  const calls: SlackCall[] = [];
  let options = initial;
  const counts = new Map<string, { start: number; n: number }>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  const rejected = new Map<string, number>();
  // Message timestamps are Slack's: seconds of the real clock, made unique by a counter.
  let seq = 0;
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, "0")}`;
  /** Calls accepted but not answered while a method is held: Slack has done the work, the caller does not know yet. */
  const holding = new Map<string, number>();
  const held: { method: string; answer: () => void }[] = [];

  /** A channel's messages as conversations.history returns them: newest first, metadata only when asked for. */
  function history(body: Record<string, unknown>): Record<string, unknown> {
    const oldest = Number(body.oldest ?? 0);
    const limit = Math.min(Number(body.limit ?? 100), 999);
    const withMetadata = body.include_all_metadata === true || body.include_all_metadata === "true";
    const posted = calls
      .filter((c) => c.method === "chat.postMessage" && c.response.ok && c.body.channel === body.channel && Number(c.response.ts) > oldest)
      .reverse();
    const messages = posted.slice(0, limit).map((c) => ({
      type: "message",
      ts: c.response.ts,
      text: c.body.text,
      bot_id: "BBOT",
      ...(withMetadata && c.body.metadata ? { metadata: c.body.metadata } : {}),
    }));
    return { ok: true, messages, has_more: posted.length > limit };
  }

  /** Seconds to wait before this method may be called again; 0 when the call is allowed now. */
  function bucketWait(method: string): number {
    const limit = options.bucket?.[method];
    if (!limit) return 0;
    const burst = limit.burst ?? limit.perSecond;
    const now = Date.now();
    const b = buckets.get(method) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * limit.perSecond);
    b.at = now;
    buckets.set(method, b);
    if (b.tokens >= 1) {
      b.tokens--;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / limit.perSecond));
  }

  function limited(method: string): boolean {
    const max = options.rateLimit?.[method];
    if (max === undefined) return false;
    const now = Date.now();
    const c = counts.get(method);
    if (!c || now - c.start >= (options.rateWindowMs ?? 60_000)) {
      counts.set(method, { start: now, n: 1 });
      return 1 > max;
    }
    c.n++;
    return c.n > max;
  }

  function reply(method: string, body: Record<string, unknown>): Record<string, unknown> {
    const failure = options.failures?.[method];
    if (failure) return { ok: false, error: failure };
    switch (method) {
      case "auth.test":
        return { ok: true, user_id: "UBOT", bot_id: "BBOT", team_id: "T1", team: "Test", user: "steps" };
      case "users.info": {
        const user = String(body.user);
        const email = options.emails?.[user];
        const locale = body.include_locale === true || body.include_locale === "true" ? options.locales?.[user] : undefined;
        return email ? { ok: true, user: { id: user, ...(locale && { locale }), profile: { email } } } : { ok: false, error: "user_not_found" };
      }
      case "users.lookupByEmail": {
        const user = Object.entries(options.emails ?? {}).find(([, e]) => e === body.email)?.[0];
        return user ? { ok: true, user: { id: user, profile: { email: body.email } } } : { ok: false, error: "users_not_found" };
      }
      case "conversations.open":
        return { ok: true, channel: { id: `D${String(body.users)}` } };
      case "conversations.history":
        return history(body);
      case "chat.postMessage":
        return { ok: true, channel: body.channel, ts: nextTs(), message: { text: body.text } };
      case "chat.update":
        return { ok: true, channel: body.channel, ts: body.ts };
      case "chat.postEphemeral":
        return { ok: true, message_ts: nextTs() };
      case "views.open":
      case "views.publish":
        return { ok: true, view: { id: `V${++seq}` } };
      case "response_url":
        return { ok: true };
      case "apps.connections.open":
        return options.socketUrl ? { ok: true, url: options.socketUrl } : { ok: false, error: "not_allowed_token_type" };
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0]!;
    const method = path.startsWith("/respond/") ? "response_url" : path.replace(/^\/api\//, "").replace(/^\//, "");
    const body = parseBody(raw, req.headers["content-type"] ?? "");
    const wait = bucketWait(method);
    if (wait > 0 || limited(method)) {
      rejected.set(method, (rejected.get(method) ?? 0) + 1);
      res.writeHead(429, { "content-type": "application/json", "retry-after": String(wait || (options.retryAfterSeconds ?? 1)) });
      res.end(JSON.stringify({ ok: false, error: "ratelimited" }));
      return;
    }
    const response = reply(method, body);
    calls.push({ method, path, body, response, at: Date.now() });
    const answer = () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(response));
    };
    const holdAfter = holding.get(method);
    if (holdAfter !== undefined && calls.filter((c) => c.method === method).length > holdAfter) return void held.push({ method, answer });
    const latency = options.latencyMs?.[method];
    if (latency) setTimeout(answer, latency);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    apiUrl: `${url}/api/`,
    calls,
    /** A response_url for one interaction; what is posted there is recorded as method "response_url". */
    responseUrl: (id: string | number = ++seq) => `${url}/respond/${id}`,
    of: (method: string) => calls.filter((c) => c.method === method),
    /** How many calls of this method were answered 429 (they are not in `calls`). */
    rejected: (method: string) => rejected.get(method) ?? 0,
    /** Calls of this method after the first `after` are accepted and recorded but not answered until `answerHeld`. */
    hold: (method: string, after = 0) => void holding.set(method, after),
    /** How many calls of this method are accepted and waiting for their answer. */
    held: (method: string) => held.filter((h) => h.method === method).length,
    /** Answers every held call (a caller that has gone never reads it) and stops holding. */
    answerHeld: () => {
      holding.clear();
      for (const h of held.splice(0)) h.answer();
    },
    clear: () => {
      calls.splice(0);
      rejected.clear();
    },
    /** Changes failures and limits for the next calls (emails stay unless given). */
    set: (changes: Partial<FakeSlackOptions>) => {
      options = { ...initial, ...changes };
      counts.clear();
      buckets.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeSlack = Awaited<ReturnType<typeof startFakeSlack>>;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType.includes("json")) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = /^[[{]/.test(v) ? tryJson(v) : v;
  return out;
}

function tryJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Signs a request body exactly as Slack does: v0 HMAC-SHA256 of `v0:<timestamp>:<body>`. */
export function slackHeaders(secret: string, body: string, contentType: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
  return { "content-type": contentType, "x-slack-request-timestamp": String(timestamp), "x-slack-signature": signature };
}

export interface SlackSender {
  /** triggerId: Slack's id for the interaction, the same when a command is sent again. */
  command(userId: string, text: string, extra?: { responseUrl?: string; timestamp?: number; secret?: string; triggerId?: string }): Promise<Response>;
  /** responseUrl null: a click on the Home tab, where Slack gives no response_url. */
  click(userId: string, action: string, value: string, extra?: { responseUrl?: string | null }): Promise<Response>;
  submitChanges(userId: string, privateMetadata: string, reason: string | null): Promise<Response>;
  event(event: Record<string, unknown>, eventId: string, retryNum?: number): Promise<Response>;
  raw(body: string, contentType: string, headers?: Record<string, string>): Promise<Response>;
}

// Slack's ids are unique per interaction, even for two in the same millisecond.
let n = 0;
const unique = () => `${Date.now()}.${String(++n).padStart(6, "0")}`;

/**
 * What Slack sends for each kind of request: over HTTP as a form (a command's
 * fields, or a `payload` field) or JSON (events), over Socket Mode as the
 * payload of an envelope. A retry or redelivery repeats the same payload.
 */
export const slackPayloads = {
  command(userId: string, text: string, responseUrl: string, triggerId = `trig.${userId}.${unique()}`): Record<string, string> {
    return {
      token: "legacy",
      team_id: "T1",
      channel_id: "C0GENERAL",
      user_id: userId,
      user_name: userId.toLowerCase(),
      command: "/steps",
      text,
      api_app_id: "A1",
      response_url: responseUrl,
      trigger_id: triggerId,
    };
  },
  /** responseUrl null: a click on the Home tab, where Slack gives no response_url. */
  click(userId: string, action: string, value: string, responseUrl: string | null): Record<string, unknown> {
    return {
      type: "block_actions",
      team: { id: "T1" },
      user: { id: userId },
      api_app_id: "A1",
      trigger_id: `trig.${userId}.${unique()}`,
      ...(responseUrl === null
        ? { container: { type: "view", view_id: "VHOME" }, view: { id: "VHOME", type: "home" } }
        : { container: { type: "message", channel_id: `D${userId}`, message_ts: "1.000001" }, channel: { id: `D${userId}` }, response_url: responseUrl }),
      actions: [{ type: "button", action_id: action, block_id: "b1", value, action_ts: unique() }],
    };
  },
  /** Each call is a modal of its own (a view id and hash), as each click on Request changes opens one. */
  submitChanges(userId: string, privateMetadata: string, reason: string | null): Record<string, unknown> {
    return {
      type: "view_submission",
      team: { id: "T1" },
      user: { id: userId },
      api_app_id: "A1",
      trigger_id: `trig.${userId}.${unique()}`,
      view: {
        id: `V${unique()}`,
        hash: `${unique()}.h`,
        type: "modal",
        callback_id: "request_changes",
        private_metadata: privateMetadata,
        state: { values: { reason: { reason: { type: "plain_text_input", value: reason } } } },
      },
    };
  },
  event(event: Record<string, unknown>, eventId: string): Record<string, unknown> {
    return {
      token: "legacy",
      team_id: "T1",
      api_app_id: "A1",
      type: "event_callback",
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: "T1", user_id: "UBOT", is_bot: true }],
      event,
    };
  },
};

/** Sends what Slack sends to the events URL: slash commands, block_actions, view_submission, events. */
export function slackSender(eventsUrl: string, secret: string, fake: FakeSlack): SlackSender {
  const post = (body: string, contentType: string, headers: Record<string, string> = {}, sign: { secret?: string; timestamp?: number } = {}) =>
    fetch(eventsUrl, { method: "POST", body, headers: { ...slackHeaders(sign.secret ?? secret, body, contentType, sign.timestamp), ...headers } });
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const formType = "application/x-www-form-urlencoded";
  return {
    command(userId, text, extra = {}) {
      const body = form(slackPayloads.command(userId, text, extra.responseUrl ?? fake.responseUrl(), extra.triggerId));
      return post(body, formType, {}, { secret: extra.secret, timestamp: extra.timestamp });
    },
    click(userId, action, value, extra = {}) {
      const payload = slackPayloads.click(userId, action, value, extra.responseUrl === null ? null : (extra.responseUrl ?? fake.responseUrl()));
      return post(form({ payload: JSON.stringify(payload) }), formType);
    },
    submitChanges(userId, privateMetadata, reason) {
      return post(form({ payload: JSON.stringify(slackPayloads.submitChanges(userId, privateMetadata, reason)) }), formType);
    },
    event(event, eventId, retryNum) {
      const headers: Record<string, string> = retryNum ? { "x-slack-retry-num": String(retryNum), "x-slack-retry-reason": "http_timeout" } : {};
      return post(JSON.stringify(slackPayloads.event(event, eventId)), "application/json", headers);
    },
    raw(body, contentType, headers = {}) {
      return fetch(eventsUrl, { method: "POST", body, headers: { "content-type": contentType, ...headers } });
    },
  };
}
