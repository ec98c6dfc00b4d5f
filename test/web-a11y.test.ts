import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import badges from "../adapters/badges/index.ts";
import web from "../adapters/web/index.ts";
import { startServer, type RunningServer } from "../app/server.ts";
import { bootForTest } from "./support/boot.ts";
import { badgeServer, IVY, type BadgeServer } from "./support/badges.ts";
import { launchChromium } from "./support/browser.ts";
import { until } from "./support/wait.ts";

// What people using a screen reader, the keyboard or a small screen meet: axe-core's rules,
// reflow at 320 px (WCAG 1.4.10), and where focus goes after a decision.

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let steps: Awaited<ReturnType<typeof bootForTest>>;
let server: RunningServer;
let badgeSite: BadgeServer;
let browser: Browser;

beforeAll(async () => {
  steps = await bootForTest({}, { now: () => new Date("2026-07-20T17:00:00Z") });
  server = await startServer(steps, [web]);
  badgeSite = await badgeServer({}, [badges]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await steps?.close();
  await badgeSite?.close();
});

/** bypassCSP lets the test inject axe-core's source; the pages' own policy is checked in web-browser.test.ts. */
async function open(url: string, width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(8_000);
  await page.goto(url);
  return page;
}

/** Serious and critical axe-core violations (and a misplaced role), as "rule: selector" lines so a failure says where. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const results = await page.evaluate(() => (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe.run());
  return results.violations
    // aria-allowed-role is only "minor", but it is how the log's list lost its items once: kept out too.
    .filter((v) => v.impact === "serious" || v.impact === "critical" || v.id === "aria-allowed-role")
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
}

async function actAs(page: Page, name: string): Promise<void> {
  const picker = page.getByLabel("Acting as");
  await picker.selectOption((await picker.locator("option", { hasText: name }).getAttribute("value"))!);
  await page.getByRole("button", { name: "Switch person" }).click();
  await page.getByRole("heading", { name: `Chat as ${name}` }).waitFor();
}

/** The intern records a task in the playground, so the mentor has a request to decide. */
async function submit(page: Page, intern: string, task: string): Promise<void> {
  await actAs(page, intern);
  await page.getByLabel("Command").fill(`done ${task}`);
  await page.getByLabel("Command").press("Enter");
  await page.locator(".transcript").getByText(/Recorded /).last().waitFor();
}

describe("accessibility of the pages", () => {
  it("the playground, with a conversation and an approval request, has no serious axe-core violations", async () => {
    const page = await open(server.url);
    await submit(page, "Emily Tran", "permit-counter");
    await actAs(page, "Daniel Cho");
    await page.locator("#dms li.msg").first().waitFor();
    await page.getByLabel("Command").fill("status");
    await page.getByLabel("Command").press("Enter");
    await page.locator(".transcript li").first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it("the playground in Spanish, whose words are longer, has no serious violations and reflows at 320 px", async () => {
    const english = await open(server.url);
    await submit(english, "Hannah Vu", "business-visit");
    await english.context().close();
    const mentor = (await steps.store.personById((await steps.store.personByEmail("hannah.vu@example.org"))!.mentorId!))!;
    await steps.store.setLanguage(mentor.id, "es");
    for (const width of [1280, 320]) {
      const page = await open(`${server.url}/?person=${mentor.id}`, width);
      expect(await page.getAttribute("html", "lang")).toBe("es");
      await page.locator("#dms li.msg").first().waitFor();
      expect(await seriousViolations(page), `${width} px`).toEqual([]);
      const box = (await page.getByRole("button", { name: "Cambiar de persona" }).boundingBox())!;
      expect(box.x + box.width, `${width} px`).toBeLessThanOrEqual(width);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), `${width} px`).toBeLessThanOrEqual(0);
      await page.context().close();
    }
  });

  it("a published badge page has no serious axe-core violations", async () => {
    const award = await badgeSite.earn(IVY, "Asked about the budget", "https://docs.example.org/notes");
    await badgeSite.say(IVY, "badge publish civic");
    const page = await open(`${badgeSite.url}/badges/${award.id}`);
    await page.getByText("Civic Explorer").first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });
});

describe("reflow at 320 px", () => {
  for (const width of [390, 320]) {
    it(`keeps "Switch person" on screen at ${width} px, with no sideways scrolling`, async () => {
      const page = await open(server.url, width);
      const box = (await page.getByRole("button", { name: "Switch person" }).boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
      await page.context().close();
    });
  }
});

describe("focus after a decision", () => {
  it("moves to the next request's first button, then to a status message when none is left", async () => {
    const page = await open(server.url);
    await submit(page, "Luis Herrera", "code-case-review");
    await submit(page, "Luis Herrera", "building-inspection");
    await actAs(page, "Daniel Cho");
    const approve = page.locator("#dms").getByRole("button", { name: "Approve" });
    await until("both requests are shown", async () => (await approve.count()) >= 2);
    const count = await approve.count();

    // The newest request is first; after deciding it, focus lands on the next one's first button.
    await approve.first().click();
    await until("the first request is decided", async () => (await approve.count()) === count - 1);
    await until("focus is on the next Approve", () => page.evaluate(() => document.activeElement?.textContent === "Approve" && document.activeElement.closest("#dms") !== null));

    // Decide the rest; after the last, focus rests on a status message that says so.
    for (let left = count - 1; left > 0; left--) {
      await approve.first().click();
      await until(`${left - 1} requests are left`, async () => (await approve.count()) === left - 1);
    }
    await until("focus is on the status message", () => page.evaluate(() => document.activeElement?.getAttribute("role") === "status"));
    expect(await page.evaluate(() => document.activeElement!.textContent)).toMatch(/No more requests/);
    await page.context().close();
  });
});
