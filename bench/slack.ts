import { spawn } from "node:child_process";
import { once } from "node:events";
import { Agent, request } from "node:http";
import { createInterface } from "node:readline";
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
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? "1,32").split(",").map(Number);
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
}

function commandBody(userId: string, text: string, responseUrl: string): string {
  return new URLSearchParams({ team_id: "T1", channel_id: "C0BENCH", user_id: userId, command: "/steps", text, response_url: responseUrl, trigger_id: "t" }).toString();
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
  };
}

type FakeSlack = Awaited<ReturnType<typeof startFake>>;

const slackEnv = (fake: FakeSlack) => ({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: "xoxb-bench", SLACK_API_URL: fake.apiUrl });

async function bare(fake: FakeSlack, concurrency: number): Promise<Result> {
  const app = await startApp("bare", slackEnv(fake));
  const all = Array.from({ length: WARMUP + REQUESTS }, (_, i) => sign(commandBody(`U${i}`, `done ${TASKS[i % TASKS.length]} bench note`, fake.responseUrl(i))));
  const client = poster(app.url, concurrency);
  await runConcurrent(all.slice(0, WARMUP), concurrency, client.post);
  const before = readCpu({ app: app.pid, fake: fake.pid });
  const ack = await runConcurrent(all.slice(WARMUP), concurrency, client.post);
  const cpu = cpuPerOperation(before, readCpu({ app: app.pid, fake: fake.pid }), REQUESTS);
  client.close();
  await app.stop();
  return { ack, cpu };
}

async function full(fake: FakeSlack, concurrency: number): Promise<Result> {
  const interns = Math.ceil((WARMUP + REQUESTS) / TASKS.length);
  const mentors = Math.ceil(interns / INTERNS_PER_MENTOR);
  const emails: Record<string, string> = {};
  for (let i = 0; i < interns; i++) emails[`UI${i}`] = `i${i}@bench.test`;
  for (let m = 0; m < mentors; m++) emails[`UM${m}`] = `m${m}@bench.test`;
  await fake.set({ emails });
  await fake.clear();
  return withDatabase("postgres", async (handle, url) => {
    const store = createStore(handle.db);
    await store.upsertPeople([
      ...Array.from({ length: mentors }, (_, m) => ({ email: `m${m}@bench.test`, name: `Mentor ${m}`, role: "mentor" as const, department: "public-works", mentorEmail: null })),
      ...Array.from({ length: interns }, (_, i) => ({ email: `i${i}@bench.test`, name: `Intern ${i}`, role: "intern" as const, department: "public-works", mentorEmail: `m${Math.floor(i / INTERNS_PER_MENTOR)}@bench.test` })),
    ]);
    const app = await startApp("steps", {
      ...slackEnv(fake),
      DATABASE_URL: url!,
      PROGRAM_FILE,
      PORT: "0",
      HOST: "127.0.0.1",
      PUBLIC_URL: "http://bench.test",
      LOG_LEVEL: "warn",
      BENCH_CONNECTIONS: String(Math.max(10, concurrency)),
    });
    try {
      // Task-major: requests in flight belong to different interns, as in a real cohort; each (intern, task) once,
      // since a repeat would measure the "already waiting" reply.
      const all = Array.from({ length: WARMUP + REQUESTS }, (_, n) => sign(commandBody(`UI${n % interns}`, `done ${TASKS[Math.floor(n / interns)]} bench note`, fake.responseUrl(n))));
      const client = poster(app.url, concurrency);
      await runConcurrent(all.slice(0, WARMUP), concurrency, client.post);
      const warm = await fake.arrived(WARMUP);
      if (warm.mentorDms < WARMUP || warm.notRecorded) throw new Error(`warm-up: ${warm.mentorDms} of ${WARMUP} mentor messages, ${warm.notRecorded} not recorded`);
      await fake.clear();
      const before = readCpu({ app: app.pid, fake: fake.pid });
      const start = performance.now();
      const ack = await runConcurrent(all.slice(WARMUP), concurrency, client.post);
      client.close();
      const counts = await fake.arrived(REQUESTS);
      if (counts.mentorDms < REQUESTS || counts.replies < REQUESTS) {
        const failed = (await store.digestRows(new Date(0))).failedDeliveries.map((f) => `${f.key}: ${f.lastError}`);
        throw new Error(`only ${counts.mentorDms} of ${REQUESTS} mentor messages and ${counts.replies} replies arrived; failed: ${failed.join("; ") || "none"}`);
      }
      const seconds = (performance.now() - start) / 1000;
      const cpu = cpuPerOperation(before, readCpu({ app: app.pid, fake: fake.pid }), REQUESTS);
      const stored = (await store.recordedWork()).reduce((n, w) => n + w.count, 0);
      if (stored !== WARMUP + REQUESTS) throw new Error(`${stored} of ${WARMUP + REQUESTS} submissions stored`);
      if (counts.notRecorded) throw new Error(`${counts.notRecorded} commands were not recorded, e.g. ${counts.example}`);
      return { ack, completedPerSecond: REQUESTS / seconds, cpu };
    } finally {
      await app.stop();
    }
  });
}

const ms = (v: number) => `${v.toFixed(2)} ms`;

if (!process.env.DATABASE_URL) {
  console.log("bench/slack.ts needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)");
  process.exit(0);
}
console.log(`/steps done through Bolt: ${REQUESTS} signed requests per run after ${WARMUP} not timed, ${RUNS} runs, distinct (intern, task) pairs, node ${process.version}`);
const fake = await startFake();
try {
  for (const concurrency of CONCURRENCIES) {
    const rows: { bare: Result; full: Result }[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Interleaved, so both sides see the same machine conditions.
      const b = await bare(fake, concurrency);
      const f = await full(fake, concurrency);
      rows.push({ bare: b, full: f });
      const p = (r: Result, q: number) => percentile(r.ack.latenciesMs, q);
      console.log(
        `  c=${concurrency} run ${run + 1}: bare p50 ${ms(p(b, 50))} p99 ${ms(p(b, 99))} · steps p50 ${ms(p(f, 50))} p99 ${ms(p(f, 99))} · completed ${f.completedPerSecond!.toFixed(0)}/s`,
      );
      console.log(`    CPU ms per request: bare: ${cpuLine(b.cpu)} · steps: ${cpuLine(f.cpu)}`);
    }
    const med = (pick: (r: { bare: Result; full: Result }) => number) => median(rows.map(pick));
    const bareP50 = med((r) => percentile(r.bare.ack.latenciesMs, 50));
    const bareP99 = med((r) => percentile(r.bare.ack.latenciesMs, 99));
    const fullP50 = med((r) => percentile(r.full.ack.latenciesMs, 50));
    const fullP99 = med((r) => percentile(r.full.ack.latenciesMs, 99));
    const completed = med((r) => r.full.completedPerSecond!);
    console.log(`concurrency ${concurrency} (median of ${RUNS}):`);
    console.log(`  bare Bolt ack  p50 ${ms(bareP50)}  p99 ${ms(bareP99)}`);
    console.log(`  Steps ack      p50 ${ms(fullP50)}  p99 ${ms(fullP99)}  p99 ratio ${(fullP99 / bareP99).toFixed(2)} (target ≤ 1.5)`);
    console.log(`  completed (acked, stored, mentor DM delivered): ${completed.toFixed(0)}/s (target ≥ 300/s)`);
    const medianCpu = (side: "bare" | "full"): CpuReading =>
      Object.fromEntries(Object.keys(rows[0]![side].cpu).map((k) => [k, rows.some((r) => r[side].cpu[k] === undefined) ? undefined : med((r) => r[side].cpu[k]!)]));
    console.log(`  CPU ms per request (median): bare ${cpuLine(medianCpu("bare"))} · Steps ${cpuLine(medianCpu("full"))}`);
  }
} finally {
  await fake.stop();
}
