import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PlatformAdapter } from "../../adapters/platform.ts";
import { boot, type Steps } from "../../app/boot.ts";
import { startServer, type RunningServer } from "../../app/server.ts";
import { readEnv } from "../../src/config.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import type { Clock } from "../../src/time.ts";
import { copyPgliteTemplate, freshDb } from "./db.ts";

/** A fresh PostgreSQL database when DATABASE_URL is set (its url, and how to drop it), else a migrated PGlite copied into dataDir/db. */
export async function throwAwayDatabase(dataDir: string): Promise<{ url?: string; dropDb?: () => Promise<void> }> {
  if (!process.env.DATABASE_URL) {
    copyPgliteTemplate(join(dataDir, "db"));
    return {};
  }
  const db = await freshDb();
  return { url: db.url, dropDb: db.close };
}

/**
 * The whole application as `npm start` builds it, on a throw-away database:
 * a temporary PGlite directory, or a fresh PostgreSQL database.
 */
export async function bootForTest(vars: Record<string, string> = {}, options: { now?: Clock; log?: Logger } = {}): Promise<Steps & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "steps-"));
  const { url, dropDb } = await throwAwayDatabase(dataDir);
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

export interface Serving {
  steps: Steps;
  server: RunningServer;
  close(): Promise<void>;
}

/** Steps booted on these settings (on 127.0.0.1, a free port) and serving these adapters; close stops both. */
export async function serveForTest(vars: Record<string, string>, now: Clock, adapters: PlatformAdapter[]): Promise<Serving> {
  const steps = await boot(readEnv({ PORT: "0", HOST: "127.0.0.1", ...vars }), silentLogger, { now });
  const server = await startServer(steps, adapters);
  return {
    steps,
    server,
    async close() {
      await server.close();
      await steps.close();
    },
  };
}
