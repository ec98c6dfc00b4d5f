import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createDb, type DbHandle, type DbOptions } from "../../db/client.ts";

/** Runs fn on a throw-away database (and gives it the URL, for PostgreSQL): PGlite in a temporary directory, or a new database on DATABASE_URL's server. */
export async function withDatabase<T>(kind: "pglite" | "postgres", fn: (h: DbHandle, url: string | undefined) => Promise<T>, options: DbOptions = {}): Promise<T> {
  if (kind === "pglite") {
    const dir = mkdtempSync(join(tmpdir(), "steps-bench-"));
    const handle = await createDb(undefined, { ...options, dataDir: dir });
    try {
      return await fn(handle, undefined);
    } finally {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const base = process.env.DATABASE_URL!;
  const name = `steps_bench_${process.pid}_${Date.now()}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await createDb(url.toString(), options);
  try {
    return await fn(handle, url.toString());
  } finally {
    await handle.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
