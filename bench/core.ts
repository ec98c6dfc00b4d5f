import { sql } from "drizzle-orm";
import type { DbHandle } from "../db/client.ts";
import { createStore } from "../db/store.ts";
import { createCore } from "../src/domain/core.ts";
import type { Person } from "../src/store.ts";
import { readProgram } from "../app/boot.ts";
import { withDatabase } from "./lib/database.ts";
import { latencySummary, runConcurrent } from "./lib/measure.ts";

// done + approve cycles through the real core, against a bare-SQL baseline
// doing the same writes (insert submission, insert decision, update status)
// with none of the rules, on PGlite and, when DATABASE_URL is set, PostgreSQL.

const CYCLES = Number(process.env.BENCH_CYCLES ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const program = await readProgram("programs/summer-steps.yml");
const pw = program.playlist("public-works")!;
const tasks = pw.tasks.filter((t) => t.requirement === "once").map((t) => t.slug);

async function setup(handle: DbHandle, interns: number) {
  const store = createStore(handle.db);
  await store.upsertPeople([
    { email: "mentor@bench.test", name: "Mentor", role: "mentor", department: "public-works", mentorEmail: null },
    ...Array.from({ length: interns }, (_, i) => ({ email: `i${i}@bench.test`, name: `Intern ${i}`, role: "intern" as const, department: "public-works", mentorEmail: "mentor@bench.test" })),
  ]);
  const people = await store.peopleByRole("intern");
  const mentor = (await store.personByEmail("mentor@bench.test"))!;
  return { store, people, mentor };
}

async function benchCore(handle: DbHandle) {
  // Each cycle gets its own (intern, task) pair: a repeated pair would measure the "already approved" path.
  // Task-major order, so cycles in flight belong to different interns, as in a real cohort.
  const interns = Math.ceil(CYCLES / tasks.length);
  const { store, people, mentor } = await setup(handle, interns);
  let clock = Date.parse("2026-06-20T17:00:00Z");
  const core = createCore({ program, store, now: () => new Date(clock++), baseUrl: "http://bench.test" });
  const pairs: [Person, string][] = tasks.flatMap((t) => people.map((p) => [p, t] as [Person, string])).slice(0, CYCLES);
  return runConcurrent(pairs, CONCURRENCY, async ([intern, task]) => {
    const { submission } = await core.done(intern, task, "bench note", null);
    const r = await core.decide(mentor, submission.id, "approved", null);
    if (!r.mine) throw new Error("decision lost");
  });
}

async function benchBareSql(handle: DbHandle) {
  const { people, mentor } = await setup(handle, Math.ceil(CYCLES / tasks.length));
  const pairs = tasks.flatMap((t) => people.map((p) => [p, t] as const)).slice(0, CYCLES);
  return runConcurrent(pairs, CONCURRENCY, async ([intern, task]) => {
    const rows = await handle.db.execute(sql`insert into submissions (person_id, playlist, task, units, is_once) values (${intern.id}, 'public-works', ${task}, 1, true) returning id`);
    const id = Number(((rows as unknown as { rows?: { id: number }[] }).rows ?? (rows as unknown as { id: number }[]))[0]!.id);
    await handle.db.execute(sql`insert into decisions (submission_id, decision, decider_id, decided_at) values (${id}, 'approved', ${mentor.id}, now())`);
    await handle.db.execute(sql`update submissions set status = 'approved' where id = ${id}`);
  });
}

console.log(`done+approve cycles: ${CYCLES} distinct (intern, task) pairs, concurrency ${CONCURRENCY}, node ${process.version}`);
const kinds = (process.env.DATABASE_URL ? ["pglite", "postgres"] as const : ["pglite"] as const).filter((k) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY === k);
for (const kind of kinds) {
  const core = await withDatabase(kind, benchCore, { maxConnections: CONCURRENCY });
  const bare = await withDatabase(kind, benchBareSql, { maxConnections: CONCURRENCY });
  console.log(`${kind.padEnd(8)} core     ${latencySummary(core)}`);
  console.log(`${kind.padEnd(8)} bare SQL ${latencySummary(bare)}`);
  console.log(`${kind.padEnd(8)} core/bare throughput: ${(core.perSecond / bare.perSecond).toFixed(2)}`);
}
if (!process.env.DATABASE_URL) console.log("(set DATABASE_URL to a PostgreSQL server to measure it too)");
