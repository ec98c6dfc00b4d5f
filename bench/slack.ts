import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { Agent, request } from "node:http";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { createStore } from "../db/store.ts";
import { slackHeaders } from "../test/support/fake-slack.ts";
import { cpuLine, cpuPerOperation, readCpu, type CpuReading } from "./lib/cpu.ts";
import { withDatabase } from "./lib/database.ts";
import { median, percentile, runConcurrent, type Run } from "./lib/measure.ts";

// Signed `/steps done` requests through the whole stack (Bolt HTTPReceiver on
// the shared server, identity, core, PostgreSQL, outbox, Slack transport)
// against a bare Bolt app with the same receiver that acks with a fixed text.
// The app under test (bench/lib/slack-app.ts) and the fake Slack API
// (bench/lib/fake-slack-process.ts) each run in a process of their own; this
// one only sends requests and times the acks.
// Ack latency is what Slack waits for (3 s limit); "completed" means acked,
// stored, and the mentor's DM received by the fake Slack API.

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// Sent before each timed part and not counted, as a long-running bot is past
// its first requests (compiling hot code, opening connections, preparing
// statements); BENCH_WARMUP=0 measures from a cold start.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? "1,16").split(",").map(Number);
/** Requests per second of the open-loop part: below saturation, to see latency rather than a queue. */
const RATE = Number(process.env.BENCH_RATE ?? 100);
const INTERNS_PER_MENTOR = 8;
const SECRET = "bench-signing-secret-0123456789";
const PROGRAM_FILE = "programs/summer-steps.yml";
// Every task of the sample program's Public Works playlist, all approved by the mentor.
const TASKS = ["fleet-shop", "traffic-count", "capital-project", "facility-work-orders", "street-inventory"];

interface Result {
  ack: Run;
  /** Requests per second until the last mentor DM reached Slack (full stack only). */
  completedPerSecond?: number;
  /** CPU milliseconds per request, by process, over the timed part of the run. */
  cpu: CpuReading;
  /** Open loop: from each request sent to its mentor message reaching Slack. */
  endToEndMs?: number[];
  /** MiB of the (first) app process: started and idle, and after the run. */
  rss?: { idle?: number; after?: number };
}

/** Request n of a run; Slack gives every command a trigger_id of its own, which keys it in the inbox. */
function commandBody(n: number, userId: string, text: string, fake: FakeSlack): string {
  return new URLSearchParams({ team_id: "T1", channel_id: "C0BENCH", user_id: userId, command: "/steps", text, response_url: fake.responseUrl(n), trigger_id: `trigger-${n}` }).toString();
}

interface Signed {
  body: string;
  headers: Record<string, string>;
}

/** Signed before the clock starts: Slack's signing is Slack's work, not the app's (a run is well inside the 5-minute window). */
const sign = (body: string): Signed => ({ body, headers: slackHeaders(SECRET, body, "application/x-www-form-urlencoded") });

/**
 * Posts with node:http over kept-alive sockets, one per request in flight as
 * Slack's senders do. fetch cost the load generator ~2 ms of CPU per request,
 * enough on two cores to slow whatever it measured.
 */
function poster(url: string, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (signed: Signed) =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { method: "POST", agent, headers: { ...signed.headers, "content-length": Buffer.byteLength(signed.body) } }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`ack failed: ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end(signed.body);
    });
  return { post, close: () => agent.destroy() };
}

/** Starts a bench/lib script in its own process; it announces itself as one JSON line. */
async function startProcess<T>(script: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []): Promise<T & { pid?: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  return {
    ...(JSON.parse(line) as T),
    pid: child.pid,
    async stop() {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

/** The app under test; BENCH_NODE_ARGS="--cpu-prof" profiles it. */
const startApp = (mode: "bare" | "steps", env: Record<string, string>) =>
  startProcess<{ url: string }>("bench/lib/slack-app.ts", [mode], env, process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean));

interface Counts {
  mentorDms: number;
  replies: number;
  notRecorded: number;
  example?: string;
}

async function startFake() {
  const fake = await startProcess<{ url: string; apiUrl: string; control: string }>("bench/lib/fake-slack-process.ts", [], {});
  const command = async (path: string, body?: unknown): Promise<Counts> => {
    const res = await fetch(`${fake.control}${path}`, { method: body === undefined ? "GET" : "POST", body: body === undefined ? undefined : JSON.stringify(body) });
    return (await res.json()) as Counts;
  };
  return {
    ...fake,
    responseUrl: (n: number) => `${fake.url}/respond/${n}`,
    set: (options: unknown) => command("/set", options),
    clear: () => command("/clear", {}),
    /** Answers once n mentor messages and n replies have arrived, or after 120 s with what has. */
    arrived: (n: number) => command(`/wait?for=${n}`),
    /** [request number, epoch ms] of each mentor message that has arrived. */
    arrivals: async () => (await (await fetch(`${fake.control}/arrivals`)).json()) as [number, number][],
  };
}

type FakeSlack = Awaited<ReturnType<typeof startFake>>;

const slackEnv = (fake: FakeSlack) => ({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: "xoxb-bench", SLACK_API_URL: fake.apiUrl });

async function bare(fake: FakeSlack, concurrency: number): Promise<Result> {
  const app = await startApp("bare", slackEnv(fake));
  const all = Array.from({ length: WARMUP + REQUESTS }, (_, i) => sign(commandBody(i, `U${i}`, `done ${TASKS[i % TASKS.length]} bench note`, fake)));
  const client = poster(app.url, concurrency);
  await runConcurrent(all.slice(0, WARMUP), concurrency, client.post);
  const before = readCpu({ app: app.pid, fake: fake.pid });
  const ack = await runConcurrent(all.slice(WARMUP), concurrency, client.post);
  const cpu = cpuPerOperation(before, readCpu({ app: app.pid, fake: fake.pid }), REQUESTS);
  client.close();
  await app.stop();
  return { ack, cpu };
}

/** Resident memory of a process in MiB, where `ps` works (Linux, macOS, containers). */
function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim()) / 1024;
  } catch {
    return undefined;
  }
}

/** How the full stack is driven: closed loop (`concurrency` in flight) or open loop (`rate` requests per second). */
type Load = { concurrency: number; rate?: undefined } | { rate: number; concurrency?: undefined };

/** Sends every request at `rate` per second whatever the answers, as Slack does; resolves with each one's send time (epoch ms). */
async function openLoop(items: readonly Signed[], rate: number, post: (s: Signed) => Promise<void>): Promise<{ ack: Run; sentAt: number[] }> {
  const sentAt: number[] = [];
  const latenciesMs: number[] = [];
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < items.length; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sentAt[i] = Date.now();
    const t = performance.now();
    inFlight.push(post(items[i]!).then(() => void latenciesMs.push(performance.now() - t)));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  return { ack: { count: items.length, seconds, perSecond: items.length / seconds, latenciesMs }, sentAt };
}

/** The whole stack on a fresh PostgreSQL database: `instances` Steps processes sharing it, requests dealt round-robin. */
async function full(fake: FakeSlack, load: Load, instances = 1): Promise<Result> {
  const interns = Math.ceil((WARMUP + REQUESTS) / TASKS.length);
  const mentors = Math.ceil(interns / INTERNS_PER_MENTOR);
  const emails: Record<string, string> = {};
  for (let i = 0; i < interns; i++) emails[`UI${i}`] = `i${i}@bench.test`;
  for (let m = 0; m < mentors; m++) emails[`UM${m}`] = `m${m}@bench.test`;
  await fake.set({ emails });
  await fake.clear();
  const inFlight = load.concurrency ?? 32;
  return withDatabase("postgres", async (handle, url) => {
    const store = createStore(handle.db);
    await store.upsertPeople([
      ...Array.from({ length: mentors }, (_, m) => ({ email: `m${m}@bench.test`, name: `Mentor ${m}`, role: "mentor" as const, department: "public-works", mentorEmail: null })),
      ...Array.from({ length: interns }, (_, i) => ({ email: `i${i}@bench.test`, name: `Intern ${i}`, role: "intern" as const, department: "public-works", mentorEmail: `m${Math.floor(i / INTERNS_PER_MENTOR)}@bench.test` })),
    ]);
    const env = { ...slackEnv(fake), DATABASE_URL: url!, PROGRAM_FILE, PORT: "0", HOST: "127.0.0.1", PUBLIC_URL: "http://bench.test", LOG_LEVEL: "warn" };
    const apps = [];
    for (let i = 0; i < instances; i++) apps.push(await startApp("steps", env));
    try {
      const rssIdle = rssMiB(apps[0]!.pid);
      // Task-major: requests in flight belong to different interns, as in a real cohort; each (intern, task) once,
      // since a repeat would measure the "already waiting" reply. The note names the request, for its arrival time.
      const all = Array.from({ length: WARMUP + REQUESTS }, (_, n) => sign(commandBody(n, `UI${n % interns}`, `done ${TASKS[Math.floor(n / interns)]} bench-n${n}`, fake)));
      const clients = apps.map((app) => poster(app.url, inFlight));
      let turn = 0;
      const post = (signed: Signed) => clients[turn++ % clients.length]!.post(signed);
      await runConcurrent(all.slice(0, WARMUP), inFlight, post);
      const warm = await fake.arrived(WARMUP);
      if (warm.mentorDms < WARMUP || warm.notRecorded) throw new Error(`warm-up: ${warm.mentorDms} of ${WARMUP} mentor messages, ${warm.replies} replies, ${warm.notRecorded} not recorded`);
      await fake.clear();
      const before = readCpu({ app: apps[0]!.pid, app2: apps[1]?.pid, fake: fake.pid });
      const start = performance.now();
      const timed = all.slice(WARMUP);
      const sent = load.rate !== undefined ? await openLoop(timed, load.rate, post) : { ack: await runConcurrent(timed, load.concurrency, post), sentAt: undefined };
      for (const client of clients) client.close();
      const counts = await fake.arrived(REQUESTS);
      if (counts.mentorDms < REQUESTS || counts.replies < REQUESTS) {
        const failed = (await store.digestRows(new Date(0))).failedDeliveries.map((f) => `${f.key}: ${f.lastError}`);
        throw new Error(`only ${counts.mentorDms} of ${REQUESTS} mentor messages and ${counts.replies} replies arrived; failed: ${failed.join("; ") || "none"}`);
      }
      const seconds = (performance.now() - start) / 1000;
      const cpu = cpuPerOperation(before, readCpu({ app: apps[0]!.pid, app2: apps[1]?.pid, fake: fake.pid }), REQUESTS);
      if (instances === 1) delete cpu.app2;
      const stored = (await store.recordedWork()).reduce((n, w) => n + w.count, 0);
      if (stored !== WARMUP + REQUESTS) throw new Error(`${stored} of ${WARMUP + REQUESTS} submissions stored`);
      if (counts.notRecorded) throw new Error(`${counts.notRecorded} commands were not recorded, e.g. ${counts.example}`);
      let endToEndMs: number[] | undefined;
      if (sent.sentAt) {
        const arrivals = await fake.arrivals();
        endToEndMs = arrivals.map(([n, at]) => at - sent.sentAt![n - WARMUP]!);
      }
      return { ack: sent.ack, completedPerSecond: REQUESTS / seconds, cpu, endToEndMs, rss: { idle: rssIdle, after: rssMiB(apps[0]!.pid) } };
    } finally {
      for (const app of apps) await app.stop();
    }
  });
}

const ms = (v: number) => `${v.toFixed(2)} ms`;
const mib = (v: number | undefined) => (v === undefined ? "n/a" : `${v.toFixed(0)} MiB`);
type Row = { bare?: Result; full: Result };
const med = (rows: Row[], pick: (r: Row) => number) => median(rows.map(pick));
const medianCpu = (results: Result[]): CpuReading =>
  Object.fromEntries(Object.keys(results[0]!.cpu).map((k) => [k, results.some((r) => r.cpu[k] === undefined) ? undefined : median(results.map((r) => r.cpu[k]!))]));

function summary(title: string, rows: Row[]): void {
  const p = (r: Result | undefined, q: number) => (r ? percentile(r.ack.latenciesMs, q) : NaN);
  console.log(`${title} (median of ${rows.length}):`);
  if (rows[0]!.bare) {
    const bareP99 = med(rows, (r) => p(r.bare, 99));
    console.log(`  bare Bolt ack  p50 ${ms(med(rows, (r) => p(r.bare, 50)))}  p99 ${ms(bareP99)}`);
    console.log(`  Steps ack      p50 ${ms(med(rows, (r) => p(r.full, 50)))}  p99 ${ms(med(rows, (r) => p(r.full, 99)))}  p99 ratio ${(med(rows, (r) => p(r.full, 99)) / bareP99).toFixed(2)} (target ≤ 2)`);
  } else {
    console.log(`  Steps ack      p50 ${ms(med(rows, (r) => p(r.full, 50)))}  p99 ${ms(med(rows, (r) => p(r.full, 99)))}`);
  }
  console.log(`  completed (acked, stored, mentor DM delivered): ${med(rows, (r) => r.full.completedPerSecond!).toFixed(0)}/s (target ≥ 300/s)`);
  if (rows[0]!.full.endToEndMs) {
    console.log(`  end to end, request → mentor message: p50 ${ms(med(rows, (r) => percentile(r.full.endToEndMs!, 50)))}  p99 ${ms(med(rows, (r) => percentile(r.full.endToEndMs!, 99)))}`);
  }
  console.log(`  app RSS: idle ${mib(med(rows, (r) => r.full.rss?.idle ?? NaN))}, after the run ${mib(med(rows, (r) => r.full.rss?.after ?? NaN))}`);
  console.log(`  CPU ms per request (median): ${rows[0]!.bare ? `bare ${cpuLine(medianCpu(rows.map((r) => r.bare!)))} · ` : ""}Steps ${cpuLine(medianCpu(rows.map((r) => r.full)))}`);
}

function runLine(label: string, row: Row): void {
  const p = (r: Result, q: number) => percentile(r.ack.latenciesMs, q);
  const bare = row.bare ? `bare p50 ${ms(p(row.bare, 50))} p99 ${ms(p(row.bare, 99))} · ` : "";
  const e2e = row.full.endToEndMs ? ` · end to end p50 ${ms(percentile(row.full.endToEndMs, 50))} p99 ${ms(percentile(row.full.endToEndMs, 99))}` : "";
  console.log(`  ${label}: ${bare}steps p50 ${ms(p(row.full, 50))} p99 ${ms(p(row.full, 99))} · completed ${row.full.completedPerSecond!.toFixed(0)}/s${e2e}`);
}

if (!process.env.DATABASE_URL) {
  console.log("bench/slack.ts needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)");
  process.exit(0);
}
console.log(`/steps done through Bolt: ${REQUESTS} signed requests per run after ${WARMUP} not timed, ${RUNS} runs, distinct (intern, task) pairs, node ${process.version}`);
const fake = await startFake();
try {
  for (const concurrency of CONCURRENCIES) {
    const rows: Row[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Interleaved, so both sides see the same machine conditions.
      const row = { bare: await bare(fake, concurrency), full: await full(fake, { concurrency }) };
      rows.push(row);
      runLine(`c=${concurrency} run ${run + 1}`, row);
    }
    summary(`closed loop, concurrency ${concurrency}`, rows);
  }
  const two: Row[] = [];
  const c = Math.max(...CONCURRENCIES);
  for (let run = 0; run < RUNS; run++) {
    two.push({ full: await full(fake, { concurrency: c }, 2) });
    runLine(`two instances, c=${c}, run ${run + 1}`, two.at(-1)!);
  }
  summary(`two instances on one database, concurrency ${c}`, two);
  const open: Row[] = [];
  for (let run = 0; run < RUNS; run++) {
    open.push({ full: await full(fake, { rate: RATE }) });
    runLine(`open loop ${RATE}/s, run ${run + 1}`, open.at(-1)!);
  }
  summary(`open loop, ${RATE} requests/s`, open);
} finally {
  await fake.stop();
}
