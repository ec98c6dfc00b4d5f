import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { Logger } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { lockDataDir } from "./lock.ts";
import type { Env } from "../src/config.ts";
import { packageFile } from "../src/files.ts";
import * as schema from "./schema.ts";

export { DataDirInUse, type LockHolder } from "./lock.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DbHandle {
  db: Db;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

export interface DbOptions {
  /** Where PGlite keeps its files when no URL is given; "memory://" keeps nothing. */
  dataDir?: string;
  /** Called for every statement: tests count queries with it. */
  onQuery?: (sql: string) => void;
  /** Connections in the postgres.js pool. */
  maxConnections?: number;
  /**
   * Named prepared statements (DATABASE_PREPARE): one round trip per query
   * instead of two, but a pooler in transaction mode (PgBouncer before 1.21)
   * hands each transaction a different server, which does not know them.
   */
  prepare?: boolean;
  /** A direct connection for the migrations and their session lock, when DATABASE_URL goes through a pooler. */
  migrationUrl?: string;
}

/** What the environment says about the database (README, Configuration). */
export function dbOptionsFrom(env: Env): DbOptions {
  return { dataDir: join(env.DATA_DIR, "db"), prepare: env.DATABASE_PREPARE === "on", migrationUrl: env.DATABASE_MIGRATION_URL };
}

const migrationsFolder = packageFile("db", "migrations");
// Any fixed number works; it only has to be the same for every instance.
const MIGRATION_LOCK = 7_411_019;

/**
 * Opens the database and brings its schema up to date: PostgreSQL when a URL is
 * given, otherwise PGlite on disk, so `npm start` needs no server.
 */
export async function createDb(url: string | undefined, options: DbOptions = {}): Promise<DbHandle> {
  const logger: Logger | undefined = options.onQuery && { logQuery: (query) => options.onQuery!(query) };
  if (url) return openPostgres(url, options, logger);
  return openPglite(options.dataDir ?? ".steps/db", logger);
}

async function openPostgres(url: string, options: DbOptions, logger: Logger | undefined): Promise<DbHandle> {
  const prepare = options.prepare ?? true;
  await migrateOnce(options.migrationUrl ?? url, prepare);
  const client = postgres(url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    // Fail fast when the server is down instead of hanging a chat request.
    connect_timeout: 5,
    // Off, postgres.js names no statement, whatever drizzle asks for.
    prepare,
  });
  const db = drizzlePostgres(prepare ? preparedStatements(client) : client, { schema, logger }) as unknown as Db;
  return { db, kind: "postgres", close: () => client.end({ timeout: 5 }) };
}

/**
 * drizzle asks postgres.js for unnamed statements, and postgres.js sends one
 * with parameters in two round trips (Parse and Describe, then Bind and
 * Execute): half the hot path's time. Named statements, which postgres.js
 * keeps per connection, take one round trip after their first use.
 */
function preparedStatements(sql: postgres.Sql): postgres.Sql {
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === "unsafe") {
        return (query: string, params?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, params, { ...options, prepare: true });
      }
      if (property === "begin" || property === "savepoint") {
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.Sql) => unknown;
          const open = (target as unknown as Record<string, (...a: unknown[]) => unknown>)[property]!;
          return open.call(target, ...args, (tx: postgres.Sql) => fn(preparedStatements(tx)));
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

/** Two instances starting at once must not both run the same migration: one session lock serialises them. */
async function migrateOnce(url: string, prepare: boolean): Promise<void> {
  // One connection, so the session-level lock and the migration share it.
  const conn = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5, prepare });
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres(conn), { migrationsFolder });
    await conn`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await conn.end({ timeout: 5 });
  }
}

/** A folder is locked first (db/lock.ts): a second process on it would lose what it records. */
async function openPglite(dataDir: string, logger: Logger | undefined): Promise<DbHandle> {
  let unlock = () => {};
  if (!dataDir.startsWith("memory://")) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  const client = await PGlite.create(dataDir).catch((error: unknown) => {
    unlock();
    throw error;
  });
  const close = async () => {
    if (!client.closed) await client.close();
    unlock();
  };
  const db = drizzlePglite(client, { schema, logger });
  await migratePglite(db, { migrationsFolder }).catch(async (error: unknown) => {
    await close();
    throw error;
  });
  return { db: db as unknown as Db, kind: "pglite", close };
}
