import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FORGET_BATCH, SENT_TEXT_KEPT_DAYS } from "../src/delivery/forget.ts";
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

describe("the outbox", () => {
  type Row = { key: string; status: string; payload: Record<string, unknown>; delivered: unknown };
  const outbox = async () => new Map((await select<Row>(sql`select key, status, payload, delivered from outbox order by id`)).map((r) => [r.key, r]));
  const person = async (email: string) => (await s.steps.store.personByEmail(email))!;

  /** Queues an item no instance sends by itself (due far ahead), then settles it as an instance would have at START. */
  async function settled(key: string, recipient: `person:${number}` | `job:${string}`, payload: Parameters<SlackStack["steps"]["store"]["enqueue"]>[0][0]["payload"], outcome: "sent" | "failed") {
    const far = at(10_000 * DAY);
    await s.steps.store.enqueue([{ key, recipient, payload, notBefore: far }]);
    const [item] = await s.steps.store.claimDue(far, 1, 10_000);
    if (outcome === "sent") await s.steps.store.markSent([{ id: item!.id, claims: item!.claims, delivered: [], at: START }]);
    else await s.steps.store.markFailed(item!, "not found on Slack");
  }

  it(`empties the text of messages sent over ${SENT_TEXT_KEPT_DAYS} days ago, keeping key, status and where they landed: a request decided later is still edited in place, and its key still sends it once`, async () => {
    const [ana, max] = [await person("ana@example.org"), await person("max@example.org")];
    await s.send.command(users.ana, "done safety-walk");
    const [request] = await s.waitFor("chat.postMessage");
    const [sub] = await s.steps.store.submissionsOf(ana.id);
    const requestKey = `approval:${sub!.id}:${max.id}`;
    // A job done and a message that failed for good, both at START.
    await settled("credly:issue:award-1", "job:credly", { job: { action: "issue", award: "award-1" } }, "sent");
    await settled("reminder:failed", `person:${ana.id}`, { message: { text: "Ana, your shift starts soon", blocks: [] } }, "failed");
    clock = at(80 * DAY);
    s.fake.clear();
    await s.send.command(users.ana, "done fleet-tour");
    await s.waitFor("chat.postMessage");
    const recentKey = `approval:${(await s.steps.store.submissionsOf(ana.id)).find((x) => x.task === "fleet-tour")!.id}:${max.id}`;
    const before = await outbox();
    expect(before.get(requestKey)).toMatchObject({ status: "sent", payload: { message: { text: expect.stringContaining("Ana") } } });

    // The last moment of the request's window: its text is kept.
    clock = at(SENT_TEXT_KEPT_DAYS * DAY);
    await s.steps.runDue(clock);
    expect(await outbox()).toEqual(before);
    // A second later only its text goes; the job, the failed message and the recent request keep theirs.
    clock = at(SENT_TEXT_KEPT_DAYS * DAY + 1000);
    await s.steps.runDue(clock);
    const after = await outbox();
    expect(after.get(requestKey)).toEqual({ ...before.get(requestKey), payload: {} });
    expect(after.get(requestKey)!.delivered).toEqual([expect.objectContaining({ platform: "slack", ts: request!.response.ts })]);
    for (const key of ["credly:issue:award-1", "reminder:failed", recentKey]) expect(after.get(key)).toEqual(before.get(key));
    // The digest still lists the failed message.
    expect((await s.steps.store.digestRows(clock)).failedDeliveries.map((f) => f.key)).toEqual(["reminder:failed"]);

    // Decided now, months later: the request Max got is edited in place, and Ana is told.
    s.fake.clear();
    expect((await s.send.click(users.max, "approve", String(sub!.id))).status).toBe(200);
    const [update] = await s.waitFor("chat.update");
    expect(update!.body).toMatchObject({ channel: `D${users.max}`, ts: request!.response.ts });
    expect((await s.waitFor("chat.postMessage")).some((c) => c.body.channel === `D${users.ana}`)).toBe(true);
    // Its key still holds: queued again, it is not sent again.
    expect(await s.steps.store.enqueue([{ key: requestKey, recipient: `person:${max.id}`, payload: { message: { text: "again", blocks: [] } } }])).toBe(0);

    // `run-due --at` far ahead empties nothing early; the recent request's text goes on time.
    await s.steps.runDue(at(1000 * DAY));
    expect((await outbox()).get(recentKey)).toEqual(before.get(recentKey));
    clock = at((80 + SENT_TEXT_KEPT_DAYS) * DAY + 1000);
    await s.steps.runDue(clock);
    expect((await outbox()).get(recentKey)!.payload).toEqual({});
  });

  it(`empties at most ${FORGET_BATCH} texts a run, and the next run takes the rest`, async () => {
    const ana = await person("ana@example.org");
    const far = at(10_000 * DAY);
    const count = FORGET_BATCH + 1;
    await s.steps.store.enqueue(Array.from({ length: count }, (_, i) => ({ key: `nudge:${i}`, recipient: `person:${ana.id}` as const, payload: { message: { text: "Ana, a nudge", blocks: [] } }, notBefore: far })));
    const claimed = await s.steps.store.claimDue(far, count, 10_000);
    await s.steps.store.markSent(claimed.map((c) => ({ id: c.id, claims: c.claims, delivered: [], at: START })));
    const emptied = async () => (await select<{ n: number }>(sql`select count(*)::int as n from outbox where payload = '{}'::jsonb`))[0]!.n;
    clock = at(SENT_TEXT_KEPT_DAYS * DAY + 1000);
    await s.steps.runDue(clock);
    expect(await emptied()).toBe(FORGET_BATCH);
    await s.steps.runDue(clock);
    expect(await emptied()).toBe(count);
  });
});
