import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, realpathSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { z } from "zod";

/**
 * One process at a time on a PGlite folder. PGlite is PostgreSQL in this
 * process's memory, writing its files as if nobody else did: a second process
 * on the same folder works on its own copy, and whichever writes last erases
 * what the other recorded. So the folder gets a lock file beside it
 * (`<folder>.lock`) naming its holder. A lock whose holder is gone (killed,
 * machine restarted) is taken over. Plain files, no native addon: the same on
 * Linux, macOS and in containers.
 */

const holderSchema = z.object({
  pid: z.number().int().positive(),
  /** The arguments the holder was started with, e.g. "serve". */
  command: z.string(),
  since: z.iso.datetime(),
  /** Linux's id of the running boot: a pid from an earlier boot names nobody. */
  boot: z.string().optional(),
});

export type LockHolder = z.infer<typeof holderSchema>;

export class DataDirInUse extends Error {
  readonly code = "data_dir_in_use";
  constructor(
    readonly lockFile: string,
    readonly holder: LockHolder,
  ) {
    super(`${lockFile}: the database is in use by process ${holder.pid} (${holder.command}) since ${holder.since}`);
    this.name = "DataDirInUse";
  }
}

/** Lock files this process holds: a lock naming our own pid is ours only if it is in here (see holds). */
const held = new Set<string>();

/** Takes the (existing) folder's lock or throws DataDirInUse; the function returned gives it back (also done at exit). */
export function lockDataDir(dataDir: string): () => void {
  // The real path: the same folder reached through a symlink has the same lock.
  const lockFile = `${realpathSync(dataDir)}.lock`;
  const text = JSON.stringify({ pid: process.pid, command: process.argv.slice(2).join(" "), since: new Date().toISOString(), boot: bootId() } satisfies LockHolder);
  // Written whole under a private name, then linked into place: the lock
  // appears at once with its content, and link fails if one exists.
  const draft = `${lockFile}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(draft, text, { flag: "wx", mode: 0o600 });
  try {
    for (;;) {
      try {
        linkSync(draft, lockFile);
        break;
      } catch (error) {
        if (!hasCode(error, "EEXIST")) throw error;
      }
      const current = readLock(lockFile);
      if (current === undefined) continue;
      if (current.holder && holds(current.holder, lockFile)) throw new DataDirInUse(lockFile, current.holder);
      removeIfUnchanged(lockFile, current.text);
    }
  } finally {
    unlinkSync(draft);
  }
  held.add(lockFile);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    held.delete(lockFile);
    try {
      if (readLock(lockFile)?.text === text) unlinkSync(lockFile);
    } catch {
      // Left behind, it names a process that is gone: the next opener takes it over.
    }
  };
  process.on("exit", release);
  return release;
}

/** The lock's text and holder (none when unreadable, e.g. emptied by a power cut); undefined when there is no lock. */
function readLock(lockFile: string): { text: string; holder?: LockHolder } | undefined {
  let text: string;
  try {
    text = readFileSync(lockFile, "utf8");
  } catch (error) {
    if (hasCode(error, "ENOENT")) return undefined;
    throw error;
  }
  try {
    return { text, holder: holderSchema.parse(JSON.parse(text)) };
  } catch {
    return { text };
  }
}

function holds(holder: LockHolder, lockFile: string): boolean {
  const boot = bootId();
  if (holder.boot && boot && holder.boot !== boot) return false;
  // Our own pid: this process, or an earlier life of it (a restarted container starts with the same pids).
  if (holder.pid === process.pid) return held.has(lockFile);
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's.
    return hasCode(error, "EPERM");
  }
  return !isZombie(holder.pid);
}

/**
 * A killed process stays in the process table until its parent reaps it, and
 * in a container whose first process is not an init (no `docker run --init`)
 * nobody may ever reap it: it answers signals but holds nothing.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false; // not Linux, or gone since: the signal's answer stands
  }
}

/**
 * Removes a stale lock, unless another process took it over since we read it.
 * Moving it aside is atomic, so of two processes taking over at once only one
 * moves the stale lock; the other finds the winner's lock instead and puts it
 * back.
 */
function removeIfUnchanged(lockFile: string, stale: string): void {
  const aside = `${lockFile}.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    renameSync(lockFile, aside);
  } catch (error) {
    if (hasCode(error, "ENOENT")) return;
    throw error;
  }
  try {
    if (readFileSync(aside, "utf8") !== stale) linkSync(aside, lockFile);
  } catch (error) {
    // A third process locked in the instant the lock was aside (three starting
    // at once on a stale lock): the caller finds it and refuses, though the
    // process whose lock was aside now runs without one.
    if (!hasCode(error, "EEXIST")) throw error;
  } finally {
    unlinkSync(aside);
  }
}

function bootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined; // not Linux: the pid alone says whether the holder lives
  }
}

function hasCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}
