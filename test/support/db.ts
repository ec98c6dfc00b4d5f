import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, inject } from "vitest";
import { createDb, type DbHandle, type DbOptions } from "../../db/client.ts";

/** Fills `dir` with a copy of the run's migrated, empty PGlite database (global-setup.ts): opening it skips initdb. */
export function copyPgliteTemplate(dir: string): void {
  const template = inject("pgliteTemplate");
  if (!template) throw new Error("no PGlite template: test/support/global-setup.ts makes one when DATABASE_URL is unset");
  cpSync(template, dir, { recursive: true });
}

/**
 * A fresh, empty database for one test file: PGlite in a temporary folder, or
 * a new database on the PostgreSQL server named by DATABASE_URL; dropped
 * afterwards.
 */
export async function freshDb(options: DbOptions = {}): Promise<DbHandle & { url: string | undefined }> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const dir = mkdtempSync(join(tmpdir(), "steps-db-"));
    copyPgliteTemplate(dir);
    const handle = await createDb(undefined, { dataDir: dir, ...options });
    return {
      ...handle,
      url: undefined,
      async close() {
        await handle.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `steps_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = withDatabase(base, name);
  const handle = await createDb(url, options);
  return {
    ...handle,
    url,
    async close() {
      await handle.close();
      const admin = postgres(base, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export const onPostgres = Boolean(process.env.DATABASE_URL);

let shared: Promise<DbHandle> | undefined;
let queryCount = 0;

// Registered when a test file imports this module (vitest loads it afresh for
// each file): a hook added from inside a running test is never called, and
// the file's database would be left on the server.
afterAll(async () => {
  const handle = shared;
  shared = undefined;
  await (await handle)?.close();
});

/**
 * One database per test file, emptied for each test: starting PGlite or
 * creating a database costs about a second, emptying it a millisecond.
 */
export async function resetDb(): Promise<DbHandle> {
  shared ??= freshDb({ onQuery: () => queryCount++ });
  const handle = await shared;
  await handle.db.execute(sql`truncate people, identities, submissions, decisions, awards, outbox, inbox, settings restart identity cascade`);
  return handle;
}

/** Statements run on the shared database so far. */
export function queriesRun(): number {
  return queryCount;
}
