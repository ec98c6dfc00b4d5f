import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDb } from "./support/db.ts";

const root = join(import.meta.dirname, "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * `npm start` as an operator runs it: the JavaScript that `npm ci` built into
 * dist/ (Node 20 runs no TypeScript), finding the migrations, the playground's
 * files and the sample program from there.
 */
describe("npm start", () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof freshDb>> | undefined;
  beforeAll(async () => {
    // What `npm ci` ran (prepare); with nothing changed since, it only checks.
    const build = spawnSync(npm, ["run", "build"], { cwd: root, encoding: "utf8" });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    dataDir = mkdtempSync(join(tmpdir(), "steps-start-"));
    if (process.env.DATABASE_URL) database = await freshDb();
  }, 300_000);
  afterAll(async () => {
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves /healthz, the playground and its script from the build, and stops on SIGTERM", async () => {
    const child = spawn(npm, ["start"], {
      cwd: root,
      // Its own process group, so the signal reaches node under npm and sh.
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, DATABASE_URL: database?.url ?? "", LOG_LEVEL: "info" },
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let log = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        const listening = log.split("\n").find((line) => line.includes('"Steps is listening"'));
        if (!listening) return;
        const said = JSON.parse(listening) as { url: string; database: string };
        expect(said.database).toBe(database ? "postgres" : "pglite");
        resolve(said.url.replace("localhost", "127.0.0.1"));
      });
      void exited.then((code) => reject(new Error(`npm start exited (${code}):\n${log}`)));
    });
    try {
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true, parts: { database: "ok", scheduler: "ok" } });
      const page = await fetch(`${url}/`, { headers: { accept: "text/html" } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("playground");
      const script = await fetch(`${url}/playground/app.js`);
      expect(script.status).toBe(200);
      expect((await script.text()).length).toBeGreaterThan(1000);
    } finally {
      process.kill(-child.pid!, "SIGTERM");
    }
    await exited;
    expect(log).not.toMatch(/"level":"error"/);
  }, 120_000);
});
