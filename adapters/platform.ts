import type { Env } from "../src/config.ts";
import type { Core } from "../src/domain/core.ts";
import type { Dispatcher } from "../src/delivery/dispatcher.ts";
import type { Transport } from "../src/delivery/transport.ts";
import type { Inbox } from "../src/inbox.ts";
import type { Logger } from "../src/log.ts";
import type { Store } from "../src/store.ts";
import type { Clock } from "../src/time.ts";
import type { Routes } from "./http.ts";

// What app/ gives each adapter and gets back. The core knows none of it: all it
// asks of a platform is a Transport (src/delivery/transport.ts).

export interface AdapterContext {
  env: Env;
  core: Core;
  store: Store;
  dispatcher: Dispatcher;
  /** Where an adapter records each request before acknowledging it, and registers the handler that works it off. */
  inbox: Inbox;
  routes: Routes;
  log: Logger;
  /** The program clock: what an adapter shows is dated by it. */
  now: Clock;
  /** Moves the program clock: the playground walks through a program in minutes. */
  moveClock(at: Date): void;
  /** Sends what is due at that instant (reminders, digests); set once the scheduler is running. */
  runDue?: (at: Date) => Promise<unknown>;
  /** Names of the other platforms that are configured: the playground stays off beside a real chat platform. */
  configured: string[];
}

/**
 * A running part that /healthz reports on: "ok", or in a few words why not
 * and what happens next (e.g. "unreachable: … (retrying)").
 */
export interface Health {
  health(): string;
}

export interface RunningAdapter extends Partial<Health> {
  transport?: Transport;
  /** Resolves once the work of the requests answered so far has finished (a platform may want its answer before the work is done). */
  idle?(): Promise<void>;
  close?(): Promise<void>;
}

/** What each folder under adapters/ exports as default, and app/adapters.ts lists. */
export interface PlatformAdapter {
  name: string;
  /** Whether the environment asks for this platform (its credentials are set). */
  configured(env: Env): boolean;
  /**
   * True when the platform is on without authentication, for local testing
   * (Teams with TEAMS=1 and no app id): it then does not make the server listen
   * beyond this computer, and must itself refuse other machines.
   */
  localOnly?(env: Env): boolean;
  start(context: AdapterContext): Promise<RunningAdapter | null>;
}
