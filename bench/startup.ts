import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { median } from "./lib/measure.ts";
import { withDatabaseVars, type DatabaseVars } from "./lib/database.ts";

// Start-up and memory of the server as an operator runs it: `npm start` until
// the first 200 on /healthz, then the server process's resident memory right
// then and after it has sat idle. Baselines in the same run: a bare Node HTTP
// server started through npm's same path (`npm exec node`), and an empty
// PGlite process (the floor the embedded database costs by itself).

const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const MiB = 1024 * 1024;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** Resident memory of the deepest process under `root` (npm → sh → node): the server itself. Works wherever `ps` does. */
function leafRss(root: number): number {
  const rows = execFileSync("ps", ["-A", "-o", "pid=,ppid=,rss="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number, number]);
  let pid = root;
  for (;;) {
    const child = rows.find(([, ppid]) => ppid === pid);
    if (!child) return ((rows.find(([p]) => p === pid)?.[2] ?? 0) * 1024) / MiB;
    pid = child[0];
  }
}

async function untilHealthy(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before answering ${url}`);
    const ok = await fetch(url).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Start {
  seconds: number;
  rssReady: number;
  rssIdle: number;
}

/** One start: spawn, time to the first 200, memory then and after IDLE_MS, then a clean stop. */
async function start(command: string[], env: Record<string, string>, path = "/healthz"): Promise<Start> {
  const port = await freePort();
  const t0 = performance.now();
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env, PORT: String(port), LOG_LEVEL: "warn" };
  // PGlite rows run with no DATABASE_URL, whatever this process was given.
  if (!("DATABASE_URL" in env)) delete childEnv.DATABASE_URL;
  const child = spawn(command[0]!, command.slice(1), { env: childEnv, stdio: ["ignore", "ignore", "inherit"], detached: true });
  try {
    await untilHealthy(`http://127.0.0.1:${port}${path}`, child);
    const seconds = (performance.now() - t0) / 1000;
    const rssReady = leafRss(child.pid!);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { seconds, rssReady, rssIdle: leafRss(child.pid!) };
  } finally {
    process.kill(-child.pid!, "SIGTERM");
    if (child.exitCode === null) await once(child, "exit");
  }
}

const bareServer = `require("node:http").createServer((q, s) => s.end("ok")).listen(process.env.PORT, "127.0.0.1")`;
const pgliteFloor = `
const { PGlite } = await import("@electric-sql/pglite");
const db = new PGlite(process.env.DATA_DIR);
await db.query("select 1");
require("node:http").createServer((q, s) => s.end("ok")).listen(process.env.PORT, "127.0.0.1");`;

function report(name: string, starts: Start[]): void {
  const first = starts[0]!;
  const rest = starts.length > 1 ? starts.slice(1) : starts;
  const row = (label: string, pick: (s: Start) => number, unit: string, digits: number) => `${label} ${median(rest.map(pick)).toFixed(digits)} ${unit}`;
  console.log(
    `  ${name.padEnd(34)} first ${first.seconds.toFixed(2)} s · then ${row("median", (s) => s.seconds, "s", 2)} · RSS ${row("at ready", (s) => s.rssReady, "MiB", 0)}, ${row("idle", (s) => s.rssIdle, "MiB", 0)}`,
  );
}

async function steps(kind: "pglite" | "postgres"): Promise<void> {
  await withDatabaseVars(kind, async (vars: DatabaseVars) => {
    const starts: Start[] = [];
    for (let i = 0; i < STARTS; i++) starts.push(await start(["npm", "start", "--silent"], { ...vars }));
    report(`npm start, ${kind}`, starts);
  });
}

console.log(`npm start → first 200 on /healthz, ${STARTS} starts each (the first on a new database), RSS of the server process after ${IDLE_MS / 1000} s idle, node ${process.version}`);
const bare: Start[] = [];
for (let i = 0; i < STARTS; i++) bare.push(await start(["npm", "exec", "--", "node", "-e", bareServer], {}, "/"));
report("baseline: bare node http (npm exec)", bare);
await withDatabaseVars("pglite", async (vars) => {
  const floor: Start[] = [];
  for (let i = 0; i < STARTS; i++) floor.push(await start(["node", "--input-type=module", "-e", `import { createRequire } from "node:module"; const require = createRequire(import.meta.url);${pgliteFloor}`], vars as Record<string, string>, "/"));
  report("baseline: empty PGlite process", floor);
});
await steps("pglite");
if (process.env.DATABASE_URL) await steps("postgres");
else console.log("  (set DATABASE_URL for the PostgreSQL rows)");
