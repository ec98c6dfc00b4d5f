import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sql } from "drizzle-orm";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import slackAdapter from "../adapters/slack/index.ts";
import { boot } from "../app/boot.ts";
import { DataDirInUse } from "../db/lock.ts";
import { startServer } from "../app/server.ts";
import { readEnv } from "../src/config.ts";
import { INBOX_LEASE_MS } from "../src/inbox.ts";
import { silentLogger } from "../src/log.ts";
import { freshDb } from "./support/db.ts";
import { slackSender, startFakeSlack, type FakeSlack } from "./support/fake-slack.ts";
import { testProgram } from "./support/program.ts";
import { SECRET, slackStack, textOf, users, type SlackStack } from "./support/slack.ts";
import { cardOf, teamsActivity, teamsRig, type TeamsRig } from "./support/teams.ts";
import { until } from "./support/wait.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

const INTERNS = 40;
const KILL_AFTER = 10;
const intern = (i: number) => ({ userId: `U0INT${i}`, email: `intern${i}@example.org` });

/** A program and roster with many interns of one mentor, in a folder of their own; DATA_DIR for PGlite. */
function programFolder(fake: FakeSlack) {
  const dir = mkdtempSync(join(tmpdir(), "steps-inbox-"));
  const file = testProgram().file;
  writeFileSync(join(dir, "program.yml"), stringify({ ...file, program: { ...file.program, channels: { announcements: { slack: "C0ANNOUNCE" }, coordinators: { slack: "C0COORDS" } } } }));
  const rows = Array.from({ length: INTERNS }, (_, i) => `${intern(i).email},Intern ${i},intern,public-works,max@example.org`);
  writeFileSync(join(dir, "roster.csv"), ["email,name,role,department,mentor_email", "cora@example.org,Cora Coordinator,coordinator,,", "max@example.org,Max Mentor,mentor,public-works,", ...rows].join("\n"));
  return {
    dir,
    vars: {
      PORT: "0",
      HOST: "127.0.0.1",
      PUBLIC_URL: "http://steps.test",
      DATA_DIR: join(dir, "data"),
      PROGRAM_FILE: join(dir, "program.yml"),
      ROSTER_FILE: join(dir, "roster.csv"),
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: "xoxb-test-token",
      SLACK_API_URL: fake.apiUrl,
    } as Record<string, string>,
  };
}

/** `steps serve` as `npm start` runs it, in a process group of its own; resolves with its URL once it listens. */
function serve(vars: Record<string, string>) {
  const child = spawn(join("node_modules", ".bin", "tsx"), ["app/cli.ts", "serve"], { env: { ...process.env, ...vars, LOG_LEVEL: "info" }, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const tail: string[] = [];
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on("line", (line) => {
      tail.push(line);
      const port = /"message":"Steps is listening","url":"http:\/\/localhost:(\d+)"/.exec(line)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    });
    void exited.then(() => reject(new Error(`steps serve exited before listening:\n${tail.slice(-20).join("\n")}`)));
  });
  return { url, exited, kill: () => process.kill(-child.pid!, "SIGKILL") };
}

describe("the inbox keeps every acknowledged request", () => {
  // Two start-ups of the whole server: on a busy machine that alone can take a minute.
  it("answers every command that got a 200 exactly as recorded, after the server is killed mid-burst and started again", { timeout: 240_000 }, async () => {
    const fake = await startFakeSlack({ emails: { [users.max]: "max@example.org", ...Object.fromEntries(Array.from({ length: INTERNS }, (_, i) => [intern(i).userId, intern(i).email])) } });
    cleanups.push(() => fake.close());
    const folder = programFolder(fake);
    cleanups.push(async () => rmSync(folder.dir, { recursive: true, force: true }));
    if (process.env.DATABASE_URL) {
      const db = await freshDb();
      cleanups.push(() => db.close());
      folder.vars.DATABASE_URL = db.url!;
    }

    const server = serve(folder.vars);
    cleanups.push(async () => server.kill());
    const send = slackSender(`${await server.url}/slack/events`, SECRET, fake);

    // A burst of commands, eight at a time; the process group is killed once ten have been acknowledged.
    const status: (number | "no answer")[] = Array(INTERNS).fill("no answer");
    let acknowledged = 0;
    let killedAt = Infinity;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < INTERNS) {
          const i = next++;
          try {
            const res = await send.command(intern(i).userId, "done safety-walk", { responseUrl: fake.responseUrl(`c${i}`), triggerId: `trigger-${i}` });
            status[i] = res.status;
            if (res.status === 200 && ++acknowledged === KILL_AFTER) {
              killedAt = Date.now();
              server.kill();
            }
          } catch {
            // The connection died with the server: no answer.
          }
        }
      }),
    );
    await server.exited;
    expect(acknowledged).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(status.filter((s) => s !== 200).length).toBeGreaterThan(0);
    expect(status.every((s) => s === 200 || s === "no answer")).toBe(true);

    // Started again on the same database. Its clock is a lease ahead, so what the dead process had claimed is due at once.
    // The killed server's own process may outlive the wrapper we waited for by an instant: its lock names it until then.
    let steps: Awaited<ReturnType<typeof boot>> | undefined;
    await until("the killed server's lock is free", async () => {
      steps = await boot(readEnv(folder.vars), silentLogger, { now: () => new Date(Date.now() + INBOX_LEASE_MS) }).catch((error) => {
        if (error instanceof DataDirInUse) return undefined;
        throw error;
      });
      return steps !== undefined;
    });
    if (!steps) throw new Error("unreachable: until() returned");
    cleanups.push(() => steps!.close());
    // The dead process's last requests may reach the fake after the kill (the fake reads them later); by the time the
    // new server runs, it has read them, and the new server's Slack handler, registered by startServer, sends nothing before.
    const restartedAt = Date.now();
    const restarted = await startServer(steps, [slackAdapter]);
    cleanups.push(() => restarted.close());
    await steps.inbox.kick();
    await steps.inbox.idle();
    await steps.dispatcher.idle();

    const result = await steps.db.db.execute(sql`select key, status from inbox`);
    const inbox = new Map((((result as { rows?: unknown[] }).rows ?? result) as { key: string; status: string }[]).map((r) => [r.key, r.status]));
    for (let i = 0; i < INTERNS; i++) {
      const person = (await steps.store.personByEmail(intern(i).email))!;
      const submissions = await steps.store.submissionsOf(person.id);
      const replies = fake.calls.filter((c) => c.path === `/respond/c${i}`);
      const recorded = inbox.get(`slack:command:trigger-${i}`);
      const seen = { i, status: status[i], recorded, submissions: submissions.length, replies: replies.length, at: replies.map((r) => [r.at - killedAt, r.at - restartedAt]) };
      if (status[i] === 200 || recorded) {
        // Recorded once, its change made once, and answered: twice only when the dead process had sent the
        // answer but not yet noted it, the one window a response_url leaves (README, "How requests are served").
        expect(seen).toMatchObject({ recorded: "done", submissions: 1 });
        expect(replies.length, JSON.stringify(seen)).toBeGreaterThanOrEqual(1);
        expect(replies.filter((r) => r.at < restartedAt).length, JSON.stringify(seen)).toBeLessThanOrEqual(1);
        expect(replies.filter((r) => r.at >= restartedAt).length, JSON.stringify(seen)).toBeLessThanOrEqual(1);
        for (const reply of replies) expect(textOf(reply.body)).toContain(`Recorded Safety walk (#${submissions[0]!.id})`);
      } else {
        // No answer and not recorded: nothing happened at all.
        expect(seen).toMatchObject({ submissions: 0, replies: 0 });
      }
    }
    expect([...inbox.values()].every((s) => s === "done")).toBe(true);
  });
});

describe("the inbox does a Slack request delivered twice once", () => {
  let s: SlackStack;
  beforeAll(async () => {
    // The real clock: a retry is due a few seconds later.
    s = await slackStack({ now: () => new Date() });
    cleanups.push(() => s.close());
  });

  it("does a Slack command delivered twice once, at the same moment or later, and answers it once Slack is back", async () => {
    const responseUrl = s.fake.responseUrl("twice");
    const statuses = await Promise.all([1, 2].map(() => s.send.command(users.ana, "log 1h field-hours", { responseUrl, triggerId: "trigger-twice" }).then((r) => r.status)));
    await s.settle();
    expect((await s.send.command(users.ana, "log 1h field-hours", { responseUrl, triggerId: "trigger-twice" })).status).toBe(200);
    await s.settle();
    expect(statuses).toEqual([200, 200]);
    const ana = (await s.steps.store.personByEmail("ana@example.org"))!;
    expect((await s.steps.store.submissionsOf(ana.id)).map((x) => x.units)).toEqual([60]);
    expect(s.fake.of("response_url").map((c) => textOf(c.body))).toEqual([expect.stringContaining("Recorded 1 h of Field hours")]);

    // Slack cannot say who Ben is for a while: the command waits in the inbox and is answered properly afterwards.
    s.fake.clear();
    s.fake.set({ failures: { "users.info": "internal_error" } });
    expect((await s.send.command(users.ben, "done safety-walk", { responseUrl: s.fake.responseUrl("later") })).status).toBe(200);
    await until("Slack refused the look-up", () => s.fake.of("users.info").length === 1);
    s.fake.set({});
    await until("Ben is answered", () => s.fake.calls.some((c) => c.path === "/respond/later"), 20_000);
    await s.settle();
    const later = s.fake.calls.filter((c) => c.path === "/respond/later");
    expect(later.map((c) => textOf(c.body))).toEqual([expect.stringContaining("Recorded Safety walk")]);
    expect(s.fake.of("users.info").map((c) => c.response.ok)).toEqual([false, true]);
  });

});

describe("the inbox does a Teams activity delivered twice once", () => {
  let t: TeamsRig;
  beforeAll(async () => {
    t = await teamsRig();
    cleanups.push(() => t.close());
  });

  it("does a Teams message delivered twice at once only once, and answers it when the first reply fails", async () => {
    const eve = t.member("eve", "eve@example.org");
    const activity = teamsActivity(t.connector, { from: eve, text: "done safety-walk" });
    const statuses = await Promise.all([t.post(activity), t.post(activity)]);
    expect(statuses.map((r) => r.status)).toEqual([200, 200]);
    const eveId = (await t.steps.store.personByEmail("eve@example.org"))!.id;
    expect(await t.steps.store.submissionsOf(eveId)).toHaveLength(1);
    expect(t.connector.calls.filter((c) => c.kind === "reply")).toHaveLength(1);

    // Teams throttles the reply longer than botbuilder's own three retries: the message is acknowledged
    // all the same, and answered on a later attempt.
    const ben = t.member("ben", "ben@example.org");
    t.connector.throttle(4, 1, `a:personal-${ben}`);
    expect((await t.post(teamsActivity(t.connector, { from: ben, text: "done safety-walk" }))).status).toBe(200);
    const toBen = () => t.connector.calls.filter((c) => c.conversationId === `a:personal-${ben}` && c.kind === "reply");
    await until("Ben is answered", () => toBen().length === 1, 20_000);
    await t.steps.inbox.idle();
    expect(t.connector.calls.filter((c) => c.kind === "throttled")).toHaveLength(4);
    expect(toBen().map((c) => cardOf(c).fallbackText)).toEqual([expect.stringMatching(/^Recorded Safety walk/)]);
    expect(await t.steps.store.submissionsOf((await t.steps.store.personByEmail("ben@example.org"))!.id)).toHaveLength(1);
  });
});
