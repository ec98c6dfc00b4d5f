import { readdirSync, readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../db/client.ts";
import { createStore } from "../db/store.ts";
import { freshDb, onPostgres } from "./support/db.ts";
import { until } from "./support/wait.ts";

/**
 * A PostgreSQL backend can go away under a running transaction: a server
 * restart or failover, idle_in_transaction_session_timeout, an administrator.
 * postgres.js 3.4.9 then crashed the process, let the dead transaction's later
 * statements run on the connection that replaced it, or failed the next query
 * with the old error; patches/postgres+3.4.9.patch fixes all three. Each test
 * has a pool of one connection, so the replacement is always the same one.
 * PGlite runs in the process and has no connection to lose.
 */
describe.runIf(onPostgres)("a PostgreSQL backend lost under a transaction", () => {
  let database: DbHandle & { url: string | undefined };
  let admin: postgres.Sql;
  let handle: DbHandle;
  beforeAll(async () => {
    database = await freshDb();
    admin = postgres(database.url!, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await admin.end();
    await database.close();
  });
  beforeEach(async () => {
    handle = await createDb(database.url, { maxConnections: 1 });
  });
  afterEach(() => handle.close());

  const store = () => createStore(handle.db);
  const pidOf = async (tx: { execute: DbHandle["db"]["execute"] }) => ((await tx.execute(sql`select pg_backend_pid() as pid`)) as unknown as { pid: number }[])[0]!.pid;
  const terminate = async (pid: number) => void (await admin`select pg_terminate_backend(${pid})`);
  /** Ends that backend once it is running a statement, as a failover or an administrator would. */
  async function terminateWhileBusy(pid: number): Promise<void> {
    await until(`backend ${pid} runs a statement`, async () => (await admin`select 1 from pg_stat_activity where pid = ${pid} and state = 'active'`).length > 0);
    await terminate(pid);
  }

  it("fails the transaction, keeps none of it, and the next ones run", async () => {
    const attempt = handle.db.transaction(async (tx) => {
      await createStore(tx).setSetting("lost-1", true);
      const pid = await pidOf(tx);
      // In flight when the backend goes: before the patch, the ROLLBACK that
      // followed was written to a closed socket from a timer and the process died.
      await Promise.all([tx.execute(sql`select pg_sleep(5)`), terminateWhileBusy(pid)]);
    });
    await expect(attempt).rejects.toThrow(/CONNECTION_CLOSED|terminating connection/);
    expect(await store().getSetting("lost-1")).toBeUndefined();
    await store().transaction((tx) => tx.setSetting("after-1", 1));
    expect(await store().getSetting("after-1")).toBe(1);
  });

  it("never runs a dead transaction's statements inside the next one", async () => {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    let tried!: () => void;
    const deadTried = new Promise<void>((resolve) => (tried = resolve));
    const dead = handle.db.transaction(async (tx) => {
      await tx.execute(sql`set local idle_in_transaction_session_timeout = 100`);
      await woken; // the server ends the session meanwhile
      await createStore(tx).setSetting("from-the-dead", true).finally(tried);
    });
    // The transaction fails as soon as its backend is gone, while its callback still waits.
    expect(await dead.then(() => "committed", (error: Error) => error.message)).toMatch(/CONNECTION_CLOSED/);
    const next = store().transaction(async (tx) => {
      await tx.setSetting("next", true);
      wake(); // the dead one's callback carries on while this one is open on the same connection
      await deadTried;
      return "committed";
    });
    expect(await next).toBe("committed");
    expect(await store().getSetting("next")).toBe(true);
    // Before the patch this was true: the insert ran in the other transaction and was committed with it.
    expect(await store().getSetting("from-the-dead")).toBeUndefined();
  });

  it("does not hand the old backend's error to the first query after the reconnect", async () => {
    const attempt = handle.db.transaction(async (tx) => {
      // The COMMIT goes out at once and meets the backend's last words: its error, then a reset.
      await terminate(await pidOf(tx));
    });
    await expect(attempt).rejects.toThrow();
    // Before the patch this failed with "terminating connection due to administrator command".
    expect(await store().getSetting("absent")).toBeUndefined();
  });
});

describe("the postgres.js patch", () => {
  it("fits the exact version installed, which package.json pins", () => {
    const json = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, any>;
    const patched = readdirSync("patches").flatMap((f) => /^postgres\+(.+)\.patch$/.exec(f)?.[1] ?? []);
    // A range would let `npm install` move to a version the patch may not fit, and the tests above would no longer say so.
    expect({ patched, pinned: json("package.json").dependencies.postgres, installed: json("node_modules/postgres/package.json").version }).toEqual({
      patched: [json("node_modules/postgres/package.json").version],
      pinned: patched[0],
      installed: patched[0],
    });
  });
});
