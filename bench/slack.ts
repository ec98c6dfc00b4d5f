import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver } from "@slack/bolt";
import postgres from "postgres";
import slackAdapter from "../adapters/slack/index.ts";
import { boot } from "../app/boot.ts";
import { startServer } from "../app/server.ts";
import { readEnv } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { slackHeaders, startFakeSlack, type FakeSlack } from "../test/support/fake-slack.ts";
import { median, percentile, runConcurrent, type Run } from "./lib/measure.ts";

// Signed `/steps done` requests through the whole stack (Bolt HTTPReceiver on
// the shared server, identity, core, PostgreSQL, outbox, Slack transport)
// against a bare Bolt app with the same receiver that acks with a fixed text.
// Ack latency is what Slack waits for (3 s limit); "completed" means acked,
// stored, and the mentor's DM received by the fake Slack API.

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
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
}

function commandBody(userId: string, text: string, responseUrl: string): string {
  return new URLSearchParams({ team_id: "T1", channel_id: "C0BENCH", user_id: userId, command: "/steps", text, response_url: responseUrl, trigger_id: "t" }).toString();
}

async function post(url: string, body: string): Promise<void> {
  const res = await fetch(url, { method: "POST", body, headers: slackHeaders(SECRET, body, "application/x-www-form-urlencoded") });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`ack failed: ${res.status}`);
}

async function bare(fake: FakeSlack, concurrency: number): Promise<Result> {
  const receiver = new HTTPReceiver({ signingSecret: SECRET, endpoints: "/slack/events", logger: quietBolt });
  const app = new App({ token: "xoxb-bench", receiver, clientOptions: { slackApiUrl: fake.apiUrl }, logger: quietBolt });
  app.command("/steps", async ({ ack }) => ack("Recorded."));
  const server = createServer(receiver.requestListener);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  const items = Array.from({ length: REQUESTS }, (_, i) => commandBody(`U${i}`, `done ${TASKS[i % TASKS.length]} bench note`, fake.responseUrl(i)));
  const ack = await runConcurrent(items, concurrency, (body) => post(url, body));
  await new Promise<void>((r) => server.close(() => r()));
  return { ack };
}

async function full(fake: FakeSlack, concurrency: number): Promise<Result> {
  const base = process.env.DATABASE_URL!;
  const name = `steps_bench_slack_${process.pid}_${Date.now()}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const dbUrl = new URL(base);
  dbUrl.pathname = `/${name}`;
  const interns = Math.ceil(REQUESTS / TASKS.length);
  const mentors = Math.ceil(interns / INTERNS_PER_MENTOR);
  const emails: Record<string, string> = {};
  for (let i = 0; i < interns; i++) emails[`UI${i}`] = `i${i}@bench.test`;
  for (let m = 0; m < mentors; m++) emails[`UM${m}`] = `m${m}@bench.test`;
  fake.set({ emails });
  fake.clear();
  const env = readEnv({ PORT: "0", HOST: "127.0.0.1", DATABASE_URL: dbUrl.toString(), PROGRAM_FILE, SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: "xoxb-bench", SLACK_API_URL: fake.apiUrl, PUBLIC_URL: "http://bench.test" });
  const steps = await boot(env, silentLogger, { db: { maxConnections: Math.max(10, concurrency) } });
  try {
    await steps.store.upsertPeople([
      ...Array.from({ length: mentors }, (_, m) => ({ email: `m${m}@bench.test`, name: `Mentor ${m}`, role: "mentor" as const, department: "public-works", mentorEmail: null })),
      ...Array.from({ length: interns }, (_, i) => ({ email: `i${i}@bench.test`, name: `Intern ${i}`, role: "intern" as const, department: "public-works", mentorEmail: `m${Math.floor(i / INTERNS_PER_MENTOR)}@bench.test` })),
    ]);
    const server = await startServer(steps, [slackAdapter], { port: 0, host: "127.0.0.1" });
    const url = `${server.url}/slack/events`;
    // Each request is a distinct (intern, task): a repeat would measure the "already waiting" reply.
    const items = Array.from({ length: REQUESTS }, (_, n) => commandBody(`UI${Math.floor(n / TASKS.length)}`, `done ${TASKS[n % TASKS.length]} bench note`, fake.responseUrl(n)));
    const start = performance.now();
    const ack = await runConcurrent(items, concurrency, (body) => post(url, body));
    const mentorDms = () => fake.calls.filter((c) => c.method === "chat.postMessage" && String(c.body.channel).startsWith("DUM")).length;
    const deadline = Date.now() + Math.max(120_000, REQUESTS * 100);
    while (mentorDms() < REQUESTS || fake.of("response_url").length < REQUESTS) {
      if (Date.now() > deadline) throw new Error(`only ${mentorDms()} of ${REQUESTS} mentor messages arrived`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - start) / 1000;
    const stored = (await steps.store.recordedWork()).reduce((n, w) => n + w.count, 0);
    if (stored !== REQUESTS) throw new Error(`${stored} of ${REQUESTS} submissions stored`);
    const replies = fake.of("response_url").map((c) => String(c.body.text));
    const bad = replies.filter((t) => !t.startsWith("Recorded"));
    if (bad.length) throw new Error(`${bad.length} commands were not recorded, e.g. ${bad[0]}`);
    await server.close();
    return { ack, completedPerSecond: REQUESTS / seconds };
  } finally {
    await steps.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const quietBolt = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => "error" as never,
  setName() {},
};

const ms = (v: number) => `${v.toFixed(2)} ms`;

if (!process.env.DATABASE_URL) {
  console.log("bench/slack.ts needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)");
  process.exit(0);
}
console.log(`/steps done through Bolt: ${REQUESTS} signed requests per run, ${RUNS} runs, distinct (intern, task) pairs, node ${process.version}`);
const fake = await startFakeSlack();
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
  }
} finally {
  await fake.close();
}
