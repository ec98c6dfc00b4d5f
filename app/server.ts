import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AdapterContext, PlatformAdapter, RouteHandler, Routes, RunningAdapter } from "../src/platform.ts";
import { listenHost } from "../src/config.ts";
import { INBOX_BEAT_MS } from "../src/inbox.ts";
import type { Steps } from "./boot.ts";

export interface RunningServer {
  server: Server;
  url: string;
  adapters: string[];
  close(): Promise<void>;
}

const HEALTH_TIMEOUT_MS = 2_000;
/** How often every instance looks for retries and what another instance left behind. */
export const OUTBOX_BEAT_MS = 15_000;

export interface ServerOptions {
  port?: number;
  host?: string;
  retryEveryMs?: number;
}

export interface StartedAdapter {
  name: string;
  adapter: RunningAdapter;
}

function configuredPlatforms(steps: Steps, adapters: PlatformAdapter[]): string[] {
  return adapters.filter((a) => a.configured(steps.env)).map((a) => a.name);
}

/** Starts the configured adapters and gives their transports to the dispatcher; routes go to the caller's table. */
export async function startAdapters(steps: Steps, adapters: PlatformAdapter[], routes: Routes): Promise<StartedAdapter[]> {
  const { env, log } = steps;
  const configured = configuredPlatforms(steps, adapters);
  const context: AdapterContext = { env, core: steps.core, store: steps.store, dispatcher: steps.dispatcher, inbox: steps.inbox, routes, log, now: steps.now, runDue: steps.runDue, configured };
  const running: StartedAdapter[] = [];
  for (const adapter of adapters) {
    const started = await adapter.start(context);
    if (!started) continue;
    running.push({ name: adapter.name, adapter: started });
    if (started.transport) steps.dispatcher.register(started.transport);
  }
  return running;
}

/** Serves /healthz and whatever routes the configured adapters add, on one port. */
export async function startServer(steps: Steps, adapters: PlatformAdapter[], options: ServerOptions = {}): Promise<RunningServer> {
  const { env, log } = steps;
  const routes: { method: string; path: string; handler: RouteHandler }[] = [];
  const add = (method: "GET" | "POST", path: string, handler: RouteHandler) => routes.push({ method, path, handler });

  add("GET", "/healthz", async (_req, res) => {
    try {
      await withTimeout(steps.store.ping(), HEALTH_TIMEOUT_MS);
      const parts = Object.fromEntries(running.filter((r) => r.adapter.health).map((r) => [r.name, r.adapter.health!()]));
      send(res, 200, { ok: true, database: steps.db.kind, ...parts });
    } catch (error) {
      log.warn("health check failed", { error: String(error) });
      send(res, 503, { ok: false, error: "database unavailable" });
    }
  });

  const running = await startAdapters(steps, adapters, { add });
  const configured = configuredPlatforms(steps, adapters);

  const server = createServer((req, res) => void route(req, res));
  async function route(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? "/").split("?")[0]!;
    const match = routes.find((r) => r.method === req.method && (r.path.endsWith("*") ? path.startsWith(r.path.slice(0, -1)) : r.path === path));
    if (!match) return send(res, 404, { ok: false, error: "not found" });
    try {
      await match.handler(req, res);
    } catch (error) {
      log.error("request failed", { path, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      if (!res.headersSent) send(res, 500, { ok: false, error: "internal error" });
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? env.PORT, options.host ?? listenHost(env, configured), resolve));
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
    async close() {
      clearInterval(timer);
      clearInterval(inboxTimer);
      // Requests being worked on finish with the adapters that answer them.
      await steps.inbox.idle();
      for (const r of running) await r.adapter.close?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
