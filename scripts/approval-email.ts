// Renders docs/approval-email.png: the approval email a supervisor without chat
// receives, as a browser shows it. Nothing is staged: the app boots on a
// throw-away embedded database with the sample program and roster, an intern
// logs hours, and the email that reaches a real SMTP server in this process is
// opened in Debian's Chromium (as the browser tests drive it).
//
//   npm run docs:approval-email      (needs /usr/bin/chromium: apt-get install -y chromium)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import emailAdapter from "../adapters/email/index.ts";
import { boot } from "../app/boot.ts";
import { startServer } from "../app/server.ts";
import { answer } from "../src/chat.ts";
import { readEnv } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { escapeHtml } from "../adapters/email/render.ts";
import { launchChromium } from "../test/support/browser.ts";
import { startSmtp } from "../test/support/smtp.ts";
import { until } from "../test/support/wait.ts";

const OUT = process.argv[2] ?? "docs/approval-email.png";
const SUPERVISOR = "hector.villanueva@example.org";

const smtp = await startSmtp();
const dataDir = mkdtempSync(join(tmpdir(), "steps-approval-email-"));
const steps = await boot(readEnv({ DATA_DIR: dataDir, PUBLIC_URL: "https://steps.example.org", SMTP_URL: smtp.url, EMAIL_FROM: "steps@westsacramento.example.org", LOG_LEVEL: "error" }), silentLogger, {
  now: () => new Date("2026-06-24T22:15:00Z"),
});
const server = await startServer(steps, [emailAdapter], { port: 0, host: "127.0.0.1" });
try {
  // The supervisor at a family child care home has no Slack: the roster says to write to him by email.
  const store = steps.store.scoped(steps.programs[0]!.program.id);
  const hector = (await store.personByEmail(SUPERVISOR))!;
  await store.upsertPeople([{ email: hector.email, name: hector.name, role: hector.role, department: hector.department, mentorEmail: null, contact: "email" }]);
  const lily = (await store.personByEmail("lily.chen@example.org"))!;
  await answer(steps.core, lily, "log 3h field-hours Read-aloud circle and outdoor play with the toddler group", silentLogger);
  await steps.dispatcher.drain();
  await until("the approval email reaches the mail server", () => smtp.to(SUPERVISOR).length === 1);
  const mail = smtp.to(SUPERVISOR)[0]!;

  // A plain mail-client header above the message: who it is from, to whom, and the subject. Put
  // into the email's own page (its styles are inline): a sandboxed frame was sometimes shot blank.
  const from = mail.from!.value[0]!;
  const line = "margin:2px 0;color:#4a4a4a;";
  const header = `<header style="font:14px/1.4 Arial,Helvetica,sans-serif;color:#1a1a1a;background:#f3f4f6;border-bottom:1px solid #d0d0d0;padding:12px 16px;margin:0 0 16px;">
<h1 style="font-size:18px;margin:0 0 6px;">${escapeHtml(mail.subject ?? "")}</h1>
<p style="${line}"><strong>From:</strong> ${escapeHtml(`${from.name} <${from.address}>`)}</p>
<p style="${line}"><strong>To:</strong> ${escapeHtml(`${hector.name} <${hector.email}>`)}</p></header>`;

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 720, height: 400 }, deviceScaleFactor: 1 });
    await page.setContent(String(mail.html));
    await page.evaluate((html) => document.body.insertAdjacentHTML("afterbegin", html), header);
    await page.screenshot({ path: OUT, fullPage: true });
  } finally {
    await browser.close();
  }
  process.stdout.write(`Wrote ${OUT}: "${mail.subject}" to ${SUPERVISOR}\n`);
} finally {
  await server.close();
  await steps.close();
  await smtp.close();
  rmSync(dataDir, { recursive: true, force: true });
}
