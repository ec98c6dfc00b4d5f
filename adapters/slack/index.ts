import { App, HTTPReceiver, LogLevel, SocketModeReceiver, webApi, type Logger as BoltLogger } from "@slack/bolt";
import { z } from "zod";
import type { Env } from "../../src/config.ts";
import type { Logger } from "../../src/log.ts";
import type { PlatformAdapter } from "../../src/platform.ts";
import { HANDLER, intakeReceiver } from "./receive.ts";
import { slackTransport } from "./transport.ts";
import { slackWork } from "./work.ts";

export const EVENTS_PATH = "/slack/events";

const blankIsUnset = (v: unknown) => (v === "" ? undefined : v);
const varsSchema = z.object({
  SLACK_SIGNING_SECRET: z.preprocess(blankIsUnset, z.string().min(8).optional()),
  SLACK_BOT_TOKEN: z.preprocess(blankIsUnset, z.string().startsWith("xoxb-", "must be a bot token (xoxb-…)").optional()),
  SLACK_APP_TOKEN: z.preprocess(blankIsUnset, z.string().startsWith("xapp-", "must be an app-level token (xapp-…)").optional()),
  SLACK_API_URL: z.preprocess(blankIsUnset, z.url().optional()),
});

export type SlackVars = z.infer<typeof varsSchema>;

export function readSlackVars(raw: Record<string, string | undefined>): SlackVars {
  const parsed = varsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid Slack settings:\n${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n")}`);
  }
  return parsed.data;
}

/**
 * Bolt's logger interface over ours, so Slack's warnings land in the same JSON
 * lines. Debug lines are formatted only at debug level: the Web API client
 * logs every request body there, and stringifying those costs real time.
 */
function boltLogger(log: Logger, initial: LogLevel): BoltLogger {
  let level = initial;
  const text = (args: unknown[]) => args.map((a) => (typeof a === "string" ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(" ");
  return {
    debug: (...args) => level === LogLevel.DEBUG && log.debug(`slack: ${text(args)}`),
    info: (...args) => log.info(`slack: ${text(args)}`),
    warn: (...args) => log.warn(`slack: ${text(args)}`),
    error: (...args) => log.error(`slack: ${text(args)}`),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: () => {},
  };
}

/**
 * The client waits out a 429's Retry-After itself (pausing its queue), then
 * retries after the policy's delay. Its default policy adds 1–2 s there on top
 * of the Retry-After already waited: time in which the rate limit would have
 * allowed sends, so a rate-limited fan-out reached about half the allowed rate
 * (bench/fanout.ts). A 25 ms first delay keeps it at the limit; errors other
 * than 429 still back off. maxRetryTime keeps one send well inside the
 * dispatcher's 60 s lease, so no other instance claims it again meanwhile
 * (the default policy could hold it about 30 minutes).
 */
export const SLACK_RETRY: webApi.RetryOptions = { retries: 10, factor: 2, minTimeout: 25, maxTimeout: 5_000, randomize: true, maxRetryTime: 30_000 };

/** SLACK_API_URL points the clients at a proxy or a test fake. */
function apiUrl(vars: SlackVars): { slackApiUrl?: string } {
  return vars.SLACK_API_URL ? { slackApiUrl: vars.SLACK_API_URL.replace(/\/?$/, "/") } : {};
}

/** The Web API client's settings. */
export function slackClientOptions(vars: SlackVars): webApi.WebClientOptions {
  return { retryConfig: SLACK_RETRY, ...apiUrl(vars) };
}

const slack: PlatformAdapter = {
  name: "slack",

  configured(env: Env) {
    const raw = env.raw;
    return Boolean(raw.SLACK_BOT_TOKEN && (raw.SLACK_SIGNING_SECRET || raw.SLACK_APP_TOKEN));
  },

  async start(ctx) {
    if (!slack.configured(ctx.env)) return null;
    const vars = readSlackVars(ctx.env.raw);
    const logLevel = ctx.env.LOG_LEVEL === "debug" ? LogLevel.DEBUG : LogLevel.INFO;
    const logger = boltLogger(ctx.log, logLevel);
    const socketMode = Boolean(vars.SLACK_APP_TOKEN);
    let receiver: HTTPReceiver | SocketModeReceiver;
    if (socketMode) {
      // The socket's own client asks apps.connections.open for the WebSocket URL, with its own retries.
      receiver = new SocketModeReceiver({ appToken: vars.SLACK_APP_TOKEN!, logger, logLevel, installerOptions: { clientOptions: apiUrl(vars) } });
    } else {
      // Bolt's own receiver checks the signature and the 5-minute timestamp window; we only hand it the request.
      receiver = new HTTPReceiver({ signingSecret: vars.SLACK_SIGNING_SECRET!, endpoints: EVENTS_PATH, logger });
      ctx.routes.add("POST", EVENTS_PATH, receiver.requestListener);
    }
    const socket = receiver instanceof SocketModeReceiver ? receiver.client : undefined;
    let connected = false;
    socket?.on("connected", () => (connected = true));
    for (const lost of ["close", "disconnected"]) socket?.on(lost, () => (connected = false));
    const app = new App({
      token: vars.SLACK_BOT_TOKEN,
      clientOptions: slackClientOptions(vars),
      logger,
      logLevel,
      // Steps keeps its state in the database: Bolt's in-memory conversation store would only cost a rejected lookup per request.
      convoStore: false,
      receiver: intakeReceiver(receiver, { inbox: ctx.inbox, log: ctx.log }),
    });
    const work = slackWork({ client: app.client, core: ctx.core, store: ctx.store, log: ctx.log });
    ctx.inbox.register(HANDLER, work.run);
    if (socket) await app.start();
    ctx.log.info("Slack is ready", { mode: socketMode ? "socket" : "http", path: socketMode ? undefined : EVENTS_PATH });
    return {
      transport: slackTransport({ client: app.client, store: ctx.store, program: ctx.core.program, log: ctx.log, refreshHome: work.refreshHome }),
      // Over HTTP Slack reaches us; over the socket we must hold the connection.
      health: socket && (() => (connected ? "ok" : "socket disconnected: Slack requests wait until it reconnects")),
      async close() {
        if (socket) await app.stop();
      },
    };
  },
};

export default slack;
