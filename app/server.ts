import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { contentPolicy, send, type RouteHandler, type Routes } from "../adapters/http.ts";
import type { AdapterContext, Health, PlatformAdapter, RunningAdapter } from "../adapters/platform.ts";
import { listenHost } from "../src/config.ts";
import { INBOX_BEAT_MS } from "../src/inbox.ts";
import type { Steps } from "./boot.ts";

export interface RunningServer {
  server: Server;
  url: string;
  adapters: string[];
  /** Every route served, as registered: tests walk them all rather than a list that could fall behind. */
  routes: readonly { method: string; path: string }[];
  /** Resolves once the requests answered so far have finished their work, and what they queued has been sent. */
  idle(): Promise<void>;
  /** Adds a part /healthz reports on that starts after the server (the scheduler). */
  watch(name: string, part: Health): void;
  close(): Promise<void>;
}

const HEALTH_TIMEOUT_MS = 2_000;
/**
 * How often every instance looks for retries and what another instance left
 * behind: what a crashed instance had claimed is taken over within its lease
 * (OUTBOX_LEASE_MS) and one beat, 15 s in all.
 */
export const OUTBOX_BEAT_MS = 5_000;

export interface ServerOptions {
  port?: number;
  host?: string;
  retryEveryMs?: number;
}

interface StartedAdapter {
  name: string;
  adapter: RunningAdapter;
}

/**
 * On every response, whoever writes it: no type sniffing, no framing, no
 * referrer (badge pages are unlisted; their address must not leak to the sites
 * they link to). Pages that load something set their own CSP, through contentPolicy.
 */
const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": contentPolicy("default-src 'none'"),
  "referrer-policy": "no-referrer",
};

/** Starts the configured adapters and gives their transports to the dispatcher; routes go to the caller's table. */
async function startAdapters(steps: Steps, adapters: PlatformAdapter[], routes: Routes): Promise<StartedAdapter[]> {
  const { env, log } = steps;
  const configured = adapters.filter((a) => a.configured(env)).map((a) => a.name);
  const context: AdapterContext = { env, core: steps.core, store: steps.store, dispatcher: steps.dispatcher, inbox: steps.inbox, routes, log, now: steps.now, moveClock: steps.moveClock, runDue: steps.runDue, configured };
  const running: StartedAdapter[] = [];
  for (const adapter of adapters) {
    const started = await adapter.start(context);
    if (!started) continue;
    running.push({ name: adapter.name, adapter: started });
    if (started.transport) steps.dispatcher.register(started.transport);
  }
  return running;
}

/**
 * Serves /healthz and whatever routes the configured adapters add, on one port.
 * /healthz names each running part with "ok" or why not; only the database
 * makes it 503, since nothing works without it, while a platform that is down
 * leaves the others (and the badge pages) serving.
 */
export async function startServer(steps: Steps, adapters: PlatformAdapter[], options: ServerOptions = {}): Promise<RunningServer> {
  const { env, log } = steps;
  const routes: { method: string; path: string; handler: RouteHandler }[] = [];
  const add = (method: "GET" | "POST", path: string, handler: RouteHandler) => routes.push({ method, path, handler });
  const parts = new Map<string, Health>();

  add("GET", "/healthz", async (_req, res) => {
    let database = "ok";
    try {
      await withTimeout(steps.store.ping(), HEALTH_TIMEOUT_MS);
    } catch (error) {
      log.warn("health check failed", { error: String(error) });
      // The reason stays in the log: this page is public.
      database = "unavailable";
    }
    const report = Object.fromEntries([["database", database], ...[...parts].map(([name, part]) => [name, part.health()])]);
    send(res, database === "ok" ? 200 : 503, { ok: database === "ok", parts: report });
  });

  const running = await startAdapters(steps, adapters, { add });
  // A platform on for local testing only does not open the port to other machines.
  const exposed = adapters.filter((a) => a.configured(env) && !a.localOnly?.(env)).map((a) => a.name);
  for (const r of running) if (r.adapter.health) parts.set(r.name, r.adapter as Health);

  const server = createServer((req, res) => void route(req, res));
  async function route(req: IncomingMessage, res: ServerResponse) {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const path = (req.url ?? "/").split("?")[0]!;
    // HEAD is a GET without the body, which node leaves out by itself.
    const method = req.method === "HEAD" ? "GET" : req.method;
    const match = routes.find((r) => r.method === method && (r.path.endsWith("*") ? path.startsWith(r.path.slice(0, -1)) : r.path === path));
    if (!match) return send(res, 404, { ok: false, error: "not found" });
    try {
      await match.handler(req, res);
    } catch (error) {
      log.error("request failed", { path, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      if (!res.headersSent) send(res, 500, { ok: false, error: "internal error" });
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? env.PORT, options.host ?? listenHost(env, exposed), resolve));
  const { port } = server.address() as AddressInfo;
  const timer = setInterval(() => void steps.dispatcher.kick(), options.retryEveryMs ?? OUTBOX_BEAT_MS);
  timer.unref();
  void steps.dispatcher.kick();
  // Requests left by an instance that died, or due for another attempt.
  const inboxTimer = setInterval(() => void steps.inbox.kick(), INBOX_BEAT_MS);
  inboxTimer.unref();
  void steps.inbox.kick();
  log.info("Steps is listening", { url: `http://localhost:${port}`, adapters: running.map((r) => r.name), database: steps.db.kind });

  return {
    server,
    url: `http://127.0.0.1:${port}`,
    adapters: running.map((r) => r.name),
    routes: routes.map(({ method, path }) => ({ method, path })),
    async idle() {
      await steps.inbox.idle();
      for (const r of running) await r.adapter.idle?.();
      await steps.dispatcher.idle();
    },
    watch: (name, part) => void parts.set(name, part),
    async close() {
      clearInterval(timer);
      clearInterval(inboxTimer);
      // Work already acknowledged to a platform is finished, not cut off.
      await steps.inbox.idle();
      for (const r of running) await r.adapter.idle?.();
      for (const r of running) await r.adapter.close?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
