// Takes docs/playground-es.png: the playground as a Spanish-speaking intern
// sees it after their mentor approved a task. Run with `npm run docs:screenshot-es`.
// It starts Steps on a throw-away embedded database with the sample program,
// drives Debian's Chromium as the browser tests do, and writes only the picture.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import email from "../adapters/email/index.ts";
import web from "../adapters/web/index.ts";
import { boot } from "../app/boot.ts";
import { startServer } from "../app/server.ts";
import { readEnv } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { launchChromium } from "../test/support/browser.ts";

const OUT = process.argv[2] ?? "docs/playground-es.png";
const INTERN = "isaiah.grant@example.org";

const dataDir = mkdtempSync(join(tmpdir(), "steps-screenshot-"));
// A fixed program day, so the picture does not change with the day it is taken.
const steps = await boot(readEnv({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir }), silentLogger, { now: () => new Date("2026-07-20T17:00:00Z") });
const server = await startServer(steps, [web, email]);
const browser = await launchChromium();
try {
  const intern = (await steps.store.personByEmail(INTERN))!;
  const mentor = (await steps.store.personById(intern.mentorId!))!;
  await steps.store.setLanguage(intern.id, "es");
  await steps.store.setLanguage(mentor.id, "es");

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  const say = async (text: string) => {
    const replies = await page.locator(".transcript .line.steps").count();
    await page.getByLabel("Comando").fill(text);
    await page.getByLabel("Comando").press("Enter");
    await page.locator(".transcript .line.steps").nth(replies).waitFor();
  };

  await page.goto(`${server.url}/?person=${intern.id}`);
  await say("idioma");
  await say("hecho interview-staff Entrevisté a la directora de finanzas sobre el presupuesto");

  // The mentor approves from the request in their direct messages.
  await page.goto(`${server.url}/?person=${mentor.id}`);
  await page.locator("#dms li.msg .m-actions button[value=approve]").first().click();
  await page.locator("#dms li.msg .m-actions").first().waitFor({ state: "detached" });

  await page.goto(`${server.url}/?person=${intern.id}`);
  await page.locator("#dms li.msg").first().waitFor();
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
} finally {
  await browser.close();
  await server.close();
  await steps.close();
  rmSync(dataDir, { recursive: true, force: true });
}
