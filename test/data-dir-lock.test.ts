import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.ts";
import { createDb, DataDirInUse } from "../db/client.ts";
import { lockDataDir } from "../db/lock.ts";
import { createStore } from "../db/store.ts";
import { freshDb, onPostgres } from "./support/db.ts";

// Two processes on one PGlite folder each work on their own copy of the
// database, and the last to write erases the other's records: the second
// opener is refused. Driven with real processes, as people run them.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const ANA = "ana.torres@example.org";
/** Starting Steps costs seconds of CPU; several start in each test on a machine that may be busy. */
const SLOW = 300_000;

/** A DATA_DIR with an empty PGlite folder (db) in it, by its real path as the lock names it. */
function tempDataDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "steps-lock-")));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "db"));
  return dir;
}

interface StepsProcess {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** The exit code, once the process has exited and its output is read. */
  exited: Promise<number | null>;
  /** The server's address, once it logs "Steps is listening"; rejects if it exits first. */
  listening: Promise<string>;
}

/** `steps <args>` in a process of its own, on PGlite in dataDir unless vars name a DATABASE_URL. */
function steps(args: string[], dataDir: string, vars: Record<string, string> = {}): StepsProcess {
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...vars };
  if (!vars.DATABASE_URL) delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", "tsx", "app/cli.ts", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      err += chunk;
      for (const line of err.split("\n")) {
        const entry = line.startsWith("{") && line.endsWith("}") ? (JSON.parse(line) as { message?: string; url?: string }) : {};
        if (entry.message === "Steps is listening") resolve(entry.url!.replace("localhost", "127.0.0.1"));
      }
    });
    void exited.then((code) => reject(new Error(`steps ${args.join(" ")} exited with ${code} before listening:\n${out}${err}`)));
  });
  listening.catch(() => {}); // awaited only for servers
  return { child, out: () => out, err: () => err, exited, listening };
}

/** The exit code of a process expected to exit, or "listening" if it serves instead (so a failure does not wait for the timeout). */
function outcome(p: StepsProcess): Promise<number | null | "listening"> {
  return Promise.race([p.exited, p.listening.then(() => "listening" as const, () => p.exited)]);
}

async function stop(server: StepsProcess): Promise<number | null> {
  server.child.kill("SIGTERM");
  return server.exited;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The one line a refused process prints, naming the holder; no stack. */
function expectRefused(refused: StepsProcess, code: number | null | "listening", holder: number, command: string): void {
  expect(code, refused.out() + refused.err()).toBe(1);
  expect(refused.out()).toMatch(new RegExp(`^Steps is already running on \\S+ \\(pid ${holder}, \`steps ${escape(command)}\`, since [^)]+\\)\\. .*set DATABASE_URL to a shared PostgreSQL database\\. If pid ${holder} is not Steps, delete \\S+db\\.lock\\.\\n$`));
  expect(refused.err()).not.toMatch(/\n\s+at /);
}

describe("two processes on one database", () => {
  const title = onPostgres ? "share PostgreSQL: a command beside the server is recorded" : "on PGlite, a command or a second server beside the server is refused and the server's data is intact";
  it(
    title,
    async () => {
      const dataDir = tempDataDir();
      const vars: Record<string, string> = {};
      if (onPostgres) {
        const db = await freshDb();
        cleanups.push(() => db.close());
        Object.assign(vars, { DATABASE_URL: db.url!, ROSTER_FILE: "programs/summer-steps-roster.csv" });
      }
      const server = steps(["serve"], dataDir, vars);
      const url = await server.listening;
      const cli = steps(["as", ANA, "done interview-staff https://example.org/notes Interviewed the clerk"], dataDir, vars);
      const second = steps(["serve"], dataDir, vars);
      const cliCode = await cli.exited;
      if (onPostgres) {
        expect(cliCode, cli.out() + cli.err()).toBe(0);
        expect(cli.out()).toMatch(/^Recorded Interview a city staff member/);
        await second.listening;
        expect(await stop(second)).toBe(0);
      } else {
        expectRefused(cli, cliCode, server.child.pid!, "serve");
        expectRefused(second, await outcome(second), server.child.pid!, "serve");
      }
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(await stop(server)).toBe(0);
      expect(existsSync(join(dataDir, "db.lock"))).toBe(false);

      const db = await createDb(vars.DATABASE_URL, { dataDir: join(dataDir, "db") });
      cleanups.push(() => db.close());
      const store = createStore(db.db);
      const ana = await store.personByEmail(ANA);
      expect(ana?.name).toBe("Ana Torres");
      expect((await store.submissionsOf(ana!.id)).map((s) => s.task)).toEqual(onPostgres ? ["interview-staff"] : []);
    },
    SLOW,
  );

  it(
    "a server started while another process has the PGlite folder open is refused with the holder's pid",
    async () => {
      const dataDir = tempDataDir();
      const held = await createDb(undefined, { dataDir: join(dataDir, "db") });
      cleanups.push(() => held.close());
      const server = steps(["serve"], dataDir);
      expectRefused(server, await outcome(server), process.pid, process.argv.slice(2).join(" "));
      await held.close();
      expect(existsSync(join(dataDir, "db.lock"))).toBe(false);
    },
    SLOW,
  );

  it(
    "a lock left by a killed server is taken over by exactly one of two servers starting at once",
    async () => {
      const dataDir = tempDataDir();
      const killed = steps(["serve"], dataDir);
      await killed.listening;
      killed.child.kill("SIGKILL");
      await killed.exited;
      const lockFile = join(dataDir, "db.lock");
      expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({ pid: killed.child.pid, command: "serve" });

      const both = [steps(["serve"], dataDir), steps(["serve"], dataDir)];
      const first = await Promise.any(both.map((s, i) => s.listening.then(() => i)));
      const [winner, loser] = [both[first]!, both[1 - first]!];
      expectRefused(loser, await outcome(loser), winner.child.pid!, "serve");
      expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({ pid: winner.child.pid });
      expect(await stop(winner)).toBe(0);
      expect(existsSync(lockFile)).toBe(false);
    },
    SLOW,
  );
});

describe("the PGlite folder's lock", () => {
  /** A lock file as another process would have left it. */
  function lockOf(dataDir: string, holder: Record<string, unknown> | string): string {
    const lockFile = `${join(dataDir, "db")}.lock`;
    writeFileSync(lockFile, typeof holder === "string" ? holder : JSON.stringify({ command: "serve", since: new Date().toISOString(), ...holder }));
    return lockFile;
  }

  /** The pid of a process that has exited. */
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => child.once("exit", resolve));
    return child.pid!;
  }

  const held = (dataDir: string) => {
    const release = lockDataDir(join(dataDir, "db"));
    cleanups.push(release);
    return release;
  };

  it("refuses a second opener in the same process, also by another path, and while another live process holds it", () => {
    const dataDir = tempDataDir();
    held(dataDir);
    expect(() => lockDataDir(join(dataDir, "db"))).toThrow(DataDirInUse);
    const link = join(tempDataDir(), "elsewhere");
    symlinkSync(join(dataDir, "db"), link);
    expect(() => lockDataDir(link)).toThrow(DataDirInUse);
    const other = tempDataDir();
    lockOf(other, { pid: process.ppid });
    expect(() => lockDataDir(join(other, "db"))).toThrow(expect.objectContaining({ code: "data_dir_in_use", holder: expect.objectContaining({ pid: process.ppid, command: "serve" }) }));
  });

  it("takes over a lock whose holder is gone: a dead pid, this pid from an earlier life, an unreadable file", async () => {
    for (const holder of [{ pid: await deadPid() }, { pid: process.pid }, "", "{not json"]) {
      const dataDir = tempDataDir();
      const lockFile = lockOf(dataDir, holder);
      const release = held(dataDir);
      expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({ pid: process.pid });
      release();
      expect(existsSync(lockFile)).toBe(false);
    }
  });

  it("takes over a live pid's lock from an earlier boot (Linux, which names its boots)", () => {
    const linux = existsSync("/proc/sys/kernel/random/boot_id");
    const dataDir = tempDataDir();
    lockOf(dataDir, { pid: process.ppid, boot: "an-earlier-boot" });
    if (linux) expect(held(dataDir)).toBeTypeOf("function");
    else expect(() => held(dataDir)).toThrow(DataDirInUse);
  });

  it("is given back only if it is still this process's", () => {
    const dataDir = tempDataDir();
    const release = held(dataDir);
    const lockFile = lockOf(dataDir, { pid: process.ppid });
    release();
    expect(existsSync(lockFile)).toBe(true);
  });
});

describe("the command line beside a process that holds the PGlite folder", () => {
  /** The CLI beside it, on the embedded database. */
  const cli = async (args: string[], vars: Record<string, string>) => {
    const { code, out } = await runCli(args, vars, ["DATABASE_URL"]);
    return { code, out: out.split("\n") };
  };

  it("steps as, roster import, run-due and serve say who holds it and what to do, in one line", async () => {
    const dataDir = tempDataDir();
    cleanups.push(lockDataDir(join(dataDir, "db")));
    const vars = { DATA_DIR: dataDir, PORT: "3456" };
    for (const args of [["as", ANA, "status"], ["roster", "import", "programs/summer-steps-roster.csv"], ["run-due"], ["serve"]]) {
      const { code, out } = await cli(args, vars);
      expect(code).toBe(1);
      expect(out).toHaveLength(1);
      expect(out[0]).toContain(`Steps is already running on ${dataDir} (pid ${process.pid}, `);
      expect(out[0]).toContain(`If pid ${process.pid} is not Steps, delete ${join(dataDir, "db.lock")}.`);
    }
  });

  it("suggests the running server's playground, or waiting for a short command", async () => {
    const dataDir = tempDataDir();
    writeFileSync(join(dataDir, "db.lock"), JSON.stringify({ pid: process.ppid, command: "serve", since: "2026-06-17T17:02:00.000Z" }));
    const vars = { DATA_DIR: dataDir, PORT: "3456" };
    const served = await cli(["as", ANA, "status"], vars);
    expect(served.out[0]).toMatch(/^Steps is already running on \S+ \(pid \d+, `steps serve`, since .*2026.*\)\. Stop it first, or do this in chat or in the playground \(http:\/\/localhost:3456\/\) while it runs\. /);
    writeFileSync(join(dataDir, "db.lock"), JSON.stringify({ pid: process.ppid, command: `as ${ANA} status`, since: "2026-06-17T17:02:00.000Z" }));
    const asked = await cli(["run-due"], vars);
    expect(asked.out[0]).toContain(`\`steps as ${ANA} status\`, since `);
    expect(asked.out[0]).toContain(". Try again once it has finished. ");
  });

  it("says since when in the terminal's language, with the hour as Spanish says it", async () => {
    const dataDir = tempDataDir();
    const vars = { DATA_DIR: dataDir, PORT: "3456", LC_ALL: "es_ES.UTF-8" };
    // The time is written in this process's time zone, whichever it is: these are 1:02 and 13:02 there.
    for (const [hour, said] of [[1, "a la 1:02"], [13, "a las 13:02"]] as const) {
      writeFileSync(join(dataDir, "db.lock"), JSON.stringify({ pid: process.ppid, command: "serve", since: new Date(2026, 5, 17, hour, 2).toISOString() }));
      const { out } = await cli(["run-due"], vars);
      expect(out[0]).toContain(`\`steps serve\`, desde el 17 jun 2026 ${said})`);
    }
  });

  it("config check still checks the file, and says recorded work was not compared", async () => {
    const dataDir = tempDataDir();
    cleanups.push(lockDataDir(join(dataDir, "db")));
    const { code, out } = await cli(["config", "check", "programs/summer-steps.yml"], { DATA_DIR: dataDir });
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^programs\/summer-steps\.yml: valid/);
    expect(out[1]).toMatch(new RegExp(`^note: Steps is already running on \\S+ \\(pid ${process.pid}, .*\\), so recorded work was not compared with this file; check again while it is stopped\\.$`));
  });
});
