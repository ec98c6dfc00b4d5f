import { copyFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import email from "../adapters/email/index.ts";
import web from "../adapters/web/index.ts";
import { startServer, type RunningServer } from "../app/server.ts";
import { isHours, requiredUnits } from "../src/program/program.ts";
import { bootForTest } from "./support/boot.ts";
import { launchChromium } from "./support/browser.ts";

// A real browser against the whole app: the playground as someone trying Steps would use it.

const ARTIFACT = "test/artifacts/playground.png";

let steps: Awaited<ReturnType<typeof bootForTest>>;
let server: RunningServer;
let browser: Browser;
const asked: string[] = [];

beforeAll(async () => {
  steps = await bootForTest({}, { now: () => new Date("2026-07-20T17:00:00Z") });
  // The scheduler's runDue is replaced by one that queues a reminder, so the clock control can be checked end to end.
  server = await serverWith(async (at) => {
    asked.push(at.toISOString());
    const emily = (await steps.store.personByEmail("emily.tran@example.org"))!;
    const text = "Reminder: the Planning Commission meets tonight at 6 PM.";
    return steps.store.enqueue([{ key: `test-reminder:${at.toISOString()}`, recipient: `person:${emily.id}`, payload: { message: { text, blocks: [{ type: "text", text }] } } }]);
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await steps?.close();
});

/** Completes and approves every task of the playlist but the last, through the core, as weeks of work would. */
async function allButLast(email: string, playlistSlug: string): Promise<string> {
  const intern = (await steps.store.personByEmail(email))!;
  const mentor = (await steps.store.personById(intern.mentorId!))!;
  const [coordinator] = await steps.store.peopleByRole("coordinator");
  const playlist = steps.program.playlist(playlistSlug)!;
  for (const task of playlist.tasks.slice(0, -1)) {
    for (let n = 0; n < (isHours(task) ? 1 : requiredUnits(task)); n++) {
      const { submission } = isHours(task)
        ? await steps.core.logHours(intern, requiredUnits(task), task.slug, "Logged on site", null)
        : await steps.core.done(intern, task.slug, "Done with my mentor", null);
      // Delivered before it is decided, as when a person clicks.
      await steps.dispatcher.drain();
      await steps.core.decide(task.approver === "coordinator" ? coordinator! : mentor, submission.id, "approved", null);
      await steps.dispatcher.drain();
    }
  }
  return playlist.tasks.at(-1)!.slug;
}

/** Another server on the same app, with the scheduler's runDue replaced (or taken away). */
function serverWith(runDue: ((at: Date) => Promise<unknown>) | undefined): Promise<RunningServer> {
  // With the email adapter, as app/adapters.ts has it: the page frames its previews in the Email pane.
  return startServer(steps, [{ ...web, start: (ctx) => web.start({ ...ctx, runDue }) }, email]);
}

/** What the page's content policy blocked, or a script error: each test ends with none. */
const blocked: string[] = [];
afterEach(() => {
  expect(blocked.splice(0)).toEqual([]);
});

function watch(page: Page): Page {
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) blocked.push(m.text());
  });
  page.on("pageerror", (e) => blocked.push(e.message));
  return page;
}

/** Short waits, so a failure names the step that did not happen rather than the test timing out. */
async function open(options: Parameters<Browser["newPage"]>[0] = {}): Promise<Page> {
  const page = watch(await browser.newPage({ viewport: { width: 1280, height: 900 }, ...options }));
  page.setDefaultTimeout(8_000);
  return page;
}

async function actAs(page: Page, name: string): Promise<void> {
  const picker = page.getByLabel("Acting as");
  const value = await picker.locator("option", { hasText: name }).getAttribute("value");
  await picker.selectOption(value!);
  await page.getByRole("button", { name: "Switch person" }).click();
  await page.getByRole("heading", { name: `Chat as ${name}` }).waitFor();
}

/** The message by its id, so it can still be found after it is edited in place. */
async function messageIn(page: Page, pane: string, text: string) {
  const id = await page.locator(`${pane} li.msg`, { hasText: text }).getAttribute("data-id");
  return page.locator(`${pane} li.msg[data-id="${id}"]`);
}

describe("the playground in a real browser", () => {
  it("plays an intern finishing a playlist and the mentor approving it, up to the badge announcement", async () => {
    const last = await allButLast("isaiah.grant@example.org", "community-development");
    const page = await open();
    await page.goto(server.url);
    await page.getByText("Playground — not a real chat platform; everything here is local.").waitFor();

    await actAs(page, "Isaiah Grant");
    await page.getByLabel("Command").fill(`done ${last} Wrote a one-page summary of how the levees protect the city`);
    await page.getByLabel("Command").press("Enter");
    await page.locator(".transcript").getByText(/Recorded Flood protection briefing \(#\d+\)\. Daniel Cho will review it\./).waitFor();

    await actAs(page, "Daniel Cho");
    const request = await messageIn(page, "#dms", "Isaiah Grant completed Flood protection briefing");
    await request.getByRole("button", { name: "Approve" }).click();

    const announcement = page.locator("#channel").getByText("Isaiah Grant earned the Community Development Intern badge!");
    await announcement.waitFor({ timeout: 10_000 });
    // The request was edited in place: decided, and no buttons left to click twice.
    await request.getByText(/Approved by Daniel Cho/).waitFor();
    expect(await request.getByRole("button").count()).toBe(0);
    expect(await page.locator(".transcript").innerText()).toContain("Approved by Daniel Cho");

    mkdirSync(dirname(ARTIFACT), { recursive: true });
    await page.screenshot({ path: ARTIFACT });
    // `npm run docs:screenshot` refreshes the README's picture from this same run.
    const docs = process.env.PLAYGROUND_SCREENSHOT;
    if (docs) copyFileSync(ARTIFACT, docs);
    await page.close();
  });

  it("sends work back with a reason typed inline, using only the keyboard", async () => {
    const page = await open();
    await page.goto(server.url);
    await actAs(page, "Emily Tran");
    await page.getByLabel("Command").fill("done permit-counter");
    await page.keyboard.press("Enter");
    await page.locator(".transcript").getByText(/Recorded Shadow the permit counter/).waitFor();

    await actAs(page, "Daniel Cho");
    const request = await messageIn(page, "#dms", "Emily Tran completed Shadow the permit counter");
    await request.getByRole("button", { name: "Request changes" }).focus();
    await page.keyboard.press("Enter");
    const reason = request.getByLabel("What should change?");
    await reason.waitFor();
    expect(await reason.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type("Add which permit you followed: <b>A & B</b>, `not code`");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await request.getByText(/Changes requested by Daniel Cho/).waitFor();
    // The reason is shown exactly as typed: not as HTML, not as code.
    expect(await request.locator("dt:text-is('Reason') + dd").innerText()).toBe("Add which permit you followed: <b>A & B</b>, `not code`");

    await actAs(page, "Emily Tran");
    await page.locator("#dms").getByText("Daniel Cho sent back Shadow the permit counter").waitFor();
    await page.close();
  });

  it("works with JavaScript turned off: every form posts and the page comes back up to date", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = watch(await context.newPage());
    page.setDefaultTimeout(8_000);
    await page.goto(server.url);
    await actAs(page, "Hannah Vu");
    await page.getByLabel("Command").fill("done business-visit Visited the bakery on West Capitol");
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator(".transcript").getByText(/Recorded Visit a local business/).waitFor();

    await actAs(page, "Lauren Fitch");
    const request = await messageIn(page, "#dms", "Hannah Vu completed Visit a local business");
    // Without the script the reason field is simply there, and the folding button is not.
    expect(await request.getByLabel("What should change?").isVisible()).toBe(true);
    expect(await request.getByRole("button", { name: "Request changes" }).isVisible()).toBe(false);
    await request.getByRole("button", { name: "Approve" }).click();
    await request.getByText(/Approved by Lauren Fitch/).waitFor();
    await context.close();
  });

  it("runs its own script and style under its content policy, and no other page can frame it", async () => {
    const page = await open();
    await page.goto(server.url);
    // The script ran (it marks the page) and the style sheet applied.
    expect(await page.evaluate(() => document.documentElement.classList.contains("js"))).toBe(true);
    expect(await page.locator("#announcer").evaluate((el) => getComputedStyle(el).position)).toBe("absolute");
    await page.close();

    // Not watched: the refusal is the point here.
    const framer = await browser.newPage();
    const refused = framer.waitForEvent("console", { predicate: (m) => m.text().includes("frame-ancestors 'none'"), timeout: 8_000 });
    await framer.setContent(`<iframe src="${server.url}/"></iframe>`);
    await refused;
    expect(await framer.frames()[1]!.content()).not.toContain("Steps playground");
    await framer.close();
  });

  it("stays readable at 200% zoom: one column, nothing cut off sideways", async () => {
    const page = await open({ viewport: { width: 640, height: 900 }, deviceScaleFactor: 2 });
    await page.goto(server.url);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const [chat, dms] = await Promise.all([page.locator("#chat").boundingBox(), page.locator("#dms").boundingBox()]);
    expect(dms!.y).toBeGreaterThan(chat!.y + chat!.height - 1);
    await page.close();
  });

  it("runs what is due at the chosen program time and shows it in the person's messages", async () => {
    const page = await open();
    await page.goto(server.url);
    await actAs(page, "Emily Tran");
    await page.getByLabel(/Program time/).fill("2026-07-21T09:00");
    await page.getByRole("button", { name: "Run due reminders" }).click();
    await page.locator("#dms").getByText("Reminder: the Planning Commission meets tonight at 6 PM.").waitFor();
    await page.getByText("Ran what was due by Jul 21, 9:00 AM: 1 message delivered.").waitFor();
    expect(asked).toEqual(["2026-07-21T16:00:00.000Z"]);
    await page.close();
  });

  it("shows the clock disabled, with the reason, when no scheduler runs", async () => {
    const bare = await serverWith(undefined);
    try {
      const page = await open();
      await page.goto(bare.url);
      expect(await page.getByLabel(/Program time/).isDisabled()).toBe(true);
      expect(await page.getByRole("button", { name: "Run due reminders" }).isDisabled()).toBe(true);
      await page.getByText("The clock needs the reminder scheduler").waitFor();
      await page.close();
    } finally {
      await bare.close();
    }
  });
});
