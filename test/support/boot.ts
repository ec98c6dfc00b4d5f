import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { boot, type Steps } from "../../app/boot.ts";
import { readEnv } from "../../src/config.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import type { Clock } from "../../src/time.ts";
import { copyPgliteTemplate, freshDb } from "./db.ts";

/**
 * The whole application as `npm start` builds it, on a throw-away database:
 * a temporary PGlite directory, or a fresh PostgreSQL database.
 */
export async function bootForTest(vars: Record<string, string> = {}, options: { now?: Clock; log?: Logger } = {}): Promise<Steps & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "steps-"));
  let dropDb: (() => Promise<void>) | undefined;
  let url: string | undefined;
  if (process.env.DATABASE_URL) {
    const db = await freshDb();
    url = db.url;
    dropDb = db.close;
  } else {
    copyPgliteTemplate(join(dataDir, "db"));
  }
  const env = readEnv({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, PUBLIC_URL: "http://steps.test", ...(url ? { DATABASE_URL: url, ROSTER_FILE: "programs/summer-steps-roster.csv" } : {}), ...vars });
  const cleanup = async () => {
    await dropDb?.();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const steps = await boot(env, options.log ?? silentLogger, { now: options.now }).catch(async (error: unknown) => {
    await cleanup();
    throw error;
  });
  return {
    ...steps,
    dataDir,
    async close() {
      await steps.close();
      await cleanup();
    },
  };
}
