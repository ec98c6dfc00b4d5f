import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createDb, type DbHandle, type DbOptions } from "../../db/client.ts";

/** Where boot() finds a throw-away database: DATA_DIR for PGlite, or DATABASE_URL. */
export type DatabaseVars = { DATA_DIR: string } | { DATABASE_URL: string };

/** Runs fn with a throw-away database: PGlite in a temporary directory, or a new database on DATABASE_URL's server. */
export async function withDatabaseVars<T>(kind: "pglite" | "postgres", fn: (vars: DatabaseVars) => Promise<T>): Promise<T> {
  if (kind === "pglite") {
    const dir = mkdtempSync(join(tmpdir(), "steps-bench-"));
    try {
      return await fn({ DATA_DIR: dir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const base = process.env.DATABASE_URL!;
  const name = `steps_bench_${process.pid}_${Date.now()}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  try {
    return await fn({ DATABASE_URL: url.toString() });
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** Runs fn on a throw-away database, opened and migrated (and gives it the URL, for PostgreSQL). */
export function withDatabase<T>(kind: "pglite" | "postgres", fn: (h: DbHandle, url: string | undefined) => Promise<T>, options: DbOptions = {}): Promise<T> {
  return withDatabaseVars(kind, async (vars) => {
    const url = "DATABASE_URL" in vars ? vars.DATABASE_URL : undefined;
    const handle = "DATABASE_URL" in vars ? await createDb(vars.DATABASE_URL, options) : await createDb(undefined, { ...options, dataDir: vars.DATA_DIR });
    try {
      return await fn(handle, url);
    } finally {
      await handle.close();
    }
  });
}
