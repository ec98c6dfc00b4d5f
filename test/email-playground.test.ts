import { createServer } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import email from "../adapters/email/index.ts";
import web from "../adapters/web/index.ts";
import { startServer, type RunningServer } from "../app/server.ts";
import type { Person } from "../src/store.ts";
import { bootForTest } from "./support/boot.ts";
import { launchChromium } from "./support/browser.ts";
import { rawRequest } from "./support/http.ts";

// No SMTP_URL and no chat platform, as `npm start` runs out of the box: the
// playground serves, and what email would send shows in its Email pane.

let steps: Awaited<ReturnType<typeof bootForTest>>;
let server: RunningServer;
let priya: Person;
beforeAll(async () => {
  steps = await bootForTest({}, { now: () => new Date("2026-06-22T17:00:00Z") });
  server = await startServer(steps, [web, email]);
  await steps.db.db.execute(sql`update people set contact = 'email' where email = 'priya.nair@example.org'`);
  priya = (await steps.store.personByEmail("priya.nair@example.org"))!;
});
afterAll(async () => {
  await server.close();
  await steps.close();
});

describe("email without a mail server", () => {
  it("renders a person's emails into the playground's Email pane instead of their direct messages", async () => {
    const message = { text: "Reminder: site visit", blocks: [{ type: "header" as const, text: "Reminder: site visit <tomorrow>" }] };
    await steps.store.enqueue([{ key: `reminder:visit:2026-06-23:1d:person:${priya.id}`, recipient: `person:${priya.id}`, payload: { message } }]);
    await steps.dispatcher.drain();
    // A run the enqueue kicked may still be sending: wait for it too.
    await steps.dispatcher.idle();

    const home = await (await fetch(`${server.url}/?person=${priya.id}`)).text();
    expect(home).toContain(`<iframe class="email-frame" name="email-frame" title="Emails to Priya Nair" src="/email/preview?person=${priya.id}">`);

    const pane = await fetch(`${server.url}/email/preview?person=${priya.id}`);
    expect(pane.status).toBe(200);
    expect(pane.headers.get("content-security-policy")).toContain("frame-ancestors 'self'");
    const html = await pane.text();
    expect(html).toContain("<h2 id=\"e0\">Reminder: site visit &#60;tomorrow&#62;</h2>");
    expect(html).toContain("one-click unsubscribe");
    // The HTML part in a sandboxed frame, the text part beside it.
    expect(html).toMatch(/<iframe title="HTML part: [^"]+" sandbox="[^"]*" srcdoc="&#60;!DOCTYPE html&#62;/);
    expect(html).toContain("<summary>Text part</summary><pre>Reminder: site visit &#60;tomorrow&#62;\n");
    // Priya's contact is email: nothing in her playground direct messages.
    const inbox = (await (await fetch(`${server.url}/playground/inbox?personId=${priya.id}`)).json()) as { messages: unknown[] };
    expect(inbox.messages).toEqual([]);
  });

  it("shows an intern without chat their Record your work link, which opens their page on this server", async () => {
    await steps.db.db.execute(sql`update people set contact = 'email' where email = 'samuel.ortiz@example.org'`);
    const samuel = (await steps.store.personByEmail("samuel.ortiz@example.org"))!;
    const { submission } = await steps.core.done(samuel, "interview-staff", "Met the parks director.", null);
    await steps.core.decide((await steps.store.personByEmail("hector.villanueva@example.org"))!, submission.id, "approved", null);
    await steps.dispatcher.drain();
    // A run the enqueue kicked may still be sending: wait for it too.
    await steps.dispatcher.idle();
    const html = await (await fetch(`${server.url}/email/preview?person=${samuel.id}`)).text();
    const link = /Record your work: (http:\/\/steps\.test\/email\/work\?t=[^\s<]+)/.exec(html)![1]!.replaceAll("&#38;", "&");
    const page = await rawRequest(`${server.url}${new URL(link).pathname}${new URL(link).search}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("Your work, Samuel Ortiz");
    expect(page.body).toContain("Interview a city staff member: done");
  });

  it("is off with the playground off: no preview counts as delivered unseen", async () => {
    const quiet = await bootForTest({ PLAYGROUND: "0" });
    const off = await startServer(quiet, [web, email]);
    try {
      expect(off.adapters).toEqual([]);
    } finally {
      await off.close();
      await quiet.close();
    }
  });

  it("has nothing for someone not on the roster", async () => {
    expect((await fetch(`${server.url}/email/preview?person=99999`)).status).toBe(404);
  });

  it("shows the previews, which name people on the roster, only where the playground answers: not through a proxy or to another host name", async () => {
    const { host } = new URL(server.url);
    const refused: Record<string, string>[] = [{ host: "rebind.example" }, { host, "x-forwarded-for": "203.0.113.9" }];
    for (const headers of refused) {
      const res = await rawRequest(`${server.url}/email/preview?person=${priya.id}`, { method: "GET", headers });
      expect([res.status, res.body], JSON.stringify(headers)).toEqual([403, expect.stringContaining("only where the playground is")]);
      expect(res.body).not.toContain("Priya");
    }
  });
});

describe("the Email pane in a browser", () => {
  it("opens a link of an email in a tab of its own, where its page's form works", async () => {
    // Links name this server as `npm start` does (http://localhost:PORT): the port is chosen first.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const app = await bootForTest({ PUBLIC_URL: `http://localhost:${port}` }, { now: () => new Date("2026-06-22T17:00:00Z") });
    const running = await startServer(app, [web, email], { port, host: "127.0.0.1" });
    const browser = await launchChromium();
    try {
      await app.db.db.execute(sql`update people set contact = 'email' where email = 'samuel.ortiz@example.org'`);
      const samuel = (await app.store.personByEmail("samuel.ortiz@example.org"))!;
      const { submission } = await app.core.done(samuel, "interview-staff", "Met the parks director.", null);
      await app.core.decide((await app.store.personByEmail("hector.villanueva@example.org"))!, submission.id, "approved", null);
      await app.dispatcher.drain();
      await app.dispatcher.idle();

      const page = await browser.newPage();
      await page.goto(`http://localhost:${port}/?person=${samuel.id}`);
      const email = page.frameLocator("iframe.email-frame").frameLocator("iframe").first();
      const [tab] = await Promise.all([page.context().waitForEvent("page"), email.getByRole("link", { name: "Record your work" }).first().click()]);
      await tab.waitForLoadState();
      expect(await tab.getByRole("heading", { level: 1 }).textContent()).toContain("Samuel Ortiz");
      await tab.getByLabel("Task", { exact: true }).selectOption("attend-commission");
      await tab.getByLabel(/^Note/).fill("Shadowed the front desk.");
      await tab.getByRole("button", { name: "Record" }).click();
      await tab.getByRole("status").getByText(/^Recorded/).waitFor();
      expect(await app.store.submissionsOf(samuel.id)).toHaveLength(2);
    } finally {
      await browser.close();
      await running.close();
      await app.close();
    }
  });
});
