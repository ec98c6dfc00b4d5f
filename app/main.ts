import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { credlySettings } from "../adapters/credly/config.ts";
import { createEmailLinks, queueWorkLink } from "../adapters/email/links/index.ts";
import { createDb, DataDirInUse, dbOptionsFrom, type DbHandle } from "../db/client.ts";
import { createStore } from "../db/store.ts";
import { publicUrl, readEnv, type Env } from "../src/config.ts";
import { readCredentialSource, verifyCredential } from "../src/badges/verify.ts";
import { answer } from "../src/chat.ts";
import { defaultWords, languageOfLocale, SOURCE_LANGUAGE, type Values } from "../src/i18n.ts";
import { isStepsError } from "../src/errors.ts";
import { createLogger, type Logger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import { systemClock } from "../src/time.ts";
import type { Core } from "../src/domain/core.ts";
import type { Award } from "../src/store.ts";
import { importRoster, importRosterFile } from "../src/domain/roster.ts";
import { uncoveredRecords } from "../src/program/coverage.ts";
import { formatProgramErrors, loadProgramFile } from "../src/program/load.ts";
import { createProgram, type Program } from "../src/program/program.ts";
import { parseRoster } from "../src/roster/csv.ts";
import { adapters } from "./adapters.ts";
import { boot, ProgramFileError, programFiles, programId, type Steps } from "./boot.ts";
import { consoleTransport } from "./console-transport.ts";
import { startScheduler } from "./scheduler.ts";
import { startServer } from "./server.ts";

/** Words for the coordinator at the terminal. */
type Say = (key: string, values?: Values) => string;

/**
 * The terminal's language, as every command-line tool reads it (LC_ALL, then
 * LC_MESSAGES, then LANG: "es_MX.UTF-8" is Spanish), when Steps speaks it;
 * else English. The program file is not read yet when most of these are said.
 */
export function terminalLanguage(system: Record<string, string | undefined>, languages: readonly string[]): string {
  const locale = [system.LC_ALL, system.LC_MESSAGES, system.LANG].find((v) => v !== undefined && v !== "");
  const language = languageOfLocale(locale);
  return language && languages.includes(language) ? language : SOURCE_LANGUAGE;
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + "\n"), system: Record<string, string | undefined> = process.env): Promise<number> {
  const env = readEnv();
  const log = createLogger(env.LOG_LEVEL);
  const words = defaultWords();
  const language = terminalLanguage(system, words.languages);
  const say: Say = (key, values) => words.t(language, key, values);
  const usage = say("cli.usage");
  const [command, ...args] = argv;
  try {
    switch (command) {
      case "serve":
        return await serve(log);
      case "config":
        if (args[0] === "check" && args.length <= 2) return await configCheck(args[1], out, say);
        break;
      case "roster":
        if (args[0] === "import" && args[1] && (args.length === 2 || (args.length === 4 && args[2] === "--program"))) return await rosterImport(args[1], args[3], out, log, say);
        break;
      case "run-due":
        return await runDueOnce(args, out, log, say);
      case "email":
        if (args[0] === "cancel-links" && args[1] && args.length === 2) return await cancelLinks(args[1], out, log, say);
        if (args[0] === "send-link" && args[1] && args.length === 2) return await sendLink(args[1], out, log, say);
        break;
      case "credly":
        if (args[0] === "retry") return await credlyRetry(args.slice(1), out, log, say);
        break;
      case "as":
        if (args[0] && args.length >= 2) return await runAs(args[0], args.slice(1).join(" "), out, log, say);
        break;
      case "verify":
        if (args[0]) return await verify(args, out, say);
        break;
      case undefined:
      case "help":
      case "--help":
        out(usage);
        return 0;
      default:
        out(`${say("cli.unknown_command", { command })}\n\n${usage}`);
        return 2;
    }
    out(`${say("cli.incomplete", { typed: `steps ${argv.join(" ")}` })}\n\n${usage}`);
    return 2;
  } catch (error) {
    if (error instanceof ProgramFileError || isStepsError(error)) {
      out(error.message);
      return 1;
    }
    if (error instanceof DataDirInUse) {
      out(inUse(error, env, say));
      return 1;
    }
    throw error;
  }
}

/** Another process has the embedded database open: who, since when, and what to do instead. */
function inUse(error: DataDirInUse, env: Env, say: Say): string {
  const { pid, command } = error.holder;
  return say("cli.in_use", { running: runningOn(error, env, say), serving: command.startsWith("serve") ? "yes" : "no", url: `http://localhost:${env.PORT}/`, pid, lockFile: error.lockFile });
}

function runningOn({ holder }: DataDirInUse, env: Env, say: Say): string {
  const since = new Date(holder.since);
  // `{since, time, short}` is written in this process's time zone, so its hour is read there too ("a la 1:05", "a las 13:05").
  return say("cli.running_on", { dataDir: env.DATA_DIR, pid: holder.pid, command: `steps ${holder.command}`, since, hour: since.getHours() });
}

const MARKS = { true: "ok  ", false: "FAIL", null: "--  " } as const;

const webUrl = z.url({ protocol: /^https?$/ });

/** FILE|URL and each option at most once, with its value (--issuer a web address); undefined otherwise. */
function verifyArgs(args: string[]): { source: string; email?: string; issuer?: string } | undefined {
  const options = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg !== "--email" && arg !== "--issuer") rest.push(arg);
    else if (!options.has(arg) && args[i + 1] !== undefined) options.set(arg, args[++i]!);
    else return undefined;
  }
  const issuer = options.get("--issuer");
  if (rest.length !== 1 || (issuer !== undefined && !webUrl.safeParse(issuer).success)) return undefined;
  return { source: rest[0]!, email: options.get("--email"), issuer };
}

/** Needs no database: everything is checked against what the issuer publishes. */
async function verify(args: string[], out: (s: string) => void, say: Say): Promise<number> {
  const parsed = verifyArgs(args);
  if (!parsed) {
    out(say("cli.verify_usage"));
    return 2;
  }
  const { source, email, issuer } = parsed;
  let jwt: string;
  try {
    jwt = await readCredentialSource(source, { fetch, readFile: (path) => readFile(path, "utf8") }, say);
  } catch (error) {
    out(say("cli.verify_unreadable", { source, reason: error instanceof Error ? error.message : String(error) }));
    return 1;
  }
  const result = await verifyCredential(jwt, { now: systemClock(), fetch, email, issuer, say });
  for (const check of result.checks) out(`${MARKS[String(check.ok) as keyof typeof MARKS]} ${say("verify.check", { name: check.name })}: ${check.detail}`);
  for (const warning of result.warnings) out(say("verify.warning", { warning }));
  out(result.ok ? say("cli.verify_valid") : say("cli.verify_invalid", { check: say("verify.check", { name: result.checks.find((c) => c.ok === false)!.name }) }));
  return result.ok ? 0 : 1;
}

async function serve(log: Logger): Promise<number> {
  // Heard from the start: a stop asked for while starting closes everything
  // once started (the database cleanly, its lock given back); a second one
  // ends the process at once.
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const signal of signals) process.once(signal, stop);
  try {
    const steps = await boot(readEnv(), log);
    const server = await startServer(steps, adapters);
    const scheduler = startScheduler(steps);
    server.watch("scheduler", scheduler);
    await stopped;
    await scheduler.stop();
    await server.close();
    await steps.close();
    return 0;
  } finally {
    for (const signal of signals) process.off(signal, stop);
  }
}

/** An instant with its offset, to the second or (as people type it) to the minute. */
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.datetime({ offset: true, precision: -1 })]);
const atArgs = z.union([z.tuple([]), z.tuple([z.literal("--at"), instant])]);
const localDateTime = z.iso.datetime({ local: true });

/** One run of the same function the server ticks, then the outbox drained: what a system cron job calls. */
async function runDueOnce(args: string[], out: (s: string) => void, log: Logger, say: Say): Promise<number> {
  const parsed = atArgs.safeParse(args);
  if (!parsed.success) {
    const [flag, value] = args;
    // A time without an offset names a different instant in every zone: which one is meant is the person's to say.
    if (flag === "--at" && value !== undefined && args.length === 2 && localDateTime.safeParse(value).success) {
      out(say("cli.run_due_no_offset", { value }));
      return 2;
    }
    out(say("cli.run_due_usage"));
    return 2;
  }
  const steps = await boot(readEnv(), log);
  try {
    const at = parsed.data[1] ? new Date(parsed.data[1]) : steps.now();
    const result = await steps.runDue(at);
    out(say("cli.run_due_queued", { queued: result.queued, at: at.toISOString(), skipped: result.skipped.length }));
    if (!(await sendQueued(steps))) out(say("cli.run_due_no_platform"));
    return 0;
  } finally {
    await steps.close();
  }
}

/**
 * Sends what is queued through the configured platforms, then stops them; false when none is configured.
 * `also`: services that are not platforms (`credly`) to start beside them, for their jobs in the outbox.
 */
async function sendQueued(steps: Steps, also: readonly string[] = []): Promise<boolean> {
  const configured = adapters.filter((a) => a.configured(steps.env));
  // Without a platform nothing is sent, a service's job included: what it queues for people (Credly's link) could not go.
  if (configured.length === 0) return false;
  // The adapters provide the transports; starting them as serve does keeps one wiring path.
  const server = await startServer(steps, adapters.filter((a) => configured.includes(a) || also.includes(a.name)), { port: 0, host: "127.0.0.1" });
  try {
    await steps.dispatcher.kick();
    await steps.dispatcher.idle();
  } finally {
    await server.close();
  }
  return true;
}

async function sendLink(email: string, out: (s: string) => void, log: Logger, say: Say): Promise<number> {
  const steps = await boot(readEnv(), log);
  try {
    const person = await steps.store.personByEmail(email);
    if (!person) {
      out(say("cli.send_link_not_on_roster", { email }));
      return 1;
    }
    if (!(await queueWorkLink(steps.core, person, "coordinator"))) {
      out(person.role !== "intern" ? say("cli.send_link_not_intern", { name: person.name, role: person.role }) : say("cli.send_link_in_chat", { name: person.name, contact: person.contact }));
      return 1;
    }
    const emailOn = adapters.find((a) => a.name === "email")?.configured(steps.env);
    if (!emailOn) {
      out(say("cli.send_link_queued", { name: person.name }));
      return 0;
    }
    await sendQueued(steps);
    out(say("cli.send_link_sent", { name: person.name, email: person.email }));
    return 0;
  } finally {
    await steps.close();
  }
}

const credlyRetryArgs = z.union([z.tuple([]), z.tuple([z.literal("--program"), z.string().min(1)])]);

/**
 * Asks Credly again for the badges it refused, once the coordinator has fixed why (the
 * template id, the roster's names): queued as a new try each, and sent at once when this
 * process can run Credly and a platform (for the intern's link), else by `steps serve`.
 */
async function credlyRetry(args: string[], out: (s: string) => void, log: Logger, say: Say): Promise<number> {
  const parsed = credlyRetryArgs.safeParse(args);
  if (!parsed.success) {
    out(say("cli.credly_retry_usage"));
    return 2;
  }
  const programId = parsed.data[1];
  const steps = await boot(readEnv(), log);
  try {
    const cores = programId === undefined ? steps.cores.list : [steps.cores.get(programId)].filter((c) => c !== undefined);
    if (cores.length === 0) {
      out(say("cli.roster_unknown_program", { program: programId ?? "", programs: steps.cores.list.map((c) => c.program.id).join(", ") }));
      return 1;
    }
    const again: { award: Award; core: Core }[] = [];
    for (const core of cores) for (const award of await core.retryElsewhere("credly")) again.push({ award, core });
    if (again.length === 0) {
      out(say("cli.credly_retry_none", { program: programId ?? "all" }));
      return 0;
    }
    const named = async ({ award, core }: (typeof again)[number]) => ({
      intern: (await steps.store.personById(award.personId))?.name ?? String(award.personId),
      badge: core.program.playlist(award.playlist)?.badge.name ?? award.playlist,
    });
    out(say("cli.credly_retry_queued", { count: again.length }));
    const credly = credlySettings(steps.env.raw);
    if (!credly.ok || !(await sendQueued(steps, ["credly"]))) {
      for (const one of again) out(say("cli.credly_retry_badge", await named(one)));
      out(credly.ok ? say("cli.credly_retry_for_serve", { count: again.length }) : say("cli.credly_retry_off", { reason: credly.reason }));
      return 0;
    }
    for (const one of again) {
      const held = (await steps.store.award(one.award.id))?.elsewhere?.credly;
      out(say("cli.credly_retry_outcome", { ...(await named(one)), state: held?.state ?? "queued", reason: held?.reason ?? "" }));
    }
    return 0;
  } finally {
    await steps.close();
  }
}

/**
 * One file, or with none every program the environment loads (PROGRAMS, else
 * PROGRAM_FILE) and their cross-references: each named roster against its
 * program, and a person in several programs named alike in each.
 */
async function configCheck(path: string | undefined, out: (s: string) => void, say: Say): Promise<number> {
  const env = readEnv();
  const files = path ? [path] : await programFiles(env);
  const programs: Program[] = [];
  const rosters = new Map<Program, string>();
  const fileOf = new Map<Program, string>();
  let failed = false;
  for (const file of files) {
    const loaded = await loadProgramFile(file, say);
    if (!loaded.ok) {
      out(formatProgramErrors(file, loaded.errors));
      failed = true;
      continue;
    }
    out(say("cli.config_valid", { path: file, playlists: loaded.file.playlists.length, departments: loaded.file.departments.length }));
    const program = createProgram(loaded.file, programId(file));
    programs.push(program);
    fileOf.set(program, file);
    if (loaded.file.program.roster) rosters.set(program, resolve(dirname(file), loaded.file.program.roster));
  }
  // A shared roster's rows may name any program the environment loads.
  const all = path ? [...programs, ...(await otherPrograms(env, programId(path)))] : programs;
  // A shared roster is checked for each program naming it: each problem is said once.
  const said = new Set<string>();
  const once = (line: string) => {
    if (said.has(line)) return;
    said.add(line);
    out(line);
  };
  for (const [program, roster] of rosters) if (!checkRoster(fileOf.get(program)!, program, roster, all, once, say)) failed = true;
  if (!path) for (const line of crossProgramNotes(rosters, all, say)) out(say("cli.note", { line }));
  if (failed) return 1;
  // Recorded work the edited files no longer cover is kept, and said so.
  if (env.DATABASE_URL || existsSync(join(env.DATA_DIR, "db"))) {
    let db: DbHandle;
    try {
      db = await createDb(env.DATABASE_URL, dbOptionsFrom(env));
    } catch (error) {
      // The files are checked; only the comparison with what is recorded waits.
      if (!(error instanceof DataDirInUse)) throw error;
      out(say("cli.config_not_compared", { running: runningOn(error, env, say) }));
      return 0;
    }
    try {
      const store = createStore(db.db);
      for (const program of programs) {
        for (const line of uncoveredRecords(program.file, await store.scoped(program.id).recordedWork())) out(say("cli.note", { line: `${programs.length > 1 ? `${program.id}: ` : ""}${line}` }));
      }
      if (!path) {
        const loaded = new Set(programs.map((p) => p.id));
        for (const { program, people } of await store.programsOnRecord()) {
          if (!loaded.has(program)) out(say("cli.note", { line: say("cli.config_program_unloaded", { program, people }) }));
        }
      }
    } finally {
      await db.close();
    }
  }
  return 0;
}

/** The environment's other programs that load, for a roster shared with them; its own problems are not this check's. */
async function otherPrograms(env: Env, except: string): Promise<Program[]> {
  const files = await programFiles(env).catch(() => []);
  const loaded = await Promise.all(files.filter((f) => programId(f) !== except).map(async (f) => ({ id: programId(f), result: await loadProgramFile(f) })));
  return loaded.flatMap(({ id, result }) => (result.ok ? [createProgram(result.file, id)] : []));
}

/** A roster the program file names must exist and import cleanly against that program. */
function checkRoster(file: string, program: Program, roster: string, programs: Program[], out: (s: string) => void, say: Say): boolean {
  if (!existsSync(roster)) {
    out(say("cli.config_roster_missing", { file, roster }));
    return false;
  }
  const parsed = parseRoster(readFileSync(roster, "utf8"), program, new Map(), say, { programs, checkOthers: true });
  if (parsed.ok && parsed.rows.length === 0) out(`${roster}: ${say("roster.none_for_program", { program: program.id })}`);
  if (parsed.ok) return parsed.rows.length > 0;
  for (const e of parsed.errors) out(`${roster}:${e.line} ${e.message}`);
  return false;
}

/** Someone on several programs' rosters is one person: their name should read the same in each. */
function crossProgramNotes(rosters: Map<Program, string>, programs: Program[], say: Say): string[] {
  const names = new Map<string, Map<string, string>>();
  for (const [program, path] of rosters) {
    if (!existsSync(path)) continue;
    const parsed = parseRoster(readFileSync(path, "utf8"), program, new Map(), say, { programs, checkOthers: false });
    if (!parsed.ok) continue;
    for (const row of parsed.rows) names.set(row.email, (names.get(row.email) ?? new Map()).set(program.id, row.name));
  }
  return [...names]
    .filter(([, byProgram]) => new Set(byProgram.values()).size > 1)
    .map(([email, byProgram]) => say("cli.config_name_differs", { email, names: [...byProgram].map(([id, name]) => `${id} ("${name}")`).join(", ") }));
}

/**
 * Into the program `--program` names; else a shared roster (a `program`
 * column) into every program it names, and any other into the first program.
 */
async function rosterImport(path: string, programId: string | undefined, out: (s: string) => void, log: Logger, say: Say): Promise<number> {
  if (!existsSync(path)) {
    out(say("cli.roster_missing", { path: resolve(path) }));
    return 1;
  }
  const steps = await boot(readEnv(), log);
  try {
    const programs = steps.cores.list.map((c) => c.program);
    const csv = readFileSync(path, "utf8");
    if (programId === undefined) {
      const results = await importRosterFile(steps.store, programs, csv, say);
      for (const result of results) out(say("cli.roster_imported", { path, ...result, several: programs.length > 1 ? "yes" : "no" }));
      return 0;
    }
    const program = steps.cores.get(programId)?.program;
    if (!program) {
      out(say("cli.roster_unknown_program", { program: programId, programs: programs.map((p) => p.id).join(", ") }));
      return 1;
    }
    const result = await importRoster(steps.store, program, csv, say, programs);
    out(say("cli.roster_imported", { path, program: program.id, ...result, several: programs.length > 1 ? "yes" : "no" }));
    return 0;
  } finally {
    await steps.close();
  }
}

async function cancelLinks(email: string, out: (s: string) => void, log: Logger, say: Say): Promise<number> {
  const steps = await boot(readEnv(), log);
  try {
    // One person, a row in each of their programs: every row's links go.
    const rows = await steps.store.peopleByEmail(email);
    const person = rows[0];
    if (!person) {
      out(say("cli.cancel_not_on_roster", { email }));
      return 1;
    }
    const links = createEmailLinks({ store: steps.store, programs: steps.programs.map((p) => p.program), now: steps.now, baseUrl: publicUrl(steps.env) });
    let count = 0;
    for (const row of rows) count += await links.cancelLinks(row.id);
    out(say("cli.cancelled", { count, name: person.name }));
    return 0;
  } finally {
    await steps.close();
  }
}

async function runAs(email: string, text: string, out: (s: string) => void, log: Logger, say: Say): Promise<number> {
  const steps = await boot(readEnv(), log);
  try {
    steps.dispatcher.register(consoleTransport(out, say));
    const person = await steps.store.personByEmail(email);
    if (!person) {
      out(say("cli.as_not_on_roster", { email }));
      return 1;
    }
    out(toPlainText(await answer(steps.core, person, text, log)));
    await steps.dispatcher.kick();
    return 0;
  } finally {
    await steps.close();
  }
}
