import { and, eq, like, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import emailAdapter from "../adapters/email/index.ts";
import { outbox } from "../db/schema.ts";
import { rawRequest } from "./support/http.ts";
import { startSmtp, type Smtp } from "./support/smtp.ts";
import { teamsActivity, teamsRig, type TeamsRig } from "./support/teams.ts";

// An intern on Teams, their supervisor by email: the real server with the
// Teams adapter (against a fake connector) and the email adapter (against a
// real SMTP server in the test process).

let smtp: Smtp;
let t: TeamsRig;
beforeAll(async () => {
  smtp = await startSmtp();
  t = await teamsRig({ SMTP_URL: smtp.url, EMAIL_FROM: "steps@city.example.org" }, { now: () => new Date("2026-06-16T17:00:00Z"), adapters: [emailAdapter] });
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});
beforeEach(() => {
  t.connector.calls.length = 0;
});

const chat = (userId: string) => `a:personal-${userId}`;
const sentTo = (userId: string) => t.connector.messages().filter((c) => c.conversationId === chat(userId));

describe("Teams intern, supervisor by email", () => {
  it("the request goes by email only; the supervisor approves from it, and the decision reaches the intern on Teams", async () => {
    await t.steps.db.db.execute(sql`update people set contact = 'email' where email = 'max@example.org'`);
    const max = t.member("max", "max@example.org");
    // Max even talked to the bot once; his contact still says email.
    await t.post(teamsActivity(t.connector, { from: max, text: "help" }));
    t.connector.calls.length = 0;
    const ana = t.member("ana", "ana@example.org");
    await t.post(teamsActivity(t.connector, { from: ana, text: "done safety-walk Swept the yard" }));
    expect(smtp.to("max@example.org")).toHaveLength(1);
    expect(smtp.to("max@example.org")[0]!.text).toContain("Swept the yard");
    expect(sentTo(max)).toEqual([]);

    // Max follows the email's Approve link: the GET asks, the page's button decides.
    const [submission] = await t.steps.store.submissionsOf((await t.steps.store.personByEmail("ana@example.org"))!.id);
    const approve = new URL(/^Approve: (\S+)$/m.exec(smtp.to("max@example.org")[0]!.text!)![1]!);
    const page = await rawRequest(`${t.server.url}${approve.pathname}${approve.search}`);
    expect(page.body).toContain("as <strong>Max Mentor</strong>");
    expect(await t.steps.store.decisionOf(submission!.id)).toBeUndefined();
    const confirmed = await rawRequest(`${t.server.url}/email/link`, {
      method: "POST",
      headers: { host: new URL(t.server.url).host, origin: t.server.url, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ t: approve.searchParams.get("t")! }).toString(),
    });
    expect(confirmed.status).toBe(200);
    expect(await t.steps.store.decisionOf(submission!.id)).toMatchObject({ decision: "approved" });
    await t.server.idle();
    await t.steps.dispatcher.drain();
    await t.steps.dispatcher.idle();
    expect(JSON.stringify(sentTo(ana).map((c) => c.body))).toContain("approved Safety walk");
    expect(smtp.to("max@example.org")).toHaveLength(2);
    expect(smtp.to("max@example.org")[1]!.inReplyTo).toBe(smtp.to("max@example.org")[0]!.messageId);
  });

  it("a mentor who never installed the Teams app gets the request by email, told once how to switch", async () => {
    const eve = t.member("eve", "eve@example.org");
    await t.post(teamsActivity(t.connector, { from: eve, text: "done safety-walk" }));
    const [first] = smtp.to("fay@example.org");
    expect(first!.text).toMatch(/could not reach you on Teams.*open Steps on Teams/s);
    const fay = (await t.steps.store.personByEmail("fay@example.org"))!;
    const rows = await t.steps.db.db.select().from(outbox).where(and(like(outbox.key, "approval:%"), eq(outbox.recipient, `person:${fay.id}`)));
    expect(rows.map((r) => r.status)).toEqual(["sent"]);
  });
});
