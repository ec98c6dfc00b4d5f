import type { IncomingMessage, ServerResponse } from "node:http";
import { jwtVerify, SignJWT } from "jose";
import type { Core } from "../../src/domain/core.ts";
import type { Logger } from "../../src/log.ts";
import type { Person, Store } from "../../src/store.ts";
import { contentPolicy, type Routes } from "../http.ts";
import { programLanguage, readerLanguage, speak, type Spoken } from "../language.ts";
import { inline } from "../web/render.ts";
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

export function unsubscribeRoutes(routes: Routes, links: UnsubscribeLinks, store: Store, log: Logger, core: Pick<Core, "t" | "languages" | "languageOf" | "program">): void {
  const tokenOf = (req: IncomingMessage) => new URL(req.url ?? "/", "http://steps").searchParams.get("t") ?? "";
  /** The person's language once the link names them; before that, the reader's browser's. */
  const wordsFor = async (req: IncomingMessage, personId: number | undefined): Promise<Spoken> => {
    const person = personId === undefined ? undefined : await store.personById(personId);
    return speak(core.t, person ? core.languageOf(person) : readerLanguage(req, core.languages, programLanguage(core)));
  };

  routes.add("GET", UNSUBSCRIBE_PATH, async (req, res) => {
    const token = tokenOf(req);
    const personId = await links.personOf(token);
    const words = await wordsFor(req, personId);
    const { say } = words;
    if (personId === undefined) return page(res, 400, words, say("email.unsubscribe.invalid_title"), `<p>${escapeHtml(say("email.unsubscribe.damaged"))}</p>`);
    const form =
      `<p>${escapeHtml(say("email.unsubscribe.ask"))}</p>` +
      `<form method="post" action="${UNSUBSCRIBE_PATH}?t=${escapeHtml(encodeURIComponent(token))}">` +
      `<input type="hidden" name="List-Unsubscribe" value="One-Click">` +
      `<button type="submit" style="padding:10px 18px;font-size:16px;">${escapeHtml(say("email.stop_reminders"))}</button></form>`;
    page(res, 200, words, say("email.stop_reminders"), form);
  });

  routes.add("POST", UNSUBSCRIBE_PATH, async (req, res) => {
    // The body is `List-Unsubscribe=One-Click` from a mail client or the form; the token alone decides.
    const tooBig = await drain(req);
    const personId = await links.personOf(tokenOf(req));
    const words = await wordsFor(req, personId);
    const { say } = words;
    if (tooBig) return page(res, 413, words, say("email.unsubscribe.too_large_title"), `<p>${escapeHtml(say("email.unsubscribe.nothing_changed"))}</p>`);
    const person = personId === undefined ? undefined : await store.personById(personId);
    if (!person) return page(res, 400, words, say("email.unsubscribe.invalid_title"), `<p>${escapeHtml(say("email.unsubscribe.no_one"))}</p>`);
    // One person, one choice, as `remind off` is: every program's row of theirs, or the other program's reminders keep coming to this address.
    for (const row of await store.peopleByEmail(person.email)) await store.setRemindersOff(row.id, true);
    log.info("reminders turned off from an email", { person: person.id });
    page(res, 200, words, say("email.unsubscribe.done_title"), `<p>${inline(say("email.unsubscribe.done"))}</p>`);
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

function page(res: ServerResponse, status: number, { language: lang }: Spoken, title: string, body: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "content-security-policy": contentPolicy("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"), "cache-control": "no-store" });
  res.end(
    `<!DOCTYPE html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>` +
      `<body style="font-family:Arial,Helvetica,sans-serif;max-width:600px;margin:2rem auto;padding:0 1rem;line-height:1.5;"><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
  );
}
