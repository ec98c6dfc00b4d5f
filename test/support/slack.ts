import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { stringify } from "yaml";
import type { PlatformAdapter } from "../../adapters/platform.ts";
import slackAdapter from "../../adapters/slack/index.ts";
import { startServer } from "../../app/server.ts";
import { importRoster } from "../../src/domain/roster.ts";
import type { Logger } from "../../src/log.ts";
import { bootForTest } from "./boot.ts";
import { slackSender, startFakeSlack, type FakeSlackOptions } from "./fake-slack.ts";
import { rosterCsv, testProgram } from "./program.ts";
import { until } from "./wait.ts";

export const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
export const ANNOUNCE = "C0ANNOUNCE";

/** Slack user ids of the test roster; U_STRANGER is in the workspace but not on the roster. */
export const users = {
  cora: "U0CORA",
  max: "U0MAX",
  fay: "U0FAY",
  ana: "U0ANA",
  ben: "U0BEN",
  cal: "U0CAL",
  stranger: "U0STRANGER",
} as const;

/** Each Slack user's email, as users.info and users.lookupByEmail report it. */
export const emails: Record<string, string> = {
  [users.cora]: "cora@example.org",
  [users.max]: "max@example.org",
  [users.fay]: "fay@example.org",
  // Slack reports the address as the person typed it; the roster match ignores case.
  [users.ana]: "Ana@Example.org",
  [users.ben]: "ben@example.org",
  [users.cal]: "cal@example.org",
  [users.stranger]: "stranger@example.org",
};

/**
 * The whole app (real server, real Bolt, real database) with the test program
 * and roster, Slack configured, and the Web API pointed at a recording fake.
 */
export async function slackStack(options: { fake?: FakeSlackOptions; now?: () => Date; log?: Logger; vars?: Record<string, string>; adapters?: PlatformAdapter[] } = {}) {
  const fake = await startFakeSlack({ emails, ...options.fake });
  const dir = mkdtempSync(join(tmpdir(), "steps-slack-"));
  const file = testProgram().file;
  const program = { ...file, program: { ...file.program, channels: { announcements: { slack: ANNOUNCE }, coordinators: { slack: "C0COORDS" } } } };
  writeFileSync(join(dir, "program.yml"), stringify(program));
  writeFileSync(join(dir, "roster.csv"), rosterCsv);
  const steps = await bootForTest(
    {
      PROGRAM_FILE: join(dir, "program.yml"),
      ROSTER_FILE: join(dir, "roster.csv"),
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: "xoxb-test-token",
      SLACK_API_URL: fake.apiUrl,
      ...options.vars,
    },
    { now: options.now ?? (() => new Date("2026-06-16T17:00:00Z")), log: options.log },
  );
  const server = await startServer(steps, options.adapters ?? [slackAdapter], { retryEveryMs: 60_000 });
  const send = slackSender(`${server.url}/slack/events`, SECRET, fake);
  return {
    fake,
    steps,
    server,
    send,
    /** Waits until the fake has seen `count` calls of that method (work continues after the ack). */
    async waitFor(method: string, count = 1, timeoutMs = 5_000) {
      await server.idle();
      await until(() => `Slack sees ${count} × ${method}; saw ${fake.calls.map((c) => c.method).join(", ")}`, () => fake.of(method).length >= count, timeoutMs);
      await server.idle();
      return fake.of(method);
    },
    /** Empties the database (roster reloaded) and the fake, so one booted stack serves a whole file. */
    async reset(fakeOptions: Partial<FakeSlackOptions> = {}) {
      await server.idle();
      await steps.db.db.execute(sql`truncate people, identities, submissions, decisions, awards, outbox, inbox, settings restart identity cascade`);
      await importRoster(steps.store, steps.program, rosterCsv);
      fake.clear();
      fake.set(fakeOptions);
    },
    /**
     * Waits until the work of every request answered so far has finished and
     * what it queued has been sent: after it, a call the fake has not seen
     * will not come.
     */
    settle: () => server.idle(),
    async close() {
      await server.close();
      await steps.close().catch(() => {});
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type SlackStack = Awaited<ReturnType<typeof slackStack>>;

/** All the text of a Slack message body (fallback and blocks), for loose assertions. */
export function textOf(body: Record<string, unknown>): string {
  return JSON.stringify([body.text, body.blocks]);
}
