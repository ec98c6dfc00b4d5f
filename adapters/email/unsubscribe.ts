import type { IncomingMessage, ServerResponse } from "node:http";
import { jwtVerify, SignJWT } from "jose";
import type { Logger } from "../../src/log.ts";
import type { Person, Store } from "../../src/store.ts";
import { contentPolicy, type Routes } from "../http.ts";
import { escapeHtml } from "./render.ts";

// One-click unsubscribe from reminders and nudges (RFC 8058). The mail client
// POSTs `List-Unsubscribe=One-Click` to the link; a person who opens it gets a
// page with one button that does the same. A GET never changes anything: mail
// scanners and link previews follow links.

export const UNSUBSCRIBE_PATH = "/email/unsubscribe";
const PURPOSE = "steps-email-unsubscribe";
const BODY_LIMIT = 4096;

export function unsubscribeLinks(key: Uint8Array, baseUrl: string) {
  return {
    async url(person: Person): Promise<string> {
      // No expiry: a reminder read weeks later must still stop the next one.
      const token = await new SignJWT({ purpose: PURPOSE }).setProtectedHeader({ alg: "HS256" }).setSubject(String(person.id)).sign(key);
      return `${baseUrl.replace(/\/$/, "")}${UNSUBSCRIBE_PATH}?t=${token}`;
    },
    /** The person a token names, or undefined when it is not one of ours. */
    async personOf(token: string): Promise<number | undefined> {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
        return payload.purpose === PURPOSE && /^\d+$/.test(payload.sub ?? "") ? Number(payload.sub) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export type UnsubscribeLinks = ReturnType<typeof unsubscribeLinks>;

export function unsubscribeRoutes(routes: Routes, links: UnsubscribeLinks, store: Store, log: Logger): void {
  const tokenOf = (req: IncomingMessage) => new URL(req.url ?? "/", "http://steps").searchParams.get("t") ?? "";

  routes.add("GET", UNSUBSCRIBE_PATH, async (req, res) => {
    const token = tokenOf(req);
    const personId = await links.personOf(token);
    if (personId === undefined) return page(res, 400, "This link is not valid", "<p>This unsubscribe link is damaged or not from Steps. Nothing was changed.</p>");
    const form =
      `<p>Stop reminders and nudges from Steps? Approval requests, their outcomes and digests still come.</p>` +
      `<form method="post" action="${UNSUBSCRIBE_PATH}?t=${escapeHtml(encodeURIComponent(token))}">` +
      `<input type="hidden" name="List-Unsubscribe" value="One-Click">` +
      `<button type="submit" style="padding:10px 18px;font-size:16px;">Stop reminders</button></form>`;
    page(res, 200, "Stop reminders", form);
  });

  routes.add("POST", UNSUBSCRIBE_PATH, async (req, res) => {
    // The body is `List-Unsubscribe=One-Click` from a mail client or the form; the token alone decides.
    const tooBig = await drain(req);
    if (tooBig) return page(res, 413, "Too large", "<p>Nothing was changed.</p>");
    const personId = await links.personOf(tokenOf(req));
    const person = personId === undefined ? undefined : await store.personById(personId);
    if (!person) return page(res, 400, "This link is not valid", "<p>This unsubscribe link is damaged, not from Steps, or for someone no longer on the roster. Nothing was changed.</p>");
    await store.setRemindersOff(person.id, true);
    log.info("reminders turned off from an email", { person: person.id });
    page(res, 200, "Reminders are off", "<p>Steps will send you no more reminders or nudges. To turn them on again, type <code>remind on</code> to Steps in chat, or ask your coordinator.</p>");
  });
}

async function drain(req: IncomingMessage): Promise<boolean> {
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) return true;
  }
  return false;
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "content-security-policy": contentPolicy("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"), "cache-control": "no-store" });
  res.end(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>` +
      `<body style="font-family:Arial,Helvetica,sans-serif;max-width:600px;margin:2rem auto;padding:0 1rem;line-height:1.5;"><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
  );
}
