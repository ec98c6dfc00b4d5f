import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emailLinkRoutes, KEPT_AFTER_EXPIRY_DAYS, type EmailLinks } from "../adapters/email/links/index.ts";
import type { PlatformAdapter } from "../adapters/platform.ts";
import { startServer, type RunningServer } from "../app/server.ts";
import type { Person } from "../src/store.ts";
import { formatDay } from "../src/time.ts";
import { bootForTest } from "./support/boot.ts";
import { launchChromium } from "./support/browser.ts";
import { recordingTransport, type Sent } from "./support/harness.ts";
import { rawRequest } from "./support/http.ts";

// The pages email links open, over real HTTP on the whole app: a GET only
// shows, one POST from our own page decides, exactly as a chat click does.

const START = new Date("2026-06-22T17:00:00Z");
let clock = START;
let steps: Awaited<ReturnType<typeof bootForTest>>;
let server: RunningServer;
let links: EmailLinks;
const sent: Sent[] = [];
const edits: Sent[] = [];
const people: Record<string, Person> = {};

/** What the email adapter's start() does with the links: register their pages. */
const linkPages: PlatformAdapter = {
  name: "email-links",
  configured: () => false,
  async start(ctx) {
    links = emailLinkRoutes(ctx);
    return null;
  },
};

beforeAll(async () => {
  steps = await bootForTest({}, { now: () => clock });
  steps.dispatcher.register(recordingTransport(sent, edits));
  server = await startServer(steps, [linkPages]);
  for (const email of ["ana.torres", "kevin.lam", "priya.nair", "thomas.reyes", "maria.delgado", "samuel.ortiz", "hector.villanueva"]) {
    people[email.split(".")[0]!] = (await steps.store.personByEmail(`${email}@example.org`))!;
  }
});

afterAll(async () => {
  await server?.close();
  await steps?.close();
});

beforeEach(() => {
  clock = START;
});

/** A link as it would be followed: the same path and token, on the test server rather than PUBLIC_URL. */
const local = (url: URL) => `${server.url}${url.pathname}${url.search}`;
const tokenOf = (url: URL) => url.searchParams.get("t")!;

/** A form post as a browser sends it from our own page. */
function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const origin = new URL(server.url);
  return rawRequest(`${server.url}${path}`, {
    method: "POST",
    headers: { host: origin.host, origin: server.url, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

async function submit(intern: Person, task: string, note: string | null = "Met the records clerk.") {
  return (await steps.core.done(intern, task, note, null)).submission;
}

async function decision(id: number) {
  return steps.store.decisionOf(id);
}

describe("approve from an email", () => {
  it("shows whose decision it is on a GET, and records it on the button's POST exactly as a chat click", async () => {
    const s = await submit(people.ana!, "interview-staff");
    await server.idle();
    const { approve } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    const page = await fetch(local(approve));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("referrer-policy")).toBe("same-origin");
    const html = await page.text();
    expect(html).toContain("You are approving Ana Torres&#39;s <em>Interview a city staff member</em> as <strong>Priya Nair</strong>");
    expect(html).toContain("Met the records clerk.");
    expect(html.match(/<button/g)).toHaveLength(1);
    expect(html).toContain(`<form method="post" action="/email/link">`);
    expect(await decision(s.id)).toBeUndefined();

    const res = await post("/email/link", { t: tokenOf(approve) });
    expect(res.status).toBe(200);
    expect(res.body).toContain("Approved by Priya Nair");
    expect(res.body).toContain("Ana Torres is told.");
    expect(await decision(s.id)).toMatchObject({ decision: "approved", deciderId: people.priya!.id });

    // The same notices a chat click queues: the intern's outcome, and the request edited where it was sent.
    await server.idle();
    expect(sent.filter((m) => m.to === "ana.torres@example.org").map((m) => m.message.text)).toContain(`Priya Nair approved Interview a city staff member (#${s.id}).`);
    expect(edits.map((e) => e.message.text)).toContainEqual(expect.stringContaining("Interview a city staff member for Ana Torres: Approved by Priya Nair"));
  });

  it("asks for the reason on the page before requesting changes, and sends it to the intern", async () => {
    const s = await submit(people.kevin!, "job-posting-review");
    const { changes } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    const html = await (await fetch(local(changes))).text();
    expect(html).toContain(`<label for="reason">What should Kevin change?</label>`);
    expect(html).toContain("required");

    const empty = await post("/email/link", { t: tokenOf(changes), reason: "  " });
    expect(empty.status).toBe(422);
    expect(empty.body).toContain("Say what Kevin Lam should change");
    expect(await decision(s.id)).toBeUndefined();

    const res = await post("/email/link", { t: tokenOf(changes), reason: "Add the posting's link." });
    expect(res.status).toBe(200);
    expect(await decision(s.id)).toMatchObject({ decision: "changes_requested", reason: "Add the posting's link.", deciderId: people.priya!.id });
    await server.idle();
    expect(sent.filter((m) => m.to === "kevin.lam@example.org").map((m) => m.message.text)).toContain(`Priya Nair sent back Review a job posting (#${s.id}): Add the posting's link.`);
  });
});

describe("links for an email's buttons", () => {
  it("stands one link for each decision button of an approval request, none for publishing a badge", async () => {
    const s = await submit(people.kevin!, "help-desk-tickets", null);
    await server.idle();
    const request = sent.find((m) => m.to === "priya.nair@example.org" && m.message.text.includes(`(#${s.id})`))!;
    const buttons = request.message.blocks.flatMap((b) => (b.type === "buttons" ? b.buttons : []));
    const urls = await Promise.all(buttons.map((b) => links.buttonLink(people.priya!, b)));
    expect(urls).toHaveLength(2);
    const pages = await Promise.all(urls.map(async (u) => (await rawRequest(local(new URL(u!)))).body));
    expect(pages[0]).toContain("<h1>Approve Resolve help-desk tickets</h1>");
    expect(pages[1]).toContain("<h1>Request changes to Resolve help-desk tickets</h1>");
    expect(await links.buttonLink(people.ana!, { action: "publish_badge", value: "steps" })).toBeUndefined();
  });
});

describe("links that must do nothing", () => {
  it("a GET-only mail scanner or link preview decides nothing, however often it follows the link", async () => {
    const s = await submit(people.ana!, "attend-commission");
    const { approve, changes } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    for (const url of [approve, changes, approve]) {
      expect((await rawRequest(local(url), { headers: { "user-agent": "SafeLinks scanner" } })).status).toBe(200);
      expect((await rawRequest(local(url), { method: "HEAD" })).status).toBe(200);
    }
    await server.idle();
    expect(await decision(s.id)).toBeUndefined();
    expect((await steps.store.emailLink(jtiOf(approve)))!.usedAt).toBeNull();
    // Still usable by the person it was meant for.
    expect((await post("/email/link", { t: tokenOf(approve) })).status).toBe(200);
  });

  it("a used link says so, by whom it was decided, and changes nothing; so does its sibling", async () => {
    const s = await submit(people.kevin!, "budget-walkthrough");
    const { approve, changes } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    expect((await post("/email/link", { t: tokenOf(approve) })).status).toBe(200);
    const again = await post("/email/link", { t: tokenOf(approve) });
    expect(again.status).toBe(410);
    expect(again.body).toContain("This link was already used");
    expect(again.body).toMatch(/Approved by Priya Nair on Jun 22/);
    const sibling = await post("/email/link", { t: tokenOf(changes), reason: "Too late." });
    expect(sibling.status).toBe(409);
    expect(sibling.body).toContain("Already decided");
    expect(await decision(s.id)).toMatchObject({ decision: "approved", reason: null });
  });

  it("an expired link says when it expired and what to do, and decides nothing", async () => {
    const s = await submit(people.ana!, "lunch-and-learn", null);
    const { approve } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    clock = new Date(START.getTime() + 7 * 24 * 3600_000 + 1000);
    for (const res of [await rawRequest(local(approve)), await post("/email/link", { t: tokenOf(approve) })]) {
      expect(res.status).toBe(410);
      expect(res.body).toContain("This link has expired");
      expect(res.body).toContain("It expired on Jun 29, 2026");
      expect(res.body).toContain("Ask your coordinator for a new link.");
    }
    expect(await decision(s.id)).toBeUndefined();
    // A day earlier it still worked.
    clock = new Date(START.getTime() + 6 * 24 * 3600_000);
    expect((await post("/email/link", { t: tokenOf(approve) })).status).toBe(200);
  });

  it("a link with one character altered does not work, wherever the change is", async () => {
    const s = await submit(people.ana!, "site-visits", null);
    const { approve } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    const token = tokenOf(approve);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const flip = (part: string, at: number) => `${part.slice(0, at)}${part[at] === "A" ? "B" : "A"}${part.slice(at + 1)}`;
    for (const altered of [`${header}.${flip(payload, 10)}.${signature}`, `${header}.${payload}.${flip(signature, 5)}`, token.slice(0, -1), "nonsense"]) {
      const shown = await rawRequest(`${server.url}/email/link?t=${encodeURIComponent(altered)}`);
      expect(shown.status).toBe(400);
      expect(shown.body).toContain("This link does not work");
      expect((await post("/email/link", { t: altered })).status).toBe(400);
    }
    expect((await rawRequest(`${server.url}/email/link`)).status).toBe(400);
    expect(await decision(s.id)).toBeUndefined();
  });

  it("a cancelled link says a coordinator cancelled it; links issued afterwards work", async () => {
    const s = await submit(people.kevin!, "records-inventory", null);
    const { approve } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    expect(await links.cancelLinks(people.priya!.id)).toBeGreaterThanOrEqual(2);
    for (const res of [await rawRequest(local(approve)), await post("/email/link", { t: tokenOf(approve) })]) {
      expect(res.status).toBe(410);
      expect(res.body).toContain("A coordinator cancelled it, so it did nothing.");
    }
    expect(await decision(s.id)).toBeUndefined();
    const fresh = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    expect((await post("/email/link", { t: tokenOf(fresh.approve) })).status).toBe(200);
  });

  it("refuses a link whose approver is no longer the intern's mentor, and leaves the link unused", async () => {
    const s = await submit(people.kevin!, "invoice-processing", null);
    const { approve } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    await steps.store.scoped(steps.program.id).upsertPeople([{ email: "kevin.lam@example.org", name: "Kevin Lam", role: "intern", department: "administrative-services", mentorEmail: "thomas.reyes@example.org" }]);
    try {
      const res = await post("/email/link", { t: tokenOf(approve) });
      expect(res.status).toBe(403);
      expect(res.body).toContain("you are not their mentor");
      expect(await decision(s.id)).toBeUndefined();
      expect((await steps.store.emailLink(jtiOf(approve)))!.usedAt).toBeNull();
    } finally {
      await steps.store.scoped(steps.program.id).upsertPeople([{ email: "kevin.lam@example.org", name: "Kevin Lam", role: "intern", department: "administrative-services", mentorEmail: "priya.nair@example.org" }]);
    }
    // A coordinator's link decides it, as a coordinator's click would.
    const coordinator = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.maria!.id });
    expect((await post("/email/link", { t: tokenOf(coordinator.approve) })).status).toBe(200);
    expect(await decision(s.id)).toMatchObject({ deciderId: people.maria!.id });
  });

  it("two clicks at once decide once: the second is told the link was used", async () => {
    const s = await submit(people.ana!, "lunch-and-learn", null);
    const { approve } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    const statuses = (await Promise.all([post("/email/link", { t: tokenOf(approve) }), post("/email/link", { t: tokenOf(approve) })])).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 410]);
    expect(await decision(s.id)).toMatchObject({ decision: "approved" });
  });

  it("refuses a POST sent by another site, or not as a form, and decides nothing", async () => {
    const s = await submit(people.ana!, "final-presentation", "Slides: on the shared drive.");
    const { approve } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.maria!.id });
    const crossOrigin = await post("/email/link", { t: tokenOf(approve) }, { origin: "https://mail.example.com", "sec-fetch-site": "cross-site" });
    expect(crossOrigin.status).toBe(403);
    expect(crossOrigin.body).toContain("This form was sent from another web site.");
    expect((await post("/email/link", { t: tokenOf(approve) }, { origin: "null", "sec-fetch-site": "same-origin" })).status).toBe(403);
    expect((await post("/email/link", { t: tokenOf(approve) }, { "content-type": "application/json" })).status).toBe(415);
    expect(await decision(s.id)).toBeUndefined();
  });
});

describe("an intern's personal page", () => {
  it("records a task and hours through the same core calls as chat, and shows progress", async () => {
    const samuel = people.samuel!;
    const url = await links.personalLink(samuel.id);
    const page = await rawRequest(local(url));
    expect(page.status).toBe(200);
    expect(page.body).toContain("Your work, Samuel Ortiz");
    expect(page.body).toContain(`<label for="task">Task</label>`);
    expect(page.body).toContain("Field hours (hours)");

    const t = tokenOf(url);
    const missing = await post("/email/work", { t, task: "field-hours", hours: "" });
    expect(missing.status).toBe(422);
    expect(missing.body).toContain("Field hours counts hours: enter how long you worked");

    const logged = await post("/email/work", { t, task: "field-hours", hours: "1.5", note: "Story time with the toddlers.", link: "" });
    expect(logged.status).toBe(200);
    expect(logged.body).toMatch(/Recorded 1.5 h of Field hours \(#\d+\)\. Hector Villanueva will review it\./);
    expect(logged.body).toContain("Field hours: 0 of 20 h approved, 1.5 h waiting for review");

    const badLink = await post("/email/work", { t, task: "field-hours", hours: "2", link: "javascript:alert(1)" });
    expect(badLink.status).toBe(422);
    expect(badLink.body).toContain("The link must be a web address");

    const bare = await post("/email/work", { t, task: "attend-commission" });
    expect(bare.status).toBe(422);
    expect(bare.body).toContain("Attend a city commission meeting needs evidence: add a note or a link to your work, then press Record.");

    const unknown = await post("/email/work", { t, task: "feild-hours" });
    expect(unknown.body).toContain("There is no task");

    const recorded = (await steps.store.submissionsOf(samuel.id)).filter((s) => s.task === "field-hours");
    expect(recorded).toMatchObject([{ units: 90, note: "Story time with the toddlers.", status: "pending" }]);
    // Hector is asked, as for a chat `log`.
    await server.idle();
    expect(sent.filter((m) => m.to === "hector.villanueva@example.org").map((m) => m.message.text)).toContainEqual(expect.stringContaining("Samuel Ortiz asks you to approve: 1.5 h of Field hours"));
    // The link keeps working for the next entry.
    expect((await rawRequest(local(url))).status).toBe(200);
  });

  it("a decision link does not open the work page, nor a work link decide; a cancelled one does nothing", async () => {
    const s = await submit(people.ana!, "lunch-and-learn", null);
    const { approve } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    const work = await links.personalLink(people.ana!.id);
    expect((await rawRequest(`${server.url}/email/work?t=${tokenOf(approve)}`)).status).toBe(400);
    expect((await post("/email/link", { t: tokenOf(work) })).status).toBe(400);
    await links.cancelLinks(people.ana!.id);
    const cancelled = await post("/email/work", { t: tokenOf(work), task: "lunch-and-learn" });
    expect(cancelled.status).toBe(410);
    expect(cancelled.body).toContain("Reply to the email, or ask your coordinator, for a new link.");
    expect(await decision(s.id)).toBeUndefined();
  });
});

describe("links long expired", () => {
  const DAY = 24 * 3600_000;

  it(`are deleted ${KEPT_AFTER_EXPIRY_DAYS} days after they expire, used or not, on the scheduler's run; their pages still say they expired`, async () => {
    const recorded = async () => (await steps.store.submissionsOf(people.samuel!.id)).length;
    const before = await recorded();
    const work = await links.personalLink(people.samuel!.id);
    const s = await submit(people.ana!, "lunch-and-learn", null);
    const { approve, changes } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    expect((await post("/email/link", { t: tokenOf(approve) })).status).toBe(200);
    // A personal link sent a week later expires, and is deleted, a week later.
    clock = new Date(START.getTime() + 7 * DAY);
    const later = await links.personalLink(people.samuel!.id);
    const kept = async () => Promise.all([work, approve, changes, later].map(async (url) => (await steps.store.emailLink(jtiOf(url))) !== undefined));
    const expiry = (await steps.store.emailLink(jtiOf(work)))!.expiresAt;
    const keptUntil = expiry.getTime() + KEPT_AFTER_EXPIRY_DAYS * DAY;

    // The last moment of the window: kept, so the page says when the link expired and how to get a new one.
    clock = new Date(keptUntil);
    await steps.runDue(clock);
    expect(await kept()).toEqual([true, true, true, true]);
    const shown = await rawRequest(local(work));
    expect(shown.status).toBe(410);
    expect(shown.body).toContain(`It expired on ${formatDay(expiry, steps.program.timeZone)}, so it did nothing.`);
    expect(shown.body).toContain("Reply to the email, or ask your coordinator, for a new link.");

    // A second later the run deletes the three sent at START, the used one too.
    clock = new Date(keptUntil + 1000);
    await steps.runDue(clock);
    expect(await kept()).toEqual([false, false, false, true]);
    // Their pages still say they expired (never that they were altered), record nothing, and the personal page still offers a new link.
    for (const res of [await rawRequest(local(work)), await post("/email/work", { t: tokenOf(work), task: "field-hours", hours: "1" })]) {
      expect(res.status).toBe(410);
      expect(res.body).toContain("This link has expired");
      expect(res.body).toContain("It has expired, so it did nothing.");
      expect(res.body).toContain("Email me a new link");
    }
    for (const res of [await rawRequest(local(changes)), await post("/email/link", { t: tokenOf(changes), reason: "Late." })]) {
      expect(res.status).toBe(410);
      expect(res.body).toContain("It has expired, so it did nothing.");
    }
    expect(await recorded()).toBe(before);
    expect(await decision(s.id)).toMatchObject({ decision: "approved", reason: null });

    // `run-due --at` an instant in the future deletes nothing early: the pages' clock decides.
    await steps.runDue(new Date(keptUntil + 30 * DAY));
    expect(await kept()).toEqual([false, false, false, true]);
    clock = new Date(keptUntil + 7 * DAY + 1000);
    await steps.runDue(clock);
    expect(await kept()).toEqual([false, false, false, false]);
  });
});

describe("in a browser", () => {
  let browser: Browser;
  afterAll(async () => browser?.close());

  it("opens the confirm page under its content policy and approves with one click", async () => {
    browser = await launchChromium();
    const s = await submit(people.kevin!, "interview-staff", "Met the budget analyst.");
    const { approve } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    const page = await browser.newPage();
    const blocked: string[] = [];
    page.on("console", (m) => m.type() === "error" && blocked.push(m.text()));
    await page.goto(local(approve));
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Approve Interview a city staff member");
    // The stylesheet loaded (nothing inline was needed).
    expect(await page.locator("button").evaluate((b) => getComputedStyle(b).backgroundColor)).toBe("rgb(11, 92, 173)");
    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("heading", { name: "Recorded" }).waitFor();
    expect(blocked).toEqual([]);
    expect(await decision(s.id)).toMatchObject({ decision: "approved", deciderId: people.priya!.id });
  });

  it("lets an intern record hours from their page in a browser", async () => {
    const lily = (await steps.store.personByEmail("lily.chen@example.org"))!;
    const page = await browser.newPage();
    await page.goto(local(await links.personalLink(lily.id)));
    await page.getByLabel("Task", { exact: true }).selectOption("initial-training");
    await page.getByLabel(/^Hours/).fill("2");
    await page.getByLabel(/^Note/).fill("Mandated reporter training.");
    await page.getByRole("button", { name: "Record" }).click();
    await page.getByRole("status").getByText(/Recorded 2 h of Initial training/).waitFor();
    expect(await page.getByRole("heading", { name: /Early Learning/ }).count()).toBe(1);
    expect((await steps.store.submissionsOf(lily.id)).map((x) => [x.task, x.units])).toEqual([["initial-training", 120]]);
  });

  it("asks for a new link from an expired personal page, as a browser posts the form", async () => {
    const url = await links.personalLink(people.samuel!.id);
    clock = new Date(START.getTime() + 8 * 24 * 3600_000);
    const page = await browser.newPage();
    const blocked: string[] = [];
    page.on("console", (m) => m.type() === "error" && blocked.push(m.text()));
    const shown = await page.goto(local(url));
    expect(shown!.status()).toBe(410);
    await page.getByLabel("Your email address").fill("samuel.ortiz@example.org");
    await page.getByRole("button", { name: "Email me a new link" }).click();
    await page.getByRole("heading", { name: "Check your email" }).waitFor();
    expect(await page.locator("main").textContent()).toContain("If samuel.ortiz@example.org is the address of an intern on the program roster");
    // Chromium logs the expired page's own 410; nothing was blocked by the content policy.
    expect(blocked.filter((m) => !m.includes("status of 410"))).toEqual([]);
  });

  it("has no serious accessibility problems on the confirm, work, refusal and new-link pages", async () => {
    const s = await submit(people.kevin!, "attend-commission");
    const { changes } = await links.approvalLinks({ submissionId: s.id, approverPersonId: people.priya!.id });
    const pages = [local(changes), local(await links.personalLink(people.samuel!.id)), `${server.url}/email/link?t=altered`, `${server.url}/email/work?t=altered`, `${server.url}/email/new-link`];
    for (const url of pages) {
      const context = await browser.newContext({ bypassCSP: true });
      const page = await context.newPage();
      await page.goto(url);
      expect({ url, violations: await seriousViolations(page) }).toEqual({ url, violations: [] });
      await context.close();
    }
  });
});

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Serious and critical axe-core violations, as "rule: selector" lines (as test/web-a11y.test.ts counts them). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const results = await page.evaluate(() => (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe.run());
  return results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
}

function jtiOf(url: URL): string {
  const payload = tokenOf(url).split(".")[1]!;
  return (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { jti: string }).jti;
}
