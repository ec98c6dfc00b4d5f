import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startWorkThread, wantsWorkThread } from "../app/work-thread.ts";
import { readEnv } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { onPostgres } from "./support/db.ts";
import { slackStack, users, type SlackStack } from "./support/slack.ts";

let s: SlackStack | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe("the work thread", () => {
  it("is on with PostgreSQL and off with PGlite, unless WORK_THREAD says otherwise", () => {
    expect(wantsWorkThread(readEnv({}))).toBe(false);
    expect(wantsWorkThread(readEnv({ DATABASE_URL: "postgres://db.example/steps" }))).toBe(true);
    expect(wantsWorkThread(readEnv({ DATABASE_URL: "postgres://db.example/steps", WORK_THREAD: "off" }))).toBe(false);
    expect(wantsWorkThread(readEnv({ WORK_THREAD: "on" }))).toBe(true);
    expect(() => readEnv({ WORK_THREAD: "yes" })).toThrow(/WORK_THREAD/);
  });

  it("refuses to start without PostgreSQL, and says why", async () => {
    await expect(startWorkThread(readEnv({ WORK_THREAD: "on" }), silentLogger)).rejects.toThrow(/needs PostgreSQL \(DATABASE_URL\)/);
  });

  it("fails to start with the thread's own reason when its instance cannot boot", async () => {
    const env = readEnv({ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test", PROGRAM_FILE: "no/such/program.yml" });
    await expect(startWorkThread(env, silentLogger)).rejects.toThrow(/work thread did not start: .*no\/such\/program\.yml/);
  });

  // With PGlite there is no work thread and the same requests are answered on the serving thread.
  const where = onPostgres ? "in the work thread" : "on the serving thread (PGlite)";

  it(`answers a command and an approval ${where}, as on one thread`, async () => {
    s = await slackStack({ workThread: true });
    expect(Boolean(s.workThread)).toBe(onPostgres);
    expect((await s.send.command(users.ana, "done safety-walk")).status).toBe(200);
    const [reply] = await s.waitFor("response_url", 1, 15_000);
    expect(String(reply!.body.text)).toMatch(/^Recorded Safety walk/);
    const [dm] = await s.waitFor("chat.postMessage", 1, 15_000);
    expect(dm!.body.channel).toBe(`D${users.max}`);
    const [sub] = await s.steps.store.submissionsOf((await s.steps.store.personByEmail("ana@example.org"))!.id);
    await s.send.click(users.max, "approve", String(sub!.id));
    await s.waitFor("chat.postMessage", 2, 15_000);
    await s.waitFor("chat.update", 1, 15_000);
    expect((await s.steps.store.submission(sub!.id))?.status).toBe("approved");
    expect(s.handed()).toBe(onPostgres ? 2 : 0);
  });

  it(`leaves the serving thread's priority alone and lowers every other thread's ${onPostgres ? "to 19" : "not at all (PGlite)"}`, async () => {
    const niceOf = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]);
    const self = readlinkSync("/proc/thread-self").split("/").pop()!;
    const before = niceOf(self);
    s = await slackStack({ workThread: true });
    const others = readdirSync("/proc/self/task").filter((tid) => tid !== self);
    expect(others.length).toBeGreaterThan(onPostgres ? 4 : 0);
    expect(niceOf(self)).toBe(before);
    expect(new Set(others.map(niceOf))).toEqual(new Set([onPostgres ? 19 : before]));
  });

  it("finishes the jobs it was handed before it stops", async () => {
    s = await slackStack({ workThread: true });
    const commands = [
      [users.ana, "done safety-walk"],
      [users.ana, "done fleet-tour"],
      [users.ben, "done safety-walk"],
    ] as const;
    for (const [user, text] of commands) expect((await s.send.command(user, text)).status).toBe(200);
    await s.workThread?.close();
    const replies = await s.waitFor("response_url", commands.length, 15_000);
    expect(replies.map((r) => String(r.body.text).slice(0, 9))).toEqual(["Recorded ", "Recorded ", "Recorded "]);
    const recorded = await Promise.all(["ana", "ben"].map(async (n) => s!.steps.store.submissionsOf((await s!.steps.store.personByEmail(`${n}@example.org`))!.id)));
    expect(recorded.map((r) => r.length)).toEqual([2, 1]);
  });
});
