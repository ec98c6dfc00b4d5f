import { existsSync, readFileSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { createDb, dbOptionsFrom, type DbHandle, type DbOptions } from "../db/client.ts";
import { adoptUnkeyedData, createStore } from "../db/store.ts";
import { credlySettings } from "../adapters/credly/config.ts";
import { forgetExpiredLinks, KEPT_AFTER_EXPIRY_DAYS } from "../adapters/email/links/index.ts";
import { programPath } from "../src/badges/credential.ts";
import { createBadgeIssuer, type BadgeIssuer } from "../src/badges/issuer.ts";
import { publicUrl, type Env } from "../src/config.ts";
import { createDispatcher, type Dispatcher } from "../src/delivery/dispatcher.ts";
import { forgetSentMessages, SENT_TEXT_KEPT_DAYS } from "../src/delivery/forget.ts";
import { coreWithin, createCores, type Core, type Cores, type CoreOptions } from "../src/domain/core.ts";
import { importRoster } from "../src/domain/roster.ts";
import { sharedRoster } from "../src/roster/csv.ts";
import { defaultWords, inEnglish } from "../src/i18n.ts";
import { createInbox, forgetFinishedRequests, INBOX_KEPT_DAYS, type Inbox } from "../src/inbox.ts";
import type { Logger } from "../src/log.ts";
import { createProgram, type Program } from "../src/program/program.ts";
import { formatProgramErrors, loadProgramFile } from "../src/program/load.ts";
import { loadEvents } from "../src/schedule/events.ts";
import { createRunDue, type RunDue } from "../src/schedule/run-due.ts";
import type { Store } from "../src/store.ts";
import { programClock, systemClock, type Clock } from "../src/time.ts";

export interface Steps {
  env: Env;
  /** The first program loaded: the one PROGRAM_FILE names, or the first of PROGRAMS. */
  program: Program;
  /** Every program loaded, each with its file. */
  programs: LoadedProgram[];
  /**
   * One core per program; `core` is the first program's. Commands and clicks through it reach every
   * program (routeCommand and act in src/domain/route.ts), but its own store sees only the first
   * program's people: look people up across programs with `core.cores().store`.
   */
  cores: Cores;
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

export interface LoadedProgram {
  program: Program;
  /** The program file's path. */
  file: string;
}

/**
 * Reads and validates the program file; the report lists every problem with its line. Badge images
 * are named relative to their program's file, which may be in any folder: they are made absolute here.
 */
export async function readProgram(path: string): Promise<Program> {
  const loaded = await loadProgramFile(path);
  if (!loaded.ok) throw new ProgramFileError(formatProgramErrors(path, loaded.errors));
  const playlists = loaded.file.playlists.map((p) => ({ ...p, badge: { ...p.badge, image: resolve(dirname(path), p.badge.image) } }));
  return createProgram({ ...loaded.file, playlists }, programId(path));
}

/** A program's id is its file's name: `programs/early-learning.yml` is `early-learning`. */
export function programId(path: string): string {
  return basename(path, extname(path));
}

const PROGRAM_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * The program files to load: PROGRAMS (a folder, whose .yml and .yaml files
 * are loaded in name order, or a comma-separated list of files), else PROGRAM_FILE.
 * Ids must be slugs and distinct: they key each program's data.
 */
export async function programFiles(env: Env): Promise<string[]> {
  const setting = env.PROGRAMS?.trim();
  let files: string[];
  if (!setting) files = [env.PROGRAM_FILE];
  else if (!setting.includes(",") && existsSync(setting) && statSync(setting).isDirectory()) {
    files = (await readdir(setting)).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(setting, f));
    if (files.length === 0) throw new ProgramFileError(`PROGRAMS names the folder ${resolve(setting)}, which has no .yml program files. Put one there or name the files: PROGRAMS=a.yml,b.yml`);
  } else files = setting.split(",").map((f) => f.trim()).filter((f) => f !== "");
  // The PROGRAM_FILE program comes first when it is among them: it answers for the whole server
  // (the playground, the issuer profile) and holds data recorded before programs had ids.
  const primary = programId(env.PROGRAM_FILE);
  files = [...files.filter((f) => programId(f) === primary), ...files.filter((f) => programId(f) !== primary)];
  const seen = new Map<string, string>();
  for (const file of files) {
    const id = programId(file);
    if (!PROGRAM_ID.test(id)) throw new ProgramFileError(`${file}: a program file's name is its id, so it must be lower-case letters, digits and single hyphens, e.g. early-learning.yml`);
    // A shared roster's `all` means every program.
    if (id === "all") throw new ProgramFileError(`${file}: "all" means every program in a roster, so it cannot be a program's id; rename the file, e.g. all-programs.yml`);
    const other = seen.get(id);
    if (other) throw new ProgramFileError(`${file} and ${other} are both the program "${id}"; rename one of them`);
    seen.set(id, file);
  }
  return files;
}

/** Every program file, all checked before anything starts: one bad file stops start-up with every problem listed. */
export async function readPrograms(env: Env): Promise<LoadedProgram[]> {
  const files = await programFiles(env);
  const results = await Promise.allSettled(files.map((file) => readProgram(file)));
  const problems = results.flatMap((r) => (r.status === "rejected" ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
  if (problems.length > 0) throw new ProgramFileError(problems.join("\n"));
  return results.map((r, i) => ({ program: (r as PromiseFulfilledResult<Program>).value, file: files[i]! }));
}

/** Opens everything the server and the CLI share, in dependency order. */
export async function boot(env: Env, log: Logger, options: { now?: Clock; db?: DbOptions } = {}): Promise<Steps> {
  // The real clock (injected by tests) times delivery, leases and retries, and dates signed
  // credentials so they verify; the program clock, which the playground may move, dates what people see.
  const real = options.now ?? systemClock;
  const clock = programClock(real);
  const now = clock.now;
  const programs = await readPrograms(env);
  const program = programs[0]!.program;
  const db = await createDb(env.DATABASE_URL, { ...dbOptionsFrom(env), ...options.db });
  const store = createStore(db.db);
  const dispatcher = createDispatcher({ store, now: real, log });
  // Each program signs as its own organization, at its own addresses, with the one issuer key.
  const issuers = new Map(programs.map(({ program: p }, i) => [p.id, createBadgeIssuer({ program: p, store, baseUrl: publicUrl(env), path: programPath(p.id, i === 0), raw: env.raw, now: real })]));
  const badges = issuers.get(program.id)!;
  // The issuer key exists, and each program's issuer holds it, before any award's transaction needs it.
  await Promise.all([...issuers.values()].map((issuer) => issuer.keys())).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  const adopted = await adoptUnkeyedData(db.db, program.id);
  if (adopted > 0) log.info("data recorded before programs had ids now belongs to the first program", { program: program.id, people: adopted });
  const optionsFor = (p: Program): Omit<CoreOptions, "program" | "store" | "cores"> => ({ now, baseUrl: publicUrl(env), onQueued: () => void dispatcher.kick(), onAward: issuers.get(p.id)!.issue, words: defaultWords(p.file.texts), issuers: issuersIn(env) });
  const cores = createCores(programs.map((p) => p.program), store, optionsFor);
  const core = cores.list[0]!;
  // A request's change and its answer commit together: the inbox runs the core inside its transaction and sends what it queued after.
  const inbox = createInbox({ store, now: real, log, coreIn: (tx) => coreWithin(core, tx), onChanged: () => void dispatcher.kick() });
  const runs: RunDue[] = [];
  const rosterFile = env.raw.ROSTER_FILE;
  // Read once, for every program that names no roster of its own.
  const sharedFile = rosterFile && existsSync(rosterFile) && sharedRoster(readFileSync(rosterFile, "utf8")) ? rosterFile : undefined;
  for (const [i, loaded] of programs.entries()) {
    const scoped = store.scoped(loaded.program.id);
    await seedRoster(env, loaded, i === 0, scoped, { programs: programs.map((p) => p.program), sharedFile }, log);
    const events = await loadEvents(loaded.program, dirname(loaded.file));
    for (const error of events.errors) log.error("calendar skipped", { program: loaded.program.id, error });
    runs.push(createRunDue({ program: loaded.program, store: scoped, log, words: cores.get(loaded.program.id)!.options.words, events: events.events, graceMinutes: env.REMINDER_GRACE_MINUTES, onQueued: () => void dispatcher.kick() }));
  }
  const runDue: RunDue = async (at) => {
    // Each program keeps its own schedule and last run; one call runs them all.
    const results = [];
    for (const run of runs) results.push(await run(at));
    // Housekeeping on the same tick, by the clock the link pages read rather than `at`: a
    // `run-due --at` in the future must not delete rows whose links still work.
    const forgotten = await forgetExpiredLinks(store, now());
    if (forgotten > 0) log.info("expired email links deleted", { count: forgotten, keptAfterExpiryDays: KEPT_AFTER_EXPIRY_DAYS });
    // These by the real clock, which dated the requests finished and the messages sent: moving the
    // playground's clock must not delete a request whose platform may still send it again.
    const finished = await forgetFinishedRequests(store, real());
    if (finished > 0) log.info("finished requests deleted from the inbox", { count: finished, keptDays: INBOX_KEPT_DAYS });
    const emptied = await forgetSentMessages(store, real());
    if (emptied > 0) log.info("text of messages sent long ago deleted", { count: emptied, keptDays: SENT_TEXT_KEPT_DAYS });
    return { from: results.reduce((a, r) => (r.from < a ? r.from : a), at), at, queued: results.reduce((n, r) => n + r.queued, 0), skipped: results.flatMap((r) => r.skipped) };
  };
  return {
    env,
    program,
    programs,
    cores,
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
 * A program with nobody on it gets its roster: for the first program
 * ROSTER_FILE when set; else the one its file names (`program.roster`); else
 * ROSTER_FILE when it is shared by programs (a `program` column); else, for
 * the first program on the embedded database, the sample roster, so `npm start`
 * shows a working program. A program with people is never touched. A shared
 * roster gives each its own rows (`programs`: those loaded; `sharedFile`:
 * ROSTER_FILE when it is shared).
 */
async function seedRoster(env: Env, loaded: LoadedProgram, first: boolean, store: Store, { programs, sharedFile }: { programs: Program[]; sharedFile: string | undefined }, log: Logger): Promise<void> {
  const named = loaded.program.file.program.roster;
  const sample = env.DATABASE_URL ? undefined : env.ROSTER_FILE;
  const file = (first && env.raw.ROSTER_FILE) || (named ? resolve(dirname(loaded.file), named) : (sharedFile ?? (first ? sample : undefined)));
  if (!file) return;
  if (!existsSync(file)) {
    if (named) log.error("roster not found: the program starts with whoever is on record", { program: loaded.program.id, file });
    return;
  }
  if ((await store.peopleByRole("coordinator")).length > 0) return;
  const result = await importRoster(store, loaded.program, readFileSync(file, "utf8"), inEnglish(), programs);
  log.info("roster loaded", { program: loaded.program.id, file, ...result });
}
