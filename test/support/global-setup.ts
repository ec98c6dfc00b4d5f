import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { createDb } from "../../db/client.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A PGlite data folder, migrated and empty, that tests copy rather than create (see support/db.ts). */
    pgliteTemplate: string | undefined;
  }
}

/**
 * Creating a PGlite database runs initdb, which costs seconds of CPU (tens of
 * seconds on a busy machine) against a fraction of that for opening a copy.
 * Made once per run, by the same code `npm start` uses on first start.
 */
export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  if (process.env.DATABASE_URL) {
    project.provide("pgliteTemplate", undefined);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "steps-template-"));
  const db = await createDb(undefined, { dataDir: dir });
  await db.close();
  project.provide("pgliteTemplate", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
