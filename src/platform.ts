import type { IncomingMessage, ServerResponse } from "node:http";
import type { Env } from "./config.ts";
import type { Core } from "./domain/core.ts";
import type { Dispatcher } from "./delivery/dispatcher.ts";
import type { Transport } from "./delivery/transport.ts";
import type { Inbox } from "./inbox.ts";
import type { Logger } from "./log.ts";
import type { Store } from "./store.ts";
import type { Clock } from "./time.ts";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Routes {
  /** Path is exact, or a prefix when it ends with "*". */
  add(method: "GET" | "POST", path: string, handler: RouteHandler): void;
}

export interface AdapterContext {
  env: Env;
  core: Core;
  store: Store;
  dispatcher: Dispatcher;
  /** Where an adapter records each request before acknowledging it, and registers the handler that works it off. */
  inbox: Inbox;
  routes: Routes;
  log: Logger;
  now: Clock;
  /** Sends what is due at that instant (reminders, digests); set once the scheduler is running. */
  runDue?: (at: Date) => Promise<unknown>;
  /** Names of the other platforms that are configured: the playground stays off beside a real chat platform. */
  configured: string[];
}

export interface RunningAdapter {
  transport?: Transport;
  /** "ok", or why the platform cannot be reached now (e.g. Slack's socket is disconnected): /healthz reports it. */
  health?(): string;
  close?(): Promise<void>;
}

/**
 * What each folder under adapters/ exports as default. The server finds them
 * by listing the folder, so adding a platform touches nothing else.
 */
export interface PlatformAdapter {
  name: string;
  /** Whether the environment asks for this platform (its credentials are set). */
  configured(env: Env): boolean;
  start(context: AdapterContext): Promise<RunningAdapter | null>;
}
