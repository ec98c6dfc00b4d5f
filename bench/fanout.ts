import { webApi } from "@slack/bolt";
import { count, ne, sql } from "drizzle-orm";
import slackAdapter from "../adapters/slack/index.ts";
import { readSlackVars, slackClientOptions } from "../adapters/slack/settings.ts";
import { boot } from "../app/boot.ts";
import { outbox } from "../db/schema.ts";
import { startServer } from "../app/server.ts";
import { readEnv } from "../src/config.ts";
import { DISPATCH_CONCURRENCY } from "../src/delivery/dispatcher.ts";
import { silentLogger } from "../src/log.ts";
import { startFakeSlack, type FakeSlack } from "../test/support/fake-slack.ts";
import { withDatabaseVars, type DatabaseVars } from "./lib/database.ts";
import { median, runConcurrent } from "./lib/measure.ts";
import { quietSlackLogger } from "./lib/quiet-logger.ts";
import { timedFanOut } from "./lib/fan-out.ts";

// One reminder fanned out to every intern: run-due queues it in the outbox,
// the dispatcher sends it through the real Slack adapter (its WebClient and
// transport) to a fake Slack API that rate-limits chat.postMessage with a token
// bucket. Interleaved in the same run, the same number of posts by a bare
// WebClient at the same concurrency against the same limit: the ceiling.
//
// The limit: Slack's are per method and per workspace, and a bucket that
// refills continuously and lets a quiet workspace burst is how it behaves
// ("bursts are allowed for short periods"). Its Retry-After is in whole
// seconds, as Slack's is. Real chat.postMessage limits are lower (about one a
// second per channel, a few hundred a minute per workspace); 250/s here keeps
// 5,000 messages to about 20 s per run, and the ratio to the limit is what
// matters, not the absolute rate.

const INTERNS = Number(process.env.BENCH_INTERNS ?? 5000);
const RATE = Number(process.env.BENCH_RATE ?? 250);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const PROGRAM_FILE = "programs/summer-steps.yml";
/** Wednesday 8 July 2026, 11:00 in Sacramento: the "1h" reminder of the weekly lunch-and-learn (audience: interns). */
const AT = new Date("2026-07-08T18:00:00Z");
const METHOD = "chat.postMessage";

interface Figures {
  messages: number;
  seconds: number;
  rejected: number;
  duplicates?: number;
  lost?: number;
}

/** chat.postMessage per channel at the fake: a channel with more than one got a duplicate. */
function perChannel(fake: FakeSlack): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of fake.of(METHOD)) counts.set(String(c.body.channel), (counts.get(String(c.body.channel)) ?? 0) + 1);
  return counts;
}

function resetLimit(fake: FakeSlack) {
  fake.set({ bucket: { [METHOD]: { perSecond: RATE } } });
  fake.clear();
}

async function fanOut(fake: FakeSlack, vars: DatabaseVars): Promise<Figures> {
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  // ROSTER_FILE blank: no sample roster on PGlite, only the bench's interns.
  const env = readEnv({ PORT: "0", HOST: "127.0.0.1", ...vars, PROGRAM_FILE, ROSTER_FILE: "", SLACK_SIGNING_SECRET: "bench-signing-secret", SLACK_BOT_TOKEN: "xoxb-bench", SLACK_API_URL: fake.apiUrl, PUBLIC_URL: "http://bench.test" });
  const steps = await boot(env, silentLogger, { now });
  try {
    await steps.store.upsertPeople(Array.from({ length: INTERNS }, (_, i) => ({ email: `i${i}@bench.test`, name: `Intern ${i}`, role: "intern" as const, department: "public-works", mentorEmail: null })));
    // Each has written to Steps before, so their identity holds the DM channel already.
    await steps.db.db.execute(sql`
      insert into identities (platform, platform_user_id, person_id, address)
      select 'slack', 'U' || id, id, jsonb_build_object('channel', 'DU' || id) from people where role = 'intern'`);
    const server = await startServer(steps, [slackAdapter], { port: 0, host: "127.0.0.1" });
    await steps.dispatcher.idle();
    resetLimit(fake);
    offset = AT.getTime() - Date.now();
    const seconds = await timedFanOut(steps, INTERNS);
    await server.close();
    const counts = perChannel(fake);
    const [unsent] = await steps.db.db.select({ n: count() }).from(outbox).where(ne(outbox.status, "sent"));
    const interns = await steps.store.peopleByRole("intern");
    const unreached = interns.filter((p) => !counts.has(`DU${p.id}`)).length;
    return {
      messages: fake.of(METHOD).length,
      seconds,
      rejected: fake.rejected(METHOD),
      duplicates: [...counts.values()].reduce((n, c) => n + c - 1, 0),
      lost: unsent!.n + unreached,
    };
  } finally {
    await steps.close();
  }
}

/** The same posts, the same client settings and concurrency, nothing of Steps around them. */
async function bare(fake: FakeSlack): Promise<Figures> {
  const client = new webApi.WebClient("xoxb-bench", { ...slackClientOptions(readSlackVars({ SLACK_API_URL: fake.apiUrl })), logger: quietSlackLogger });
  resetLimit(fake);
  const channels = Array.from({ length: INTERNS }, (_, i) => `DB${i}`);
  const run = await runConcurrent(channels, DISPATCH_CONCURRENCY, async (channel) => {
    await client.chat.postMessage({ channel, text: "STEPS lunch-and-learn in one hour", unfurl_links: false });
  });
  return { messages: fake.of(METHOD).length, seconds: run.seconds, rejected: fake.rejected(METHOD) };
}

/** Achieved rate ÷ allowed rate, and the stricter: messages ÷ what the bucket could admit in that time (its initial burst too). */
const ratio = (f: Figures) => f.messages / f.seconds / RATE;
const ofCapacity = (f: Figures) => f.messages / (RATE + RATE * f.seconds);

function line(label: string, f: Figures): string {
  const checks = f.duplicates === undefined ? "" : `  duplicates ${f.duplicates}  lost ${f.lost}`;
  return `${label.padEnd(18)} ${String(f.messages).padStart(5)} msgs  ${f.seconds.toFixed(1).padStart(5)} s  ${(f.messages / f.seconds).toFixed(0).padStart(4)}/s  ÷ allowed ${ratio(f).toFixed(2)}  of capacity ${ofCapacity(f).toFixed(2)}  429s ${String(f.rejected).padStart(4)}${checks}`;
}

const kinds: ("pglite" | "postgres")[] = (process.env.BENCH_DATABASES?.split(",") as ("pglite" | "postgres")[] | undefined) ?? [process.env.DATABASE_URL ? "postgres" : "pglite"];
console.log(`fanout: one reminder to ${INTERNS} interns via Slack, ${METHOD} limited to ${RATE}/s (token bucket, burst ${RATE}), dispatcher concurrency ${DISPATCH_CONCURRENCY}, ${RUNS} run(s), node ${process.version}`);
const fake = await startFakeSlack();
let failed = false;
try {
  for (const kind of kinds) {
    const runs: Figures[] = [];
    const baselines: Figures[] = [];
    for (let r = 0; r < RUNS; r++) {
      const base = await bare(fake);
      console.log(line("bare WebClient", base));
      const steps = await withDatabaseVars(kind, (vars) => fanOut(fake, vars));
      console.log(line(`Steps on ${kind}`, steps));
      runs.push(steps);
      baselines.push(base);
      if (steps.duplicates !== 0 || steps.lost !== 0 || steps.messages !== INTERNS) failed = true;
    }
    const m = (list: Figures[], f: (x: Figures) => number) => median(list.map(f)).toFixed(2);
    console.log(`${kind}: median achieved ÷ allowed ${m(runs, ratio)}, of capacity ${m(runs, ofCapacity)} (target ≥ 0.9); bare WebClient ${m(baselines, ratio)}, ${m(baselines, ofCapacity)}`);
  }
} finally {
  await fake.close();
}
if (failed) {
  console.error("fanout: duplicates or lost messages");
  process.exit(1);
}
