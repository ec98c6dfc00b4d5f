import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { createDb, dbOptionsFrom, type DbHandle } from "../db/client.ts";
import { createStore } from "../db/store.ts";
import { answer, resolvePerson } from "../src/chat.ts";
import { readEnv } from "../src/config.ts";
import { createDispatcher } from "../src/delivery/dispatcher.ts";
import { createCore } from "../src/domain/core.ts";
import { importRoster } from "../src/domain/roster.ts";
import { createLogger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import { freshDb, onPostgres, withDatabase } from "./support/db.ts";
import { recordingTransport, type Sent } from "./support/harness.ts";
import { startPgBouncer } from "./support/pgbouncer.ts";
import { rosterCsv, testProgram } from "./support/program.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * What a day of commands asks of the database: people found by platform id
 * and by email, tasks recorded under the intern's lock by several interns at
 * once, approvals, and the outbox delivered. Throws on the first failure.
 */
async function workDay(handle: DbHandle): Promise<void> {
  const errors: string[] = [];
  const log = createLogger("error", (line) => errors.push(line));
  const store = createStore(handle.db);
  const program = testProgram();
  const now = () => new Date("2026-06-16T17:00:00Z");
  const dispatcher = createDispatcher({ store, now, log });
  const sent: Sent[] = [];
  dispatcher.register(recordingTransport(sent));
  const core = createCore({ program, store, now, baseUrl: "https://steps.test" });
  await importRoster(store, program, rosterCsv);
  const say = async (userId: string, email: string, text: string) => {
    const { person } = await resolvePerson(core, "test", userId, async () => ({ email }));
    return toPlainText(await answer(core, person, text, log));
  };
  const interns = ["ana@example.org", "ben@example.org", "cal@example.org"];
  for (const round of [1, 2]) {
    const replies = await Promise.all(interns.map((email, i) => say(`U${i}`, email, "done lunch-and-learn")));
    expect(replies, errors.join("\n")).toEqual(interns.map(() => expect.stringMatching(/^Recorded Lunch and learn \(#\d+\)/)));
    const decided = await Promise.all(
      replies.map((reply, i) => say(i < 2 ? "M1" : "M2", i < 2 ? "max@example.org" : "fay@example.org", `approve ${/#(\d+)/.exec(reply)![1]}`)),
    );
    expect(decided, errors.join("\n")).toEqual(replies.map(() => expect.stringMatching(/ is decided\.$/)));
    await dispatcher.drain();
    expect(sent.length, `round ${round}`).toBeGreaterThan(0);
  }
  expect(errors).toEqual([]);
}

const preparedStatements = async (handle: DbHandle) =>
  (await handle.db.execute(sql`select name from pg_prepared_statements`)) as unknown as { name: string }[];

describe.runIf(onPostgres)("database settings for poolers", () => {
  it("DATABASE_PREPARE=off runs the core's commands without naming a statement; on names them", async () => {
    const database = await freshDb();
    cleanups.push(() => database.close());
    // One connection, so the session that ran the commands is the one asked.
    const off = await createDb(database.url, { ...dbOptionsFrom(readEnv({ DATABASE_PREPARE: "off" })), maxConnections: 1 });
    cleanups.push(() => off.close());
    await workDay(off);
    expect(await preparedStatements(off)).toEqual([]);

    const on = await createDb(database.url, { ...dbOptionsFrom(readEnv({})), maxConnections: 1 });
    cleanups.push(() => on.close());
    await on.db.execute(sql`truncate people, identities, submissions, decisions, awards, outbox, inbox, settings restart identity cascade`);
    await workDay(on);
    expect((await preparedStatements(on)).length).toBeGreaterThan(0);
  });

  it("works through PgBouncer in transaction mode with DATABASE_PREPARE=off and the migrations on DATABASE_MIGRATION_URL", async () => {
    const database = await freshDb();
    cleanups.push(() => database.close());
    // Two server connections for four client ones: consecutive transactions of one client land on different servers.
    const bouncer = await startPgBouncer(database.url!, 2);
    cleanups.push(() => bouncer.stop());
    const env = readEnv({ DATABASE_URL: bouncer.url, DATABASE_PREPARE: "off", DATABASE_MIGRATION_URL: database.url });
    const pooled = await createDb(env.DATABASE_URL, { ...dbOptionsFrom(env), maxConnections: 4 });
    cleanups.push(() => pooled.close());
    await workDay(pooled);
  });

  it("runs the migrations on DATABASE_MIGRATION_URL and everything else on DATABASE_URL", async () => {
    // A common set-up: the application's role may read and write rows but not change the schema.
    const base = process.env.DATABASE_URL!;
    const suffix = randomBytes(6).toString("hex");
    const [name, role] = [`steps_test_${suffix}`, `steps_app_${suffix}`];
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.unsafe(`create role ${role} login`);
    cleanups.push(async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.unsafe(`drop role if exists ${role}`);
      await admin.end();
    });
    const ownerUrl = withDatabase(base, name);
    const owner = postgres(ownerUrl, { max: 1, onnotice: () => {} });
    await owner.unsafe(`alter default privileges in schema public grant select, insert, update, delete on tables to ${role}`);
    await owner.unsafe(`alter default privileges in schema public grant usage, select on sequences to ${role}`);
    await owner.end();
    const appUrl = Object.assign(new URL(ownerUrl), { username: role }).toString();

    await expect(createDb(appUrl, dbOptionsFrom(readEnv({ DATABASE_URL: appUrl })))).rejects.toThrow(/Failed query: CREATE SCHEMA/);
    const env = readEnv({ DATABASE_URL: appUrl, DATABASE_MIGRATION_URL: ownerUrl });
    const handle = await createDb(env.DATABASE_URL, dbOptionsFrom(env));
    cleanups.push(() => handle.close());
    await workDay(handle);
    const [{ user }] = (await handle.db.execute(sql`select current_user as user`)) as unknown as [{ user: string }];
    expect(user).toBe(role);
  });
});
