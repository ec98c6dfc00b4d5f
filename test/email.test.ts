import { createServer } from "node:net";
import type { ParsedMail } from "mailparser";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import emailAdapter from "../adapters/email/index.ts";
import slackAdapter from "../adapters/slack/index.ts";
import { outbox } from "../db/schema.ts";
import { answer } from "../src/chat.ts";
import { silentLogger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import type { Contact } from "../src/store.ts";
import { rawRequest } from "./support/http.ts";
import { emails, slackStack, users, type SlackStack } from "./support/slack.ts";
import { startSmtp, type Smtp } from "./support/smtp.ts";
import { until } from "./support/wait.ts";

// Email against a real SMTP server in the test process, beside a real Slack
// stack (server, Bolt, database): Ana, the intern, is on Slack; Max, her
// mentor, is set to be reached by email.

const FROM = "steps@city.example.org";
let clock = new Date("2026-06-16T17:00:00Z");
let smtp: Smtp;
let s: SlackStack;

async function contact(address: string, value: Contact) {
  await s.steps.db.db.execute(sql`update people set contact = ${value} where email = ${address}`);
}

async function outboxRow(prefix: string) {
  const rows = await s.steps.db.db.select().from(outbox).where(sql`${outbox.key} like ${`${prefix}%`}`);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

/** Sends what is due now, after the server's own work has finished. */
async function drain() {
  await s.settle();
  await s.steps.dispatcher.drain();
  await s.steps.dispatcher.idle();
}

const toMax = () => smtp.to("max@example.org");
const slackDmsTo = (user: string) => s.fake.of("chat.postMessage").filter((c) => c.body.channel === `D${user}`);

beforeAll(async () => {
  smtp = await startSmtp();
  s = await slackStack({ adapters: [slackAdapter, emailAdapter], now: () => clock, vars: { SMTP_URL: smtp.url, EMAIL_FROM: FROM } });
});
beforeEach(async () => {
  clock = new Date("2026-06-16T17:00:00Z");
  await s.reset({ emails });
  smtp.received.length = 0;
  await contact("max@example.org", "email");
});
afterAll(async () => {
  await s.close();
  await smtp.close();
});

describe("email: who gets it, and what they get", () => {
  it("an intern on Slack, a mentor with contact email: the approval request arrives by email only, and its decision threads after it", async () => {
    await s.send.command(users.ana, "done safety-walk Checked the yard");
    await drain();
    await until("Max gets one email", () => toMax().length === 1);
    const [mail] = toMax();
    expect(mail!.from!.value).toEqual([{ address: FROM, name: s.steps.program.name }]);
    expect(mail!.subject).toMatch(/approval|review|Safety walk/i);
    expect(mail!.headers.get("content-type")).toMatchObject({ value: "multipart/alternative" });
    expect(mail!.text).toContain("Ana Intern");
    expect(mail!.text).toContain("Checked the yard");
    expect(mail!.html).toContain("Checked the yard");
    // An approval can never be unsubscribed from.
    expect(mail!.headers.has("list-unsubscribe")).toBe(false);
    expect(mail!.messageId).toMatch(/^<approval-\d+-\d+\.[0-9a-f]+@city\.example\.org>$/);
    // Nothing to Max on Slack: his contact is email.
    expect(slackDmsTo(users.max)).toEqual([]);
    expect((await outboxRow("approval:")).status).toBe("sent");

    // Max follows the email's Approve link: the GET only asks, the page's button decides. The intern hears on
    // Slack, and Max's thread gets the decision.
    const [submission] = await s.steps.store.submissionsOf((await s.steps.store.personByEmail("ana@example.org"))!.id);
    const approve = new URL(/href="([^"]*\/email\/link\?[^"]*)"/.exec(mail!.html as string)![1]!.replaceAll("&amp;", "&"));
    expect(mail!.text).toContain(approve.toString());
    const page = await fetch(`${s.server.url}${approve.pathname}${approve.search}`);
    expect(await page.text()).toContain("as <strong>Max Mentor</strong>");
    expect(await s.steps.store.decisionOf(submission!.id)).toBeUndefined();
    const { host } = new URL(s.server.url);
    const confirmed = await rawRequest(`${s.server.url}/email/link`, {
      method: "POST",
      headers: { host, origin: s.server.url, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ t: approve.searchParams.get("t")! }).toString(),
    });
    expect(confirmed.status).toBe(200);
    expect(await s.steps.store.decisionOf(submission!.id)).toMatchObject({ decision: "approved" });
    await drain();
    await until("the decision follows the request", () => toMax().length === 2);
    const decided = toMax()[1]!;
    expect(decided.inReplyTo).toBe(mail!.messageId);
    expect(decided.subject).toBe(`Re: ${mail!.subject}`);
    expect(decided.text).toContain("Approved by Max Mentor");
    expect(slackDmsTo(users.ana).map((c) => JSON.stringify(c.body))).toEqual([expect.stringContaining("approved Safety walk")]);
  });

  it("contact both: the request goes by email and on Slack", async () => {
    await contact("max@example.org", "both");
    await s.send.command(users.ana, "done safety-walk");
    await drain();
    await until("Max gets the email", () => toMax().length === 1);
    expect(slackDmsTo(users.max)).toHaveLength(1);
    expect((await outboxRow("approval:")).delivered).toEqual([expect.objectContaining({ platform: "email" }), expect.objectContaining({ platform: "slack" })]);
  });

  it("contact chat but not on Slack: email takes the message, says once how to switch, and takes the next ones too", async () => {
    await contact("max@example.org", "chat");
    const { [users.max]: _gone, ...others } = emails;
    s.fake.set({ emails: others });
    await s.send.command(users.ana, "done safety-walk");
    await drain();
    await until("Max gets the first email", () => toMax().length === 1);
    expect(toMax()[0]!.text).toMatch(/could not reach you on Slack.*open Steps on Slack/s);
    await s.send.command(users.ben, "done safety-walk");
    await drain();
    await until("Max gets the second email", () => toMax().length === 2);
    expect(toMax()[1]!.text).not.toMatch(/could not reach you/);
    expect(slackDmsTo(users.max)).toEqual([]);
    const rows = await s.steps.db.db.select().from(outbox).where(sql`${outbox.key} like 'approval:%'`);
    expect(rows.map((r) => r.status)).toEqual(["sent", "sent"]);
  });

  it("a reminder carries one-click unsubscribe; GET only asks, POST turns reminders off, in every program the person is in", async () => {
    const max = (await s.steps.store.personByEmail("max@example.org"))!;
    await s.steps.store.scoped("another-program").upsertPeople([{ email: max.email, name: max.name, role: "mentor", department: null, mentorEmail: null }]);
    const elsewhere = (await s.steps.store.scoped("another-program").personByEmail(max.email))!;
    const message = { text: "Reminder: site visit", blocks: [{ type: "header" as const, text: "Reminder: site visit" }] };
    await s.steps.store.enqueue([{ key: `reminder:site-visit:2026-06-17:1h:person:${max.id}`, recipient: `person:${max.id}`, payload: { message } }]);
    await drain();
    await until("the reminder arrives", () => toMax().length === 1);
    const mail = toMax()[0]!;
    const header = (name: string) => mail.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n[ \t]*/g, "");
    expect(header("list-unsubscribe-post")).toBe("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    const line = header("list-unsubscribe")!;
    const link = /<(http[^>]+)>/.exec(line)![1]!;
    expect(link.startsWith("http://steps.test/email/unsubscribe?t=")).toBe(true);
    const local = link.replace("http://steps.test", s.server.url);

    const page = await fetch(local);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('method="post"');
    expect((await s.steps.store.personById(max.id))!.remindersOff).toBe(false);

    const altered = await fetch(`${local.slice(0, -3)}abc`, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(altered.status).toBe(400);
    expect((await s.steps.store.personById(max.id))!.remindersOff).toBe(false);

    const done = await fetch(local, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(done.status).toBe(200);
    expect((await s.steps.store.personById(max.id))!.remindersOff).toBe(true);
    expect((await s.steps.store.personById(elsewhere.id))!.remindersOff).toBe(true);
  });
});

/** A form posted as a browser sends it from one of Steps' own pages. */
function postForm(path: string, fields: Record<string, string>) {
  return rawRequest(`${s.server.url}${path}`, {
    method: "POST",
    headers: { host: new URL(s.server.url).host, origin: s.server.url, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The links of a received approval email, as the person would follow them (on the test server rather than PUBLIC_URL). */
function buttonsOf(mail: ParsedMail) {
  const url = (label: string) => new URL(new RegExp(`^${label}: (\\S+)$`, "m").exec(mail.text!)![1]!.replace("http://steps.test", s.server.url));
  const approve = url("Approve");
  const changes = url("Request changes");
  return { approve, changes, token: (u: URL) => u.searchParams.get("t")! };
}

describe("email: the links in a received approval email", () => {
  it("a scanner's GETs decide nothing, an altered link does nothing, Request changes asks for the reason, and a used link says so", async () => {
    await s.send.command(users.ana, "done safety-walk");
    await drain();
    await until("Max gets the request", () => toMax().length === 1);
    const ana = (await s.steps.store.personByEmail("ana@example.org"))!;
    const [submission] = await s.steps.store.submissionsOf(ana.id);
    const { approve, changes, token } = buttonsOf(toMax()[0]!);

    // Mail scanners and link previews follow every link, some more than once.
    for (const url of [approve, changes, approve]) {
      expect((await rawRequest(url.toString(), { headers: { "user-agent": "Mozilla/5.0 (compatible; SafeLinks)" } })).status).toBe(200);
      expect((await rawRequest(url.toString(), { method: "HEAD" })).status).toBe(200);
    }
    expect(await s.steps.store.decisionOf(submission!.id)).toBeUndefined();

    const t = token(changes);
    const altered = `${t.slice(0, 40)}${t[40] === "A" ? "B" : "A"}${t.slice(41)}`;
    const alteredPage = await rawRequest(`${changes.origin}${changes.pathname}?t=${altered}`);
    expect(alteredPage.status).toBe(400);
    expect(alteredPage.body).toContain("This link does not work");
    expect((await postForm("/email/link", { t: altered, reason: "Sneaky." })).status).toBe(400);

    expect((await postForm("/email/link", { t })).status).toBe(422);
    const sent = await postForm("/email/link", { t, reason: "Add a photo of the yard." });
    expect(sent.status).toBe(200);
    expect(await s.steps.store.decisionOf(submission!.id)).toMatchObject({ decision: "changes_requested", reason: "Add a photo of the yard." });
    await drain();
    await until("Ana hears why on Slack", () => slackDmsTo(users.ana).some((c) => JSON.stringify(c.body).includes("Add a photo of the yard.")));

    const reused = await postForm("/email/link", { t, reason: "Again." });
    expect(reused.status).toBe(410);
    expect(reused.body).toContain("This link was already used");
    const sibling = await postForm("/email/link", { t: token(approve) });
    expect(sibling.status).toBe(409);
    expect(await s.steps.store.decisionOf(submission!.id)).toMatchObject({ decision: "changes_requested", reason: "Add a photo of the yard." });
  });

  it("a cancelled or expired link from an email does nothing, and says so", async () => {
    const max = (await s.steps.store.personByEmail("max@example.org"))!;
    await s.send.command(users.ana, "done safety-walk");
    await drain();
    await until("Max gets Ana's request", () => toMax().length === 1);
    const forAna = buttonsOf(toMax()[0]!);
    // What `steps email cancel-links max@example.org` does: the links sent so far stop working.
    expect(await s.steps.store.cancelEmailLinks(max.id, clock)).toBe(2);
    const cancelled = await postForm("/email/link", { t: forAna.token(forAna.approve) });
    expect(cancelled.status).toBe(410);
    expect(cancelled.body).toContain("A coordinator cancelled it");

    await s.send.command(users.ben, "done safety-walk");
    await drain();
    await until("Max gets Ben's request", () => toMax().length === 2);
    const forBen = buttonsOf(toMax()[1]!);
    clock = new Date(clock.getTime() + 8 * 24 * 3600_000);
    const expired = await postForm("/email/link", { t: forBen.token(forBen.approve) });
    expect(expired.status).toBe(410);
    expect(expired.body).toContain("This link has expired");

    const submissions = await Promise.all(["ana@example.org", "ben@example.org"].map(async (e) => (await s.steps.store.submissionsOf((await s.steps.store.personByEmail(e))!.id))[0]!));
    for (const sub of submissions) expect(await s.steps.store.decisionOf(sub.id)).toBeUndefined();
  });
});

describe("email: SMTP faults", () => {
  it("a temporary failure (451) is retried with backoff, and the email is sent once", async () => {
    smtp.fail(451);
    await s.send.command(users.ana, "done safety-walk");
    await drain();
    const waiting = await outboxRow("approval:");
    expect(waiting).toMatchObject({ status: "queued", attempts: 1, lastError: expect.stringContaining("451") });
    expect(toMax()).toEqual([]);
    // Not due before its backoff.
    await drain();
    expect(toMax()).toEqual([]);
    clock = new Date(clock.getTime() + 60 * 60_000);
    await drain();
    await drain();
    expect(toMax()).toHaveLength(1);
    expect((await outboxRow("approval:")).status).toBe("sent");
  });

  it("a permanent failure (550) fails the message at once and lists it in the digest", async () => {
    smtp.fail(550);
    await s.send.command(users.ana, "done safety-walk");
    await drain();
    const failed = await outboxRow("approval:");
    expect(failed).toMatchObject({ status: "failed", attempts: 1, lastError: expect.stringContaining("550") });
    const digest = await s.steps.store.digestRows(new Date(0));
    expect(digest.failedDeliveries).toContainEqual(expect.objectContaining({ key: failed.key, lastError: failed.lastError }));
    // As the coordinator reads it.
    const cora = (await s.steps.store.personByEmail("cora@example.org"))!;
    const read = toPlainText(await answer(s.steps.core, cora, "digest full", silentLogger));
    expect(read).toMatch(/Messages not delivered \(1\)[\s\S]*Max Mentor \(max@example\.org\) · approval request: mail server: .*550/);
    expect(toMax()).toEqual([]);
  });
});

describe("email: mail server down at start-up", () => {
  it("the rest of Steps keeps serving, health says why, and the email goes once the server is back", async () => {
    // A port nothing listens on, then the mail server on it.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const servers: Smtp[] = [];
    const down = await slackStack({ adapters: [slackAdapter, emailAdapter], now: () => clock, vars: { SMTP_URL: `smtp://127.0.0.1:${port}`, EMAIL_FROM: FROM } });
    try {
      await down.steps.db.db.execute(sql`update people set contact = 'email' where email = 'max@example.org'`);
      const reply = await down.send.command(users.ana, "done safety-walk");
      expect(reply.status).toBe(200);
      await down.waitFor("response_url");
      await down.settle();
      await down.steps.dispatcher.drain();
      const [row] = await down.steps.db.db.select().from(outbox).where(sql`${outbox.key} like 'approval:%'`);
      expect(row).toMatchObject({ status: "queued", attempts: 1 });
      const health = (await (await fetch(`${down.server.url}/healthz`)).json()) as { ok: boolean; parts: Record<string, string> };
      expect(health.ok).toBe(true);
      expect(health.parts.email).toMatch(/^unreachable: .*\(retrying\)$/);

      const back = await startSmtp({ port });
      servers.push(back);
      clock = new Date(clock.getTime() + 60 * 60_000);
      await down.steps.dispatcher.drain();
      expect(back.to("max@example.org")).toHaveLength(1);
      const [sent] = await down.steps.db.db.select().from(outbox).where(eq(outbox.id, row!.id));
      expect(sent!.status).toBe("sent");
    } finally {
      // Steps first: the mail server waits for its open connections to close.
      await down.close();
      for (const server of servers) await server.close();
    }
  });
});
