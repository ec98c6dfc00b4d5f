import { App, LogLevel, SocketModeReceiver, webApi, type Logger as BoltLogger, type Receiver } from "@slack/bolt";
import { setTimeout as delay } from "node:timers/promises";
import type { Voice } from "../../src/i18n.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import type { AdapterContext, RunningAdapter } from "../platform.ts";
import { connectSlack, type Check } from "./connect.ts";
import { apiUrl, EVENTS_PATH, readSlackVars, slackClientOptions, type Backoff } from "./settings.ts";
import { HANDLER, intakeReceiver } from "./receive.ts";
import { slackReceiver } from "./receiver.ts";
import { slackTransport } from "./transport.ts";
import { slackWork } from "./work.ts";

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

/** How long the start-up check waits for Slack's answer before it counts as unreachable. */
const CHECK_TIMEOUT_MS = 10_000;

/** Serves Slack: loaded only when Slack is configured (see index.ts). */
export async function startSlack(ctx: AdapterContext, backoff: Backoff): Promise<RunningAdapter> {
  const vars = readSlackVars(ctx.env.raw);
  const logLevel = ctx.env.LOG_LEVEL === "debug" ? LogLevel.DEBUG : LogLevel.INFO;
  const logger = boltLogger(ctx.log, logLevel);
  const socketMode = Boolean(vars.SLACK_APP_TOKEN);
  // Why Slack's requests cannot be taken yet; set from the connection after its first check, which the server waits for.
  let notReady = (): string | undefined => "connecting";
  let receiver: Receiver;
  if (socketMode) {
    // The socket's own client asks apps.connections.open for the WebSocket URL, with its own retries.
    receiver = new SocketModeReceiver({ appToken: vars.SLACK_APP_TOKEN!, logger, logLevel, installerOptions: { clientOptions: apiUrl(vars) } });
  } else {
    // Bolt checks the signature and the 5-minute timestamp window; Steps' route awaits all of it.
    const http = slackReceiver({ signingSecret: vars.SLACK_SIGNING_SECRET!, logger, notReady: () => notReady() });
    ctx.routes.add("POST", EVENTS_PATH, http.handle);
    receiver = http;
  }
  const socket = receiver instanceof SocketModeReceiver ? receiver.client : undefined;
  let connected = false;
  socket?.on("connected", () => (connected = true));
  for (const lost of ["close", "disconnected"]) socket?.on(lost, () => (connected = false));
  const clientOptions = slackClientOptions(vars);
  const app = new App({
    token: vars.SLACK_BOT_TOKEN,
    clientOptions,
    logger,
    logLevel,
    // Steps keeps its state in the database: Bolt's in-memory conversation store would only cost a rejected lookup per request.
    convoStore: false,
    // Bolt checks the token (auth.test) in init(), which connect.ts calls and retries, not in the constructor where a failure went unhandled.
    deferInitialization: true,
    receiver: intakeReceiver(receiver, { inbox: ctx.inbox, log: ctx.log, voiceOf: (userId) => slackVoice(ctx, userId) }),
  });
  app.error(async (error) => ctx.log.error("slack listener failed", { error: error.message }));
  const work = slackWork({ client: app.client, core: ctx.core, store: ctx.store, log: ctx.log });
  ctx.inbox.register(HANDLER, work.run);
  // Bolt's init() calls auth.test with the app's client, whose retries (30 s, a warning each) suit sending
  // messages. A client without them asks first; connect.ts waits between tries and logs what changes.
  const probe = new webApi.WebClient(vars.SLACK_BOT_TOKEN, { ...clientOptions, retryConfig: { retries: 0 }, timeout: CHECK_TIMEOUT_MS, logger: boltLogger(silentLogger, logLevel) });
  const checks: Check[] = [{ setting: "SLACK_BOT_TOKEN", run: () => probe.auth.test().then(() => app.init()) }];
  if (socket) checks.push({ setting: "SLACK_APP_TOKEN", run: () => app.start() });
  const connection = await connectSlack(checks, {
    log: ctx.log,
    backoff,
    readyFields: { mode: socketMode ? "socket" : "http", path: socketMode ? undefined : EVENTS_PATH },
  });
  notReady = () => (connection.ready() ? undefined : connection.health());
  return {
    transport: slackTransport({ client: app.client, store: ctx.store, program: ctx.core.program, programs: (id) => ctx.core.cores().get(id)?.program, log: ctx.log, refreshHome: work.refreshHome, dedupHistory: vars.SLACK_DEDUP_HISTORY === "1" }),
    // Over HTTP Slack reaches us; over the socket we must hold the connection.
    health: () => (connection.ready() && socket && !connected ? "socket disconnected: Slack requests wait until it reconnects" : connection.health()),
    async close() {
      connection.close();
      if (socket && connection.ready()) await app.stop();
    },
  };
}

/** How long the modal waits for the clicker's language before using the program's: the click's trigger id lasts 3 s. */
const MODAL_LANGUAGE_MS = 1_000;

/** The words of a Slack user: their language once known here, else the program's, never later than MODAL_LANGUAGE_MS. */
async function slackVoice(ctx: AdapterContext, userId: string): Promise<Voice> {
  const fallback = ctx.core.programVoice();
  const known = ctx.store.personByIdentity("slack", userId).then((k) => (k ? ctx.core.voiceOf(k.person) : fallback));
  return Promise.race([known, delay(MODAL_LANGUAGE_MS, fallback, { ref: false })]).catch((error: unknown) => {
    ctx.log.warn("slack: the clicker's language could not be read; the program's is used", { error: String(error) });
    return fallback;
  });
}
