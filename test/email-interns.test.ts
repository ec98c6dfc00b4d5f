import type { ParsedMail } from "mailparser";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import emailAdapter from "../adapters/email/index.ts";
import { queueWorkLink } from "../adapters/email/links/index.ts";
import slackAdapter from "../adapters/slack/index.ts";
import { outbox } from "../db/schema.ts";
import type { Contact } from "../src/store.ts";
import { rawRequest } from "./support/http.ts";
import { emails, slackStack, users, type SlackStack } from "./support/slack.ts";
import { startSmtp, type Smtp } from "./support/smtp.ts";
import { until } from "./support/wait.ts";

// An intern without chat, end to end over real SMTP and real HTTP: Cal (a
// family child care home has no Slack) and Fay, his supervisor, are both
// reached by email. Every email to Cal carries his personal link; from it he
// records work, Fay approves from her email, and the badge follows.

const START = new Date("2026-06-16T17:00:00Z");
let clock = START;
let smtp: Smtp;
let s: SlackStack;

async function contact(address: string, value: Contact) {
  await s.steps.db.db.execute(sql`update people set contact = ${value} where email = ${address}`);
}
const person = async (address: string) => (await s.steps.store.personByEmail(address))!;

/** Sends what is queued now, after the server's own work has finished. */
async function drain() {
  await s.settle();
  await s.steps.dispatcher.drain();
  await s.steps.dispatcher.idle();
}

/** A link from an email as it would be followed: same path and token, on the test server rather than PUBLIC_URL. */
const local = (url: string) => url.replace("http://steps.test", s.server.url);
const workLinkIn = (mail: ParsedMail) => /^Record your work: (\S+)$/m.exec(mail.text ?? "")?.[1];

/** A form posted as a browser sends it from one of our own pages. */
function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return rawRequest(`${s.server.url}${path}`, {
    method: "POST",
    headers: { host: new URL(s.server.url).host, origin: s.server.url, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

async function workLinkRows() {
  return s.steps.db.db.select().from(outbox).where(sql`${outbox.key} like 'work-link:%'`);
}

beforeAll(async () => {
  smtp = await startSmtp();
  s = await slackStack({ adapters: [slackAdapter, emailAdapter], now: () => clock, vars: { SMTP_URL: smtp.url, EMAIL_FROM: "steps@city.example.org" } });
});
beforeEach(async () => {
  clock = START;
  await s.reset({ emails });
  smtp.received.length = 0;
  await contact("cal@example.org", "email");
  await contact("fay@example.org", "email");
});
afterAll(async () => {
  await s.close();
  await smtp.close();
});

describe("an intern without chat", () => {
  it("gets a personal link in every email, records work from it, and earns the badge their supervisor approves by email", async () => {
    const cal = await person("cal@example.org");
    expect(await queueWorkLink(s.steps.core, cal, "coordinator")).toBe(true);
    await drain();
    await until("Cal gets his link", () => smtp.to("cal@example.org").length === 1);
    const [welcome] = smtp.to("cal@example.org");
    expect(welcome!.subject).toBe("Your new link");
    expect(welcome!.text).toContain("Your coordinator sent you a new link to your page on Steps");
    expect(welcome!.text).toContain("It works until Jun 23, 2026; do not share it.");
    const link = workLinkIn(welcome!)!;
    expect(link).toMatch(/^http:\/\/steps\.test\/email\/work\?t=/);
    expect(welcome!.html).toContain(`href="${link.replaceAll("&", "&amp;")}"`);
    // Only reminders and nudges can be unsubscribed from.
    expect(welcome!.headers.has("list-unsubscribe")).toBe(false);

    // The link opens his page; a GET records nothing.
    const page = await rawRequest(local(link));
    expect(page.status).toBe(200);
    expect(page.body).toContain("Your work, Cal Intern");
    expect(page.body).toContain("Station tour: 0 of 1 approved");
    expect(await s.steps.store.submissionsOf(cal.id)).toEqual([]);

    const t = new URL(link).searchParams.get("t")!;
    const recorded = await post("/email/work", { t, task: "station-tour", note: "Toured Station 2 with the captain." });
    expect(recorded.status).toBe(200);
    expect(recorded.body).toMatch(/Recorded Station tour \(#\d+\)\. Fay Mentor will review it\./);
    const [submission] = await s.steps.store.submissionsOf(cal.id);
    expect(submission).toMatchObject({ task: "station-tour", note: "Toured Station 2 with the captain.", status: "pending" });

    // Fay, reached by email, approves from hers: the GET asks, the page's button decides.
    await drain();
    await until("Fay gets the approval request", () => smtp.to("fay@example.org").length === 1);
    const request = smtp.to("fay@example.org")[0]!;
    expect(request.text).toContain("Toured Station 2 with the captain.");
    // Fay is a mentor: her emails carry no personal page.
    expect(workLinkIn(request)).toBeUndefined();
    const approve = /^Approve: (\S+)$/m.exec(request.text!)![1]!;
    expect((await rawRequest(local(approve))).body).toContain("as <strong>Fay Mentor</strong>");
    expect(await s.steps.store.decisionOf(submission!.id)).toBeUndefined();
    const decided = await post("/email/link", { t: new URL(approve).searchParams.get("t")! });
    expect(decided.status).toBe(200);
    expect(await s.steps.store.decisionOf(submission!.id)).toMatchObject({ decision: "approved" });

    // Cal hears of the approval and the badge by email, each with a fresh personal link.
    await drain();
    await until("Cal gets the outcome and the badge", () => smtp.to("cal@example.org").length === 3);
    const [, outcome, award] = smtp.to("cal@example.org");
    expect(outcome!.text).toContain("Fay Mentor approved Station tour");
    expect(award!.text).toContain("Fire Explorer");
    for (const mail of [outcome!, award!]) expect(workLinkIn(mail)).toMatch(/^http:\/\/steps\.test\/email\/work\?t=/);
    expect(workLinkIn(outcome!)).not.toBe(link);
    expect((await s.steps.store.awardsOf(cal.id)).map((a) => a.playlist)).toEqual(["fire"]);

    // His page shows it done.
    expect((await rawRequest(local(workLinkIn(award!)!))).body).toContain("Station tour: done");
  });

  it("an expired link offers to email a new one, sent only to the address on the roster", async () => {
    const cal = await person("cal@example.org");
    await queueWorkLink(s.steps.core, cal, "coordinator");
    await drain();
    await until("Cal gets his link", () => smtp.to("cal@example.org").length === 1);
    const old = workLinkIn(smtp.to("cal@example.org")[0]!)!;

    clock = new Date(START.getTime() + 8 * 24 * 3600_000);
    const expired = await rawRequest(local(old));
    expect(expired.status).toBe(410);
    expect(expired.body).toContain("This link has expired");
    expect(expired.body).toContain(`<form method="post" action="/email/new-link">`);
    expect(expired.body).toContain(`<label for="email">Your email address</label>`);
    // The page asks for the address: it does not name whose link it was.
    expect(expired.body).not.toContain("cal@example.org");

    const asked = await post("/email/new-link", { email: " Cal@Example.org " });
    expect(asked.status).toBe(200);
    expect(asked.body).toContain("If cal@example.org is the address of an intern on the program roster, a new link is on its way to it.");
    await drain();
    await until("the new link arrives", () => smtp.to("cal@example.org").length === 2);
    const fresh = smtp.to("cal@example.org")[1]!;
    expect(fresh.text).toContain("Someone asked for a new link to your page on Steps");
    const page = await rawRequest(local(workLinkIn(fresh)!));
    expect(page.status).toBe(200);
    expect(page.body).toContain("Your work, Cal Intern");

    // Three a day, whoever presses the button: a fourth says the same and sends nothing.
    for (let i = 0; i < 3; i++) expect((await post("/email/new-link", { email: "cal@example.org" })).body).toBe(asked.body);
    await drain();
    await until("two more links arrive", () => smtp.to("cal@example.org").length === 4);
    expect((await workLinkRows()).map((r) => r.status)).toEqual(["sent", "sent", "sent", "sent"]);

    // The next day, another request is sent.
    clock = new Date(clock.getTime() + 24 * 3600_000);
    await post("/email/new-link", { email: "cal@example.org" });
    await drain();
    await until("a link arrives the next day", () => smtp.to("cal@example.org").length === 5);
  });

  it("never says whether an address is an intern's: strangers, chat users and mentors get the same answer, and no email", async () => {
    const answers: string[] = [];
    for (const address of ["cal@example.org", "nobody@example.org", "ana@example.org", "fay@example.org", "cora@example.org"]) {
      const res = await post("/email/new-link", { email: address });
      expect(res.status).toBe(200);
      answers.push(res.body.replaceAll(address, "ADDRESS"));
    }
    expect(new Set(answers).size).toBe(1);
    await drain();
    // Only Cal, who gets Steps by email, was sent one.
    const rows = await workLinkRows();
    expect(rows.map((r) => r.recipient)).toEqual([`person:${(await person("cal@example.org")).id}`]);
    await until("Cal's link arrives", () => smtp.to("cal@example.org").length === 1);
    for (const address of ["nobody@example.org", "ana@example.org", "fay@example.org", "cora@example.org"]) expect(smtp.to(address)).toEqual([]);
  });

  it("refuses a request that is not an address, not a form, or sent from another site, and sends nothing", async () => {
    for (const email of ["", "cal", "cal@", "<script>@example.org", "x".repeat(300)]) {
      const res = await post("/email/new-link", { email });
      expect(res.status).toBe(422);
      expect(res.body).toContain("Enter an email address, like name@example.org.");
      expect(res.body).not.toContain("<script>@");
    }
    expect((await post("/email/new-link", {})).status).toBe(422);
    const crossSite = await post("/email/new-link", { email: "cal@example.org" }, { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect((await post("/email/new-link", { email: "cal@example.org" }, { "content-type": "application/json" })).status).toBe(415);
    await drain();
    expect(await workLinkRows()).toEqual([]);
  });

  it("a used-up page (cancelled by a coordinator) and a link with no token offer the form too; the form page also stands alone", async () => {
    const cal = await person("cal@example.org");
    await queueWorkLink(s.steps.core, cal, "coordinator");
    await drain();
    await until("Cal gets his link", () => smtp.to("cal@example.org").length === 1);
    const link = workLinkIn(smtp.to("cal@example.org")[0]!)!;
    await s.steps.core.store.cancelEmailLinks(cal.id, clock);
    const cancelled = await rawRequest(local(link));
    expect(cancelled.status).toBe(410);
    expect(cancelled.body).toContain("A coordinator cancelled it");
    expect(cancelled.body).toContain("Email me a new link");
    const bare = await rawRequest(`${s.server.url}/email/work`);
    expect(bare.status).toBe(400);
    expect(bare.body).toContain("Email me a new link");
    const alone = await rawRequest(`${s.server.url}/email/new-link`);
    expect(alone.status).toBe(200);
    expect(alone.body).toContain("<h1>Need a new link?</h1>");
    // Approve links are not personal pages: a refused one does not offer it.
    const approveRefused = await rawRequest(`${s.server.url}/email/link?t=nonsense`);
    expect(approveRefused.body).not.toContain("/email/new-link");
  });

  it("an intern also in chat (contact both) gets no personal link; one email took over for does", async () => {
    const hello = { text: "Hello", blocks: [{ type: "text" as const, text: "Hello" }] };
    await contact("ana@example.org", "both");
    const ana = await person("ana@example.org");
    await s.steps.store.enqueue([{ key: "test:ana", recipient: `person:${ana.id}`, payload: { message: hello } }]);
    await drain();
    await until("Ana's email arrives", () => smtp.to("ana@example.org").length === 1);
    expect(workLinkIn(smtp.to("ana@example.org")[0]!)).toBeUndefined();
    expect(await queueWorkLink(s.steps.core, ana, "coordinator")).toBe(false);

    // Ben prefers chat but is not on Slack: email takes over, with his page.
    const { [users.ben]: _gone, ...others } = emails;
    s.fake.set({ emails: others });
    const ben = await person("ben@example.org");
    expect(await queueWorkLink(s.steps.core, ben, "coordinator")).toBe(false);
    await s.steps.store.enqueue([{ key: "test:ben", recipient: `person:${ben.id}`, payload: { message: hello } }]);
    await drain();
    await until("Ben's email arrives", () => smtp.to("ben@example.org").length === 1);
    expect(smtp.to("ben@example.org")[0]!.text).toMatch(/could not reach you on Slack/);
    expect(workLinkIn(smtp.to("ben@example.org")[0]!)).toMatch(/\/email\/work\?t=/);
    expect(await queueWorkLink(s.steps.core, ben, "coordinator")).toBe(true);
    await drain();
    await until("Ben's new link arrives", () => smtp.to("ben@example.org").length === 2);
  });
});
