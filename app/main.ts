import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { createEmailLinks, queueWorkLink } from "../adapters/email/links/index.ts";
import { createDb, DataDirInUse, dbOptionsFrom, type DbHandle } from "../db/client.ts";
import { createStore } from "../db/store.ts";
import { publicUrl, readEnv, type Env } from "../src/config.ts";
import { readCredentialSource, verifyCredential } from "../src/badges/verify.ts";
import { answer } from "../src/chat.ts";
import { isStepsError } from "../src/errors.ts";
import { createLogger, type Logger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import { systemClock } from "../src/time.ts";
import { importRoster } from "../src/domain/roster.ts";
import { uncoveredRecords } from "../src/program/coverage.ts";
import { formatProgramErrors, loadProgramFile } from "../src/program/load.ts";
import { adapters } from "./adapters.ts";
import { boot, ProgramFileError, type Steps } from "./boot.ts";
import { consoleTransport } from "./console-transport.ts";
import { startScheduler } from "./scheduler.ts";
import { startServer } from "./server.ts";

const usage = `Usage: steps <command>

  serve                          run the bot (HTTP on $PORT, default 3000)
  config check FILE              validate a program file; lists every error with its line
  roster import FILE.csv         import or update the roster (email,name,role,department,mentor_email)
  as EMAIL "<chat command>"      run a chat command as that person and print the reply
                                 e.g. steps as ana.intern@example.org "done interview-staff"
  verify FILE|URL [--email ADDR] [--issuer URL]
                                 check a badge: issuer, signature, dates, recipient, revocation
                                 e.g. steps verify https://steps.example.org/badges/AbC… --email ana@example.org
                                 --issuer https://steps.example.org/issuer
  email cancel-links EMAIL       cancel that person's email links not used yet (approve,
                                 request changes, an intern's page); new emails carry new ones
  email send-link EMAIL          email an intern without chat a new link to their page
  run-due [--at ISO-8601]        queue the reminders and digests due now (or at that instant)
                                 and send them: for a system cron job instead of serve's own tick
`;

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + "\n")): Promise<number> {
  const env = readEnv();
  const log = createLogger(env.LOG_LEVEL);
  const [command, ...args] = argv;
  try {
    switch (command) {
      case "serve":
        return await serve(log);
      case "config":
        if (args[0] === "check" && args[1]) return await configCheck(args[1], out);
        break;
      case "roster":
        if (args[0] === "import" && args[1]) return await rosterImport(args[1], out, log);
        break;
      case "run-due":
        return await runDueOnce(args, out, log);
      case "email":
        if (args[0] === "cancel-links" && args[1] && args.length === 2) return await cancelLinks(args[1], out, log);
        if (args[0] === "send-link" && args[1] && args.length === 2) return await sendLink(args[1], out, log);
        break;
      case "as":
        if (args[0] && args.length >= 2) return await runAs(args[0], args.slice(1).join(" "), out, log);
        break;
      case "verify":
        if (args[0]) return await verify(args, out);
        break;
      case undefined:
      case "help":
      case "--help":
        out(usage);
        return 0;
      default:
        out(`Steps has no command "${command}". The commands are:\n\n${usage}`);
        return 2;
    }
    out(`"steps ${argv.join(" ")}" is missing something. How to use it:\n\n${usage}`);
    return 2;
  } catch (error) {
    if (error instanceof ProgramFileError || isStepsError(error)) {
      out(error.message);
      return 1;
    }
    if (error instanceof DataDirInUse) {
      out(inUse(error, env));
      return 1;
    }
    throw error;
  }
}

/** Another process has the embedded database open: who, since when, and what to do instead. */
function inUse(error: DataDirInUse, env: Env): string {
  const { pid, command } = error.holder;
  const instead = command.startsWith("serve") ? `Stop it first, or do this in chat or in the playground (http://localhost:${env.PORT}/) while it runs.` : "Try again once it has finished.";
  return (
    `${runningOn(error, env)}. ${instead} To run several processes at once, set DATABASE_URL to a shared PostgreSQL database. ` +
    `If pid ${pid} is not Steps, delete ${error.lockFile}.`
  );
}

function runningOn({ holder }: DataDirInUse, env: Env): string {
  const since = new Date(holder.since).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  return `Steps is already running on ${env.DATA_DIR} (pid ${holder.pid}, \`steps ${holder.command}\`, since ${since})`;
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
async function verify(args: string[], out: (s: string) => void): Promise<number> {
  const parsed = verifyArgs(args);
  if (!parsed) {
    out("Usage: steps verify FILE|URL [--email ADDR] [--issuer URL], e.g. --issuer https://steps.example.org/issuer");
    return 2;
  }
  const { source, email, issuer } = parsed;
  let jwt: string;
  try {
    jwt = await readCredentialSource(source, { fetch, readFile: (path) => readFile(path, "utf8") });
  } catch (error) {
    out(`Could not read ${source}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const result = await verifyCredential(jwt, { now: systemClock(), fetch, email, issuer });
  for (const check of result.checks) out(`${MARKS[String(check.ok) as keyof typeof MARKS]} ${check.name}: ${check.detail}`);
  for (const warning of result.warnings) out(`warn ${warning}`);
  out(result.ok ? "Valid." : `Not valid: ${result.checks.find((c) => c.ok === false)!.name} check failed.`);
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
async function runDueOnce(args: string[], out: (s: string) => void, log: Logger): Promise<number> {
  const parsed = atArgs.safeParse(args);
  if (!parsed.success) {
    const [flag, value] = args;
    // A time without an offset names a different instant in every zone: which one is meant is the person's to say.
    if (flag === "--at" && value !== undefined && args.length === 2 && localDateTime.safeParse(value).success) {
      out(`${value} has no UTC offset, so it could be any of several instants. Add one, e.g. steps run-due --at ${value}-07:00 (US Pacific summer time) or --at ${value}Z (UTC).`);
      return 2;
    }
    out("Usage: steps run-due [--at ISO-8601], e.g. steps run-due --at 2026-06-17T09:00:00-07:00");
    return 2;
  }
  const steps = await boot(readEnv(), log);
  try {
    const at = parsed.data[1] ? new Date(parsed.data[1]) : steps.now();
    const result = await steps.runDue(at);
    out(`Queued ${result.queued} messages due by ${at.toISOString()}; skipped ${result.skipped.length} missed by more than the grace window.`);
    if (!(await sendQueued(steps))) out("No chat platform is configured here, so nothing was sent: `steps serve` sends what is queued.");
    return 0;
  } finally {
    await steps.close();
  }
}

/** Sends what is queued through the configured platforms, then stops them; false when none is configured. */
async function sendQueued(steps: Steps): Promise<boolean> {
  const configured = adapters.filter((a) => a.configured(steps.env));
  if (configured.length === 0) return false;
  // The adapters provide the transports; starting them as serve does keeps one wiring path.
  const server = await startServer(steps, configured, { port: 0, host: "127.0.0.1" });
  try {
    await steps.dispatcher.kick();
    await steps.dispatcher.idle();
  } finally {
    await server.close();
  }
  return true;
}

async function sendLink(email: string, out: (s: string) => void, log: Logger): Promise<number> {
  const steps = await boot(readEnv(), log);
  try {
    const person = await steps.store.personByEmail(email);
    if (!person) {
      out(`${email} is not on the roster. Check the address, or import it with: steps roster import FILE.csv`);
      return 1;
    }
    if (!(await queueWorkLink(steps.core, person, "coordinator"))) {
      out(
        person.role !== "intern"
          ? `${person.name} is a ${person.role}: personal links are for interns. Their emails carry the links they need.`
          : `${person.name} uses Steps in chat (contact ${person.contact}), so they record work there and have no personal link. To give them one, set their contact to email in the roster.`,
      );
      return 1;
    }
    const emailOn = adapters.find((a) => a.name === "email")?.configured(steps.env);
    if (!emailOn) {
      out(`Queued a new link for ${person.name}; no mail server is set here (SMTP_URL), so \`steps serve\` sends it.`);
      return 0;
    }
    await sendQueued(steps);
    out(`Sent ${person.name} a new link to their page, at ${person.email}. Links sent before keep working until they expire; \`steps email cancel-links ${person.email}\` cancels them.`);
    return 0;
  } finally {
    await steps.close();
  }
}

async function configCheck(path: string, out: (s: string) => void): Promise<number> {
  const loaded = await loadProgramFile(path);
  if (!loaded.ok) {
    out(formatProgramErrors(path, loaded.errors));
    return 1;
  }
  out(`${path}: valid (${loaded.file.playlists.length} playlists, ${loaded.file.departments.length} departments)`);
  // Recorded work the edited file no longer covers is kept, and said so.
  const env = readEnv();
  if (env.DATABASE_URL || existsSync(join(env.DATA_DIR, "db"))) {
    let db: DbHandle;
    try {
      db = await createDb(env.DATABASE_URL, dbOptionsFrom(env));
    } catch (error) {
      // The file is checked; only the comparison with what is recorded waits.
      if (!(error instanceof DataDirInUse)) throw error;
      out(`note: ${runningOn(error, env)}, so recorded work was not compared with this file; check again while it is stopped.`);
      return 0;
    }
    try {
      for (const line of uncoveredRecords(loaded.file, await createStore(db.db).recordedWork())) out(`note: ${line}`);
    } finally {
      await db.close();
    }
  }
  return 0;
}

async function rosterImport(path: string, out: (s: string) => void, log: Logger): Promise<number> {
  if (!existsSync(path)) {
    out(`There is no roster file at ${resolve(path)}. Check the path, or export the roster as a CSV file with the columns email,name,role,department,mentor_email.`);
    return 1;
  }
  const steps = await boot(readEnv(), log);
  try {
    const result = await importRoster(steps.store, steps.program, readFileSync(path, "utf8"));
    out(`Imported ${path}: ${result.inserted} added, ${result.updated} updated.`);
    return 0;
  } finally {
    await steps.close();
  }
}

async function cancelLinks(email: string, out: (s: string) => void, log: Logger): Promise<number> {
  const steps = await boot(readEnv(), log);
  try {
    const person = await steps.store.personByEmail(email);
    if (!person) {
      out(`${email} is not on the roster: there are no links to cancel.`);
      return 1;
    }
    const links = createEmailLinks({ store: steps.store, program: steps.program, now: steps.now, baseUrl: publicUrl(steps.env) });
    const count = await links.cancelLinks(person.id);
    out(count === 0 ? `${person.name} has no unused email links: nothing to cancel.` : `Cancelled ${count} unused email link${count === 1 ? "" : "s"} of ${person.name}. Their next emails carry new links.`);
    return 0;
  } finally {
    await steps.close();
  }
}

async function runAs(email: string, text: string, out: (s: string) => void, log: Logger): Promise<number> {
  const steps = await boot(readEnv(), log);
  try {
    steps.dispatcher.register(consoleTransport(out));
    const person = await steps.store.personByEmail(email);
    if (!person) {
      out(`${email} is not on the roster. Import it with: steps roster import FILE.csv`);
      return 1;
    }
    out(toPlainText(await answer(steps.core, person, text, log)));
    await steps.dispatcher.kick();
    return 0;
  } finally {
    await steps.close();
  }
}
