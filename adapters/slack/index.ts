import { App, HTTPReceiver, LogLevel, webApi, type Logger as BoltLogger } from "@slack/bolt";
import { z } from "zod";
import type { Env } from "../../src/config.ts";
import type { Logger } from "../../src/log.ts";
import type { PlatformAdapter } from "../../src/platform.ts";
import { createSlackFetch } from "./http.ts";
import { registerHandlers } from "./receive.ts";
import { slackTransport } from "./transport.ts";
import { slackWork } from "./work.ts";

export const EVENTS_PATH = "/slack/events";

const blankIsUnset = (v: unknown) => (v === "" ? undefined : v);
const varsSchema = z.object({
  SLACK_SIGNING_SECRET: z.preprocess(blankIsUnset, z.string().min(8).optional()),
  SLACK_BOT_TOKEN: z.preprocess(blankIsUnset, z.string().startsWith("xoxb-", "must be a bot token (xoxb-…)").optional()),
  SLACK_APP_TOKEN: z.preprocess(blankIsUnset, z.string().startsWith("xapp-", "must be an app-level token (xapp-…)").optional()),
  SLACK_API_URL: z.preprocess(blankIsUnset, z.url().optional()),
  SLACK_DEDUP_HISTORY: z.preprocess(blankIsUnset, z.enum(["0", "1"]).optional()),
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
 * than 429 still back off. maxRetryTime keeps one send from holding up the
 * messages behind it for long (the default policy could hold it about 30
 * minutes; the dispatcher renews its lease meanwhile).
 */
export const SLACK_RETRY: webApi.RetryOptions = { retries: 10, factor: 2, minTimeout: 25, maxTimeout: 5_000, randomize: true, maxRetryTime: 30_000 };

/** The Web API client's settings; Bolt also answers response_urls with this fetch. */
export function slackClientOptions(vars: SlackVars, fetchFn: typeof fetch): webApi.WebClientOptions {
  // SLACK_API_URL points the client at a proxy or a test fake.
  return { retryConfig: SLACK_RETRY, fetch: fetchFn, ...(vars.SLACK_API_URL ? { slackApiUrl: vars.SLACK_API_URL.replace(/\/?$/, "/") } : {}) };
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
    const http = createSlackFetch();
    const clientOptions = slackClientOptions(vars, http.fetch);
    const socketMode = Boolean(vars.SLACK_APP_TOKEN);
    // Steps keeps its state in the database: Bolt's in-memory conversation store would only cost a rejected lookup per request.
    const common = { token: vars.SLACK_BOT_TOKEN, clientOptions, logger, logLevel, convoStore: false as const };
    let app: App;
    if (socketMode) {
      app = new App({ ...common, appToken: vars.SLACK_APP_TOKEN, socketMode: true });
    } else {
      // Bolt's own receiver checks the signature and the 5-minute timestamp window; we only hand it the request.
      const receiver = new HTTPReceiver({ signingSecret: vars.SLACK_SIGNING_SECRET!, endpoints: EVENTS_PATH, logger });
      app = new App({ ...common, receiver });
      ctx.routes.add("POST", EVENTS_PATH, receiver.requestListener);
    }
    app.error(async (error) => ctx.log.error("slack listener failed", { error: error.message }));
    const work = slackWork({ client: app.client, fetch: http.fetch, core: ctx.core, store: ctx.store, log: ctx.log });
    registerHandlers({
      app,
      store: ctx.store,
      log: ctx.log,
      hand: async (job) => {
        if (!ctx.offload?.(slack.name, job)) await work.run(job);
      },
    });
    // A work thread only runs offloaded work: the serving thread holds the socket.
    if (socketMode && !ctx.worker) await app.start();
    ctx.log.info("Slack is ready", { mode: socketMode ? "socket" : "http", path: socketMode ? undefined : EVENTS_PATH });
    return {
      transport: slackTransport({ client: app.client, store: ctx.store, program: ctx.core.program, log: ctx.log, refreshHome: work.refreshHome, dedupHistory: vars.SLACK_DEDUP_HISTORY === "1" }),
      work: work.run,
      async close() {
        if (socketMode && !ctx.worker) await app.stop();
        http.close();
      },
    };
  },
};

export default slack;
