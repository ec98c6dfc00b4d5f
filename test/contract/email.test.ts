import { sql } from "drizzle-orm";
import type { ParsedMail } from "mailparser";
import type { Page } from "playwright-core";
import { emailAdapter } from "../../adapters/email/index.ts";
import { startServer } from "../../app/server.ts";
import { ACTION_IDS, type ActionId } from "../../src/messages.ts";
import { act } from "../../src/domain/route.ts";
import type { Person } from "../../src/store.ts";
import { bootForTest } from "../support/boot.ts";
import { launchChromium } from "../support/browser.ts";
import type { SeenMessage } from "../support/shows.ts";
import { startSmtp } from "../support/smtp.ts";
import { adapterContract, type Delivery, type Seen } from "./contract.ts";

// Email, driven as mail is: each message received by a real SMTP server in the
// test process, parsed as a mail client does, its HTML part read in a browser.
// A button is a link; the signed links and their confirm pages are their own
// module (adapters/email/links), so here a button's link names its action and
// value, and pressing it decides as its confirm page does: one action, as the
// person the email went to.

const PRESS = "https://steps.test/contract-press";

/**
 * Limits a message must keep: lines of at most 998 octets (RFC 5322 §2.1.1),
 * and no larger than the SIZE the server advertises (RFC 1870) — a larger one
 * is refused outright, so it shows as a delivery that did not happen.
 */
function overLimits(source: Buffer): string[] {
  const long = source
    .toString("latin1")
    .split("\r\n")
    .filter((line) => line.length > 998);
  return long.length > 0 ? [`${long.length} lines longer than 998 octets (RFC 5322 §2.1.1)`] : [];
}

function emailSeen(page: Page, html: string): Promise<SeenMessage> {
  return page.evaluate(
    ({ html, press }) => {
      document.documentElement.innerHTML = new DOMParser().parseFromString(html, "text/html").documentElement.innerHTML;
      const body = document.body;
      const anchors = [...body.querySelectorAll("a[href]")] as HTMLAnchorElement[];
      const isButton = (a: HTMLAnchorElement) => a.getAttribute("href")!.startsWith(press);
      return {
        text: body.innerText,
        fields: [...body.querySelectorAll("th[scope=row]")].map((th) => ({ label: (th as HTMLElement).innerText, value: (th.nextElementSibling as HTMLElement | null)?.innerText })),
        links: anchors.filter((a) => !isButton(a)).map((a) => ({ label: a.innerText, url: a.getAttribute("href")! })),
        buttons: anchors.filter(isButton).map((a) => {
          const url = new URL(a.getAttribute("href")!);
          return { label: a.innerText, action: url.searchParams.get("action") ?? "", value: url.searchParams.get("value") ?? "" };
        }),
        rules: body.querySelectorAll("hr").length,
      };
    },
    { html, press: PRESS },
  );
}

adapterContract({
  name: "email",
  async start() {
    const smtp = await startSmtp();
    const browser = await launchChromium();
    const page = await browser.newPage();
    const links = async (_person: Person, button: { action: ActionId; value: string }) => `${PRESS}?action=${button.action}&value=${encodeURIComponent(button.value)}`;
    const steps = await bootForTest({ SMTP_URL: smtp.url, EMAIL_FROM: "steps@city.example.org" }, { now: () => new Date("2026-06-22T17:00:00Z") });
    const server = await startServer(steps, [emailAdapter({ links })]);
    const person = async (email: string) => (await steps.store.personByEmail(email))!;
    await steps.db.db.execute(sql`update people set contact = 'email' where email in ('priya.nair@example.org', 'kevin.lam@example.org')`);
    const intern = await person("ana.torres@example.org");
    const mentor = await person("priya.nair@example.org");
    const settle = async () => {
      await server.idle();
      await steps.dispatcher.drain();
      await steps.dispatcher.idle();
    };

    async function seen(mail: ParsedMail, viewer: Person): Promise<Seen> {
      const shown = await emailSeen(page, typeof mail.html === "string" ? mail.html : "");
      const buttons = shown.buttons.map((b) => ({
        ...b,
        async press() {
          if (!ACTION_IDS.includes(b.action as ActionId)) throw new Error(`no such action ${b.action}`);
          await act(steps.core, { action: b.action as ActionId, value: b.value, personId: viewer.id, ...(b.action === "request_changes" ? { reason: "Add a photo" } : {}) });
          await settle();
        },
      }));
      return { ...shown, buttons, overLimits: overLimits(smtp.source(mail)) };
    }

    return {
      steps,
      intern,
      mentor,
      // An intern without chat records work on their personal page (adapters/email/links); it calls the core as this does.
      async submit(note) {
        await steps.core.done(intern, "budget-walkthrough", note, null);
        await settle();
      },
      async deliveries(p): Promise<Delivery[]> {
        const all = smtp.to(p.email);
        // A mail client shows a thread: the first email, and the ones that follow it as its later versions.
        return Promise.all(
          all
            .filter((m) => !m.inReplyTo)
            .map(async (first) => ({
              seen: await seen(first, p),
              async now() {
                const later = smtp.to(p.email).filter((m) => m.inReplyTo === first.messageId);
                return { seen: await seen(later.at(-1) ?? first, p), updates: later.length };
              },
            })),
        );
      },
      // Kevin is reached by email, and the mail server has no such mailbox: 550 at RCPT TO.
      async stranger() {
        const kevin = await person("kevin.lam@example.org");
        smtp.refuse(kevin.email);
        return { person: kevin, reachable: false };
      },
      async close() {
        await server.close();
        await steps.close();
        await browser.close();
        await smtp.close();
      },
    };
  },
});
