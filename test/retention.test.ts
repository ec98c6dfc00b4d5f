import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { INBOX_KEPT_DAYS } from "../src/inbox.ts";
import { slackStack, users, type SlackStack } from "./support/slack.ts";

const DAY = 24 * 3600_000;
const START = new Date("2026-06-16T17:00:00Z");
let clock = START;
const at = (ms: number) => new Date(START.getTime() + ms);

let s: SlackStack;
beforeAll(async () => {
  s = await slackStack({ now: () => clock });
});
beforeEach(async () => {
  clock = START;
  await s.reset();
});
afterAll(() => s.close());

async function select<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  const result = await s.steps.db.db.execute(query);
  return ((result as { rows?: unknown[] }).rows ?? result) as T[];
}

const inboxKeys = async () => (await select<{ key: string; status: string }>(sql`select key, status from inbox order by id`)).map((r) => `${r.key} ${r.status}`);
const anasSubmissions = async () => (await s.steps.store.submissionsOf((await s.steps.store.personByEmail("ana@example.org"))!.id)).length;

describe("the inbox", () => {
  it(`deletes requests finished over ${INBOX_KEPT_DAYS} days ago on the scheduler's run; recent and unfinished ones stay, and a recent one sent again is still recorded once`, async () => {
    await s.send.command(users.ana, "done safety-walk", { triggerId: "old" });
    await s.waitFor("response_url");
    // Recorded by an instance running Teams, which this one does not: it waits, queued, for one that does.
    await s.steps.store.inboxAdd({ key: "teams:waiting", handler: "teams", payload: {}, at: START });
    // One that failed for good (after its retries, as src/inbox.ts marks it).
    await s.steps.store.inboxAdd({ key: "gone:failed", handler: "gone", payload: {}, at: START });
    const [claimed] = await s.steps.store.inboxClaim(["gone"], START, 1, 15_000);
    await s.steps.store.inboxFailed(claimed!.id, "Slack was unavailable", START);
    clock = at(3 * DAY);
    await s.send.command(users.ana, "done fleet-tour", { triggerId: "recent" });
    await s.waitFor("response_url", 2);
    expect(await inboxKeys()).toEqual(["slack:command:old done", "teams:waiting queued", "gone:failed failed", "slack:command:recent done"]);

    // The last moment of the old one's week: kept.
    clock = at(INBOX_KEPT_DAYS * DAY);
    await s.steps.runDue(clock);
    expect(await inboxKeys()).toHaveLength(4);
    // A second later the done and the failed one go; the waiting one stays, however old.
    clock = at(INBOX_KEPT_DAYS * DAY + 1000);
    await s.steps.runDue(clock);
    expect(await inboxKeys()).toEqual(["teams:waiting queued", "slack:command:recent done"]);

    // Slack sends the recent command again: acknowledged, found recorded, not worked again.
    s.fake.clear();
    expect((await s.send.command(users.ana, "done fleet-tour", { triggerId: "recent" })).status).toBe(200);
    await s.settle();
    expect(s.fake.of("response_url")).toEqual([]);
    expect(await anasSubmissions()).toBe(2);

    // `run-due --at` far ahead deletes nothing early: the clock that marked them done decides.
    await s.steps.runDue(at(365 * DAY));
    expect(await inboxKeys()).toEqual(["teams:waiting queued", "slack:command:recent done"]);
    clock = at((3 + INBOX_KEPT_DAYS) * DAY + 1000);
    await s.steps.runDue(clock);
    expect(await inboxKeys()).toEqual(["teams:waiting queued"]);
  });
});
