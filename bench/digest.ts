import { sql } from "drizzle-orm";
import type { DbHandle } from "../db/client.ts";
import { createStore } from "../db/store.ts";
import { readProgram } from "../app/boot.ts";
import { defaultWords, voice } from "../src/i18n.ts";
import { buildDigest, digestMessage } from "../src/domain/digest.ts";
import { withDatabase } from "./lib/database.ts";
import { median, percentile, runConcurrent } from "./lib/measure.ts";

// The weekly coordinator digest for a large cohort: interns × submissions
// seeded with a few bulk statements, then buildDigest + digestMessage timed and
// its SQL statements counted. A smaller cohort shows the count does not grow.

const INTERNS = Number(process.env.BENCH_INTERNS ?? 2000);
const TASKS = Number(process.env.BENCH_TASKS ?? 40);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const program = await readProgram("programs/summer-steps.yml");
const AT = new Date("2026-07-20T15:00:00Z"); // a Monday 08:00 PDT, five weeks in
const tasks = program.file.playlists.flatMap((p) => p.tasks.map((t) => ({ playlist: p.slug, task: t.slug })));

async function seed(handle: DbHandle, interns: number) {
  const departments = program.file.departments.map((d) => d.slug);
  const mentors = Math.max(1, Math.ceil(interns / 20));
  await createStore(handle.db).upsertPeople([
    { email: "coordinator@bench.test", name: "Coordinator", role: "coordinator", department: null, mentorEmail: null },
    ...Array.from({ length: mentors }, (_, i) => ({ email: `m${i}@bench.test`, name: `Mentor ${i}`, role: "mentor" as const, department: departments[i % departments.length]!, mentorEmail: null })),
    ...Array.from({ length: interns }, (_, i) => ({ email: `i${i}@bench.test`, name: `Intern ${i}`, role: "intern" as const, department: departments[i % departments.length]!, mentorEmail: `m${i % mentors}@bench.test` })),
  ]);
  const at = AT.toISOString();
  // 70% approved, 10% pending, 20% sent back; spread over the last 30 days.
  await handle.db.execute(sql`
    insert into submissions (person_id, playlist, task, units, is_once, status, created_at)
    select p.id, t.playlist, t.task, 1, false,
      case when (p.id + g) % 10 < 7 then 'approved' when (p.id + g) % 10 < 8 then 'pending' else 'changes_requested' end,
      ${at}::timestamptz - ((p.id * 7 + g) % 30) * interval '1 day'
    from people p
    cross join generate_series(0, ${TASKS - 1}) g
    join jsonb_to_recordset(${JSON.stringify(tasks.map((t, i) => ({ i, ...t })))}::jsonb) as t(i int, playlist text, task text) on t.i = g % ${tasks.length}
    where p.role = 'intern'`);
  await handle.db.execute(sql`
    insert into awards (id, person_id, playlist, awarded_at, evidence)
    select 'bench-' || p.id, p.id, 'steps', ${at}::timestamptz - (p.id % 14) * interval '1 day', '[]'::jsonb
    from people p where p.role = 'intern' and p.id % 5 = 0`);
  await handle.db.execute(sql`
    insert into outbox (key, recipient, payload, status, last_error)
    select 'bench:' || g, 'person:' || (g + 1), '{}'::jsonb, 'failed', 'not reachable'
    from generate_series(1, 50) g`);
  await handle.db.execute(sql`analyze`);
}

async function measure(kind: "pglite" | "postgres", interns: number) {
  let queries = 0;
  let counting = false;
  return withDatabase(
    kind,
    async (handle) => {
      await seed(handle, interns);
      const store = createStore(handle.db);
      const perRun: number[] = [];
      const run = await runConcurrent(Array.from({ length: RUNS }, (_, i) => i), 1, async () => {
        queries = 0;
        counting = true;
        const message = digestMessage(program, await buildDigest(program, store, AT), voice(defaultWords().t, "en", program.timeZone));
        counting = false;
        if (!message.text) throw new Error("empty digest");
        perRun.push(queries);
      });
      return { interns, ms: median(run.latenciesMs), p90: percentile(run.latenciesMs, 90), queries: Math.max(...perRun) };
    },
    { onQuery: () => counting && queries++ },
  );
}

console.log(`digest: ${INTERNS} interns × ${TASKS} submissions (and a 10× smaller cohort), median of ${RUNS} runs, node ${process.version}`);
const kinds: ("pglite" | "postgres")[] = process.env.DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];
for (const kind of kinds) {
  for (const interns of [Math.max(1, Math.round(INTERNS / 10)), INTERNS]) {
    const r = await measure(kind, interns);
    console.log(`${kind.padEnd(8)} ${String(r.interns).padStart(5)} interns  ${String(r.interns * TASKS).padStart(6)} submissions  median ${r.ms.toFixed(0).padStart(5)} ms  p90 ${r.p90.toFixed(0).padStart(5)} ms  ${r.queries} SQL queries`);
  }
}
if (!process.env.DATABASE_URL) console.log("(set DATABASE_URL to a PostgreSQL server to measure it too)");
