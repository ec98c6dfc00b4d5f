import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { adapters } from "../app/adapters.ts";
import { boot } from "../app/boot.ts";
import { startScheduler } from "../app/scheduler.ts";
import { startServer } from "../app/server.ts";
import { readEnv } from "../src/config.ts";
import { createLogger, silentLogger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import type { AdapterContext, PlatformAdapter } from "../adapters/platform.ts";
import { bootForTest } from "./support/boot.ts";
import { runCli } from "./support/cli.ts";
import { copyPgliteTemplate, freshDb } from "./support/db.ts";
import { startFakeSlack } from "./support/fake-slack.ts";
import { recordingTransport, type Sent } from "./support/harness.ts";
import { until } from "./support/wait.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});


/** A data folder (or PostgreSQL database) for the CLI, with the sample roster. */
async function cliVars(): Promise<Record<string, string>> {
  const dataDir = mkdtempSync(join(tmpdir(), "steps-cli-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const vars: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: "error", ROSTER_FILE: "programs/summer-steps-roster.csv" };
  if (process.env.DATABASE_URL) {
    const db = await freshDb();
    cleanups.push(() => db.close());
    vars.DATABASE_URL = db.url!;
  } else {
    copyPgliteTemplate(join(dataDir, "db"));
  }
  return vars;
}

/** cliVars, and Slack settings pointing at a fake that knows everyone on the sample roster. */
async function cliSetup() {
  const vars = await cliVars();
  const emails = readFileSync("programs/summer-steps-roster.csv", "utf8").trim().split("\n").slice(1).map((line) => line.split(",")[0]!);
  const fake = await startFakeSlack({ emails: Object.fromEntries(emails.map((email, i) => [`U${i}`, email])) });
  cleanups.push(() => fake.close());
  const slackVars = { SLACK_BOT_TOKEN: "xoxb-test", SLACK_SIGNING_SECRET: "a-signing-secret", SLACK_API_URL: fake.apiUrl };
  return { vars, slackVars, fake };
}

function queuedIn(out: string): number {
  const queued = Number(/^Queued (\d+) messages/.exec(out)?.[1]);
  expect(queued).toBeGreaterThan(0);
  return queued;
}

describe("steps run-due", () => {
  it("queues what is due at --at, once however often it runs", async () => {
    const vars = await cliVars();
    // Jun 16, 09:00 PDT: the day-before reminder of the sample program's Jun 17 council meeting.
    const first = await runCli(["run-due", "--at", "2026-06-16T09:00:00-07:00"], vars);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^Queued [1-9]\d* messages due by 2026-06-16T16:00:00.000Z; skipped 0 missed by more than the grace window\.\nNo chat platform is configured here/);
    const again = await runCli(["run-due", "--at", "2026-06-16T16:00:00Z"], vars);
    expect(again.out).toMatch(/^Queued 0 messages/);
  });

  it("without a chat platform, leaves what it queues for `steps serve`, which sends it", { timeout: 120_000 }, async () => {
    const { vars, slackVars, fake } = await cliSetup();
    const run = await runCli(["run-due", "--at", "2026-06-16T09:00:00-07:00"], vars);
    expect(run.out).toContain("No chat platform is configured here, so nothing was sent: `steps serve` sends what is queued.");
    const queued = queuedIn(run.out);
    // `steps serve`, now with Slack configured.
    const steps = await boot(readEnv({ ...vars, ...slackVars, PORT: "0", HOST: "127.0.0.1" }), silentLogger);
    cleanups.push(() => steps.close());
    const server = await startServer(steps, adapters);
    cleanups.push(() => server.close());
    await until(() => `${queued} messages are posted; saw ${fake.of("chat.postMessage").length}`, () => fake.of("chat.postMessage").length === queued);
    await steps.dispatcher.idle();
    const rows = await steps.db.db.query.outbox.findMany();
    expect(rows.map((r) => [r.status, r.lastError])).toEqual(rows.map(() => ["sent", null]));
  });

  it("with Slack configured, sends what it queues", { timeout: 120_000 }, async () => {
    const { vars, slackVars, fake } = await cliSetup();
    const run = await runCli(["run-due", "--at", "2026-06-16T09:00:00-07:00"], { ...vars, ...slackVars, SLACK_DEDUP_HISTORY: "1" });
    expect(run.code).toBe(0);
    const posts = fake.of("chat.postMessage");
    expect(posts).toHaveLength(queuedIn(run.out));
    // SLACK_DEDUP_HISTORY: each direct message carries its outbox id, and only that.
    for (const post of posts) expect(post.body.metadata).toEqual({ event_type: "steps_outbox", event_payload: { outbox: expect.stringMatching(/^\d+$/) } });
  });

  it("refuses an --at that is not an ISO-8601 instant", async () => {
    for (const args of [["run-due", "--at", "tomorrow"], ["run-due", "--at"], ["run-due", "--when", "2026-06-16T16:00:00Z"]]) {
      const { code, out } = await runCli(args, {});
      expect(code).toBe(2);
      expect(out).toBe("Usage: steps run-due [--at ISO-8601], e.g. steps run-due --at 2026-06-17T09:00:00-07:00");
    }
  });

  it("says an --at without an offset lacks one, with an example that works", async () => {
    const { code, out } = await runCli(["run-due", "--at", "2026-06-29T08:00"], {});
    expect(code).toBe(2);
    expect(out).toBe("2026-06-29T08:00 has no UTC offset, so it could be any of several instants. Add one, e.g. steps run-due --at 2026-06-29T08:00-07:00 (US Pacific summer time) or --at 2026-06-29T08:00Z (UTC).");
  });

  it("names a command it does not know, and one that is missing something", async () => {
    const unknown = await runCli(["frobnicate", "x"], {});
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/^Steps has no command "frobnicate"\. The commands are:\n\nUsage: steps <command>/);
    const partial = await runCli(["roster"], {});
    expect(partial.code).toBe(2);
    expect(partial.out).toMatch(/^"steps roster" is missing something\. How to use it:\n\nUsage: steps <command>/);
  });

  it("says which roster file is missing, without a raw ENOENT", async () => {
    const { code, out } = await runCli(["roster", "import", "no-such-roster.csv"], {});
    expect(code).toBe(1);
    expect(out).toBe(`There is no roster file at ${join(process.cwd(), "no-such-roster.csv")}. Check the path, or export the roster as a CSV file with the columns email,name,role,department,mentor_email.`);
  });
});

describe("the server's scheduler", () => {
  it("gives adapters runDue, which queues and sends what is due (the playground's clock control)", async () => {
    const steps = await bootForTest();
    const sent: Sent[] = [];
    let context: AdapterContext | undefined;
    const fake: PlatformAdapter = {
      name: "fake",
      configured: () => true,
      async start(ctx) {
        context = ctx;
        return { transport: recordingTransport(sent) };
      },
    };
    const server = await startServer(steps, [fake]);
    cleanups.push(() => steps.close(), () => server.close());
    const result = (await context!.runDue!(new Date("2026-06-16T16:00:00Z"))) as { queued: number };
    expect(result.queued).toBeGreaterThan(0);
    await steps.dispatcher.idle();
    expect(sent).toHaveLength(result.queued);
    // Jun 16 09:00 is the day before both the Jun 17 lunch-and-learn and council meeting.
    const titles = new Set(sent.map((s) => toPlainText(s.message).split("\n")[0]));
    expect(titles).toEqual(new Set(["Reminder: STEPS lunch-and-learn", "Reminder: City Council meeting"]));
  });
});

describe("startScheduler", () => {
  it("ticks at the start of every minute until stopped", async () => {
    const scheduler = startScheduler({ runDue: async () => ({ from: new Date(), at: new Date(), queued: 0, skipped: [] }), now: () => new Date(), log: silentLogger });
    cleanups.push(() => scheduler.stop());
    const next = scheduler.nextRun()!;
    expect(next.getUTCSeconds()).toBe(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    await scheduler.stop();
    expect(scheduler.nextRun()).toBeNull();
  });
});

describe("calendars at start-up", () => {
  it("logs a malformed calendar by name and still schedules the program's other events and calendars", async () => {
    const dir = mkdtempSync(join(tmpdir(), "steps-program-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const f of ["council.ics", "broken.ics"]) copyFileSync(`test/fixtures/ics/${f}`, join(dir, f));
    const sample = readFileSync("programs/summer-steps.yml", "utf8");
    writeFileSync(join(dir, "program.yml"), sample.replace("\ndigest:", "\n  ics: [broken.ics, { file: council.ics, reminders: [1h], audience: interns }]\n\ndigest:"));
    const logged: string[] = [];
    const steps = await bootForTest({ PROGRAM_FILE: join(dir, "program.yml") }, { log: createLogger("debug", (l) => logged.push(l)) });
    cleanups.push(() => steps.close());
    const skipped = logged.map((l) => JSON.parse(l) as { level: string; message: string; error?: string }).filter((l) => l.message === "calendar skipped");
    expect(skipped).toEqual([{ level: "error", message: "calendar skipped", time: expect.any(String), program: "program", error: expect.stringMatching(/^broken\.ics: not a usable iCalendar file \(event broken@x: /) }]);
    // An hour before the budget workshop, which only council.ics has.
    expect((await steps.runDue(new Date("2026-06-10T00:00:00Z"))).queued).toBe((await steps.store.peopleByRole("intern")).length);
    // Jun 16 09:00 PDT: the day-before reminders of the program file's own events.
    expect((await steps.runDue(new Date("2026-06-16T16:00:00Z"))).queued).toBeGreaterThan(0);
  });
});
