import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { createDb, dbOptionsFrom, type DbHandle, type DbOptions } from "../db/client.ts";
import { createStore } from "../db/store.ts";
import { credlySettings } from "../adapters/credly/config.ts";
import { createBadgeIssuer, type BadgeIssuer } from "../src/badges/issuer.ts";
import { publicUrl, type Env } from "../src/config.ts";
import { createDispatcher, type Dispatcher } from "../src/delivery/dispatcher.ts";
import { createCore, type Core, type CoreOptions } from "../src/domain/core.ts";
import { importRoster } from "../src/domain/roster.ts";
import { defaultWords } from "../src/i18n.ts";
import { createInbox, type Inbox } from "../src/inbox.ts";
import type { Logger } from "../src/log.ts";
import { createProgram, type Program } from "../src/program/program.ts";
import { formatProgramErrors, loadProgramFile } from "../src/program/load.ts";
import { loadEvents } from "../src/schedule/events.ts";
import { createRunDue, type RunDue } from "../src/schedule/run-due.ts";
import type { Store } from "../src/store.ts";
import { programClock, systemClock, type Clock } from "../src/time.ts";

export interface Steps {
  env: Env;
  program: Program;
  db: DbHandle;
  store: Store;
  core: Core;
  badges: BadgeIssuer;
  dispatcher: Dispatcher;
  /** Platform requests, recorded before they are acknowledged and worked off by any instance. */
  inbox: Inbox;
  /** Queues the reminders and digests due at that instant. */
  runDue: RunDue;
  /** The program clock: what is shown and what falls due follow it. */
  now: Clock;
  /** Moves the program clock (the playground's "Run due reminders" at a chosen time). */
  moveClock(at: Date): void;
  log: Logger;
  close(): Promise<void>;
}

export class ProgramFileError extends Error {}

/** Reads and validates the program file; the report lists every problem with its line. */
export async function readProgram(path: string): Promise<Program> {
  const loaded = await loadProgramFile(path);
  if (!loaded.ok) throw new ProgramFileError(formatProgramErrors(path, loaded.errors));
  return createProgram(loaded.file);
}

/** Opens everything the server and the CLI share, in dependency order. */
export async function boot(env: Env, log: Logger, options: { now?: Clock; db?: DbOptions } = {}): Promise<Steps> {
  // The real clock (injected by tests) times delivery, leases and retries, and dates signed
  // credentials so they verify; the program clock, which the playground may move, dates what people see.
  const real = options.now ?? systemClock;
  const clock = programClock(real);
  const now = clock.now;
  const program = await readProgram(env.PROGRAM_FILE);
  const db = await createDb(env.DATABASE_URL, { ...dbOptionsFrom(env), ...options.db });
  const store = createStore(db.db);
  const dispatcher = createDispatcher({ store, now: real, log });
  const badges = createBadgeIssuer({ program, store, baseUrl: publicUrl(env), raw: env.raw, now: real });
  // The issuer key exists before any award's transaction needs it.
  await badges.keys().catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  const coreOptions: CoreOptions = { program, store, now, baseUrl: publicUrl(env), onQueued: () => void dispatcher.kick(), onAward: badges.issue, words: defaultWords(program.file.texts), issuers: issuersIn(env) };
  const core = createCore(coreOptions);
  // A request's change and its answer commit together: the inbox runs the core inside its transaction and sends what it queued after.
  const inbox = createInbox({ store, now: real, log, coreIn: (tx) => createCore({ ...coreOptions, store: tx, onQueued: undefined }), onChanged: () => void dispatcher.kick() });
  await seedRoster(env, program, store, log);
  const events = await loadEvents(program, dirname(env.PROGRAM_FILE));
  for (const error of events.errors) log.error("calendar skipped", { error });
  const runDue = createRunDue({ program, store, log, words: coreOptions.words, events: events.events, graceMinutes: env.REMINDER_GRACE_MINUTES, onQueued: () => void dispatcher.kick() });
  return {
    env,
    program,
    db,
    store,
    core,
    badges,
    dispatcher,
    inbox,
    runDue,
    now,
    moveClock: clock.moveTo,
    log,
    async close() {
      await inbox.idle();
      await dispatcher.idle();
      await db.close();
    },
  };
}

/** The other issuers whose settings are there: a playlist naming one that is not stays self-issued (adapters/credly logs so). */
function issuersIn(env: Env): string[] {
  return credlySettings(env.raw).ok ? ["credly"] : [];
}

/**
 * A fresh embedded database gets the sample roster so `npm start` shows a
 * working program; a real database gets a roster only when one is named.
 */
async function seedRoster(env: Env, program: Program, store: Store, log: Logger): Promise<void> {
  const file = env.raw.ROSTER_FILE ?? (env.DATABASE_URL ? undefined : env.ROSTER_FILE);
  if (!file || !existsSync(file)) return;
  if ((await store.peopleByRole("coordinator")).length > 0) return;
  const result = await importRoster(store, program, readFileSync(file, "utf8"));
  log.info("roster loaded", { file, ...result });
}
