import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import slackAdapter from "../adapters/slack/index.ts";
import { startServer } from "../app/server.ts";
import { createLogger } from "../src/log.ts";
import { bootForTest } from "./support/boot.ts";
import { freshDb } from "./support/db.ts";
import { slackHeaders, slackSender, startFakeSlack } from "./support/fake-slack.ts";
import { SECRET, users } from "./support/slack.ts";
import { until } from "./support/wait.ts";

// Slack refusing the token or out of reach when Steps starts: the server keeps
// serving everything else and /healthz says what is wrong with Slack.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type Health = { ok: boolean; parts: Record<string, string> };
async function health(url: string): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as Health };
}

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** `steps serve` in a child process: its JSON log lines, and its URL once it listens. */
async function serve(vars: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), "steps-start-"));
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "info", ...vars };
  if (process.env.DATABASE_URL) {
    const db = await freshDb();
    env.DATABASE_URL = db.url!;
    env.ROSTER_FILE = "programs/summer-steps-roster.csv";
    cleanups.push(() => db.close());
  }
  const child = spawn(process.execPath, ["--import", "tsx", "app/cli.ts", "serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  });
  let stderr = "";
  const lines: { level?: string; message?: string; url?: string }[] = [];
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    const complete = stderr.split("\n");
    stderr = complete.pop()!;
    for (const line of complete) lines.push(line.startsWith("{") ? JSON.parse(line) : { message: line });
  });
  let url = "";
  await until(
    "steps serve listens",
    () => {
      if (child.exitCode !== null) throw new Error(`steps serve exited with ${child.exitCode}:\n${lines.map((l) => JSON.stringify(l)).join("\n")}${stderr}`);
      url = lines.find((l) => l.message === "Steps is listening")?.url?.replace("localhost", "127.0.0.1") ?? "";
      return url !== "";
    },
    120_000,
  );
  return { url, lines, child, exited, rest: () => stderr };
}

describe("Slack at start-up", () => {
  it("keeps serving with a refused SLACK_BOT_TOKEN, says so in one line, and reports Slack as not ready", async () => {
    const fake = await startFakeSlack({ failures: { "auth.test": "invalid_auth" } });
    cleanups.push(() => fake.close());
    const steps = await serve({ SLACK_BOT_TOKEN: "xoxb-revoked", SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.apiUrl });

    const { status, body } = await health(steps.url);
    expect(status).toBe(200);
    expect(body).toEqual({ ok: true, parts: { database: "ok", slack: "SLACK_BOT_TOKEN refused (invalid_auth); fix it and restart", scheduler: "ok" } });
    // Badge pages are served, and Slack requests are answered: not ready, rather than dropped.
    expect((await fetch(`${steps.url}/issuer`)).status).toBe(200);
    const command = "command=%2Fsteps&text=status&user_id=U0ANA";
    const refused = await fetch(`${steps.url}/slack/events`, { method: "POST", body: command, headers: slackHeaders(SECRET, command, "application/x-www-form-urlencoded") });
    expect(refused.status).toBe(503);
    expect(await refused.text()).toContain("SLACK_BOT_TOKEN refused");
    // A refusal is asked once, and not again.
    expect(fake.of("auth.test")).toHaveLength(1);

    const said = steps.lines.filter((l) => l.message?.includes("SLACK_BOT_TOKEN"));
    expect(said).toEqual([
      expect.objectContaining({
        level: "error",
        message: "Slack refused SLACK_BOT_TOKEN (invalid_auth), so Slack is off until it is fixed: copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page into SLACK_BOT_TOKEN and restart Steps.",
      }),
    ]);
    expect(steps.lines.filter((l) => l.message === "Slack is ready")).toEqual([]);

    // Still the same process, and it stops cleanly when asked.
    expect((await health(steps.url)).status).toBe(200);
    steps.child.kill("SIGTERM");
    expect(await steps.exited).toBe(0);
    expect(fake.of("auth.test")).toHaveLength(1);
    expect(steps.lines.filter((l) => l.level === undefined || l.level === "error").map((l) => l.message)).toEqual([said[0]!.message]);
    expect(steps.rest()).toBe("");
  }, 180_000);

  it("retries an unreachable Slack in the background, logs the change once, and takes requests once Slack answers", async () => {
    const port = await closedPort();
    const logged: { level: string; message: string }[] = [];
    const steps = await bootForTest(
      { SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: `http://127.0.0.1:${port}/api/` },
      { log: createLogger("info", (line) => logged.push(JSON.parse(line) as { level: string; message: string })) },
    );
    cleanups.push(() => steps.close());
    const impatient = { ...slackAdapter, backoff: { firstMs: 10, maxMs: 100 } };
    const server = await startServer(steps, [impatient], { retryEveryMs: 3_600_000 });
    cleanups.push(() => server.close());

    const down = await health(server.url);
    expect(down.status).toBe(200);
    expect(down.body).toEqual({ ok: true, parts: { database: "ok", slack: "unreachable (ECONNREFUSED); retrying" } });

    // Something on that port that drops every connection counts the attempts: they go on, quietly.
    let attempts = 0;
    const dropper: Server = createServer();
    dropper.on("connection", (socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropper.listen(port, "127.0.0.1", resolve));
    await until("three more attempts", () => attempts >= 3);
    await new Promise((resolve) => {
      dropper.close(resolve);
      dropper.closeAllConnections();
    });

    const fake = await startFakeSlack({ emails: { [users.ana]: "ana.intern@example.org" } }, { port });
    cleanups.push(() => fake.close());
    await until("Slack is ok", async () => (await health(server.url)).body.parts.slack === "ok");
    expect(logged.filter((l) => l.message.startsWith("Slack is unreachable"))).toHaveLength(1);
    expect(logged.filter((l) => l.message === "Slack is ready")).toHaveLength(1);
    expect(logged.findIndex((l) => l.message.startsWith("Slack is unreachable"))).toBeLessThan(logged.findIndex((l) => l.message === "Slack is ready"));

    const send = slackSender(`${server.url}/slack/events`, SECRET, fake);
    expect((await send.command(users.ana, "help")).status).toBe(200);
    await until("the reply", () => fake.of("response_url").length === 1);
  }, 120_000);
});
