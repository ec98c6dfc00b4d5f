import type { ServerResponse } from "node:http";
import type { Core } from "../../src/domain/core.ts";
import type { Store } from "../../src/store.ts";
import type { Routes } from "../http.ts";
import { programLanguage, readerLanguage, speak, type Spoken } from "../language.ts";
import { refusal, type LocalPolicy } from "../local-only.ts";
import { escapeHtml, type Email } from "./render.ts";
import type { Sender } from "./transport.ts";

// Without a mail server: what would have been sent, kept in memory and shown
// by the playground's Email pane, so the whole flow can be tried on one machine.

/** Oldest emails are dropped beyond this per person. */
const KEEP = 50;
export const PREVIEW_PATH = "/email/preview";

export function createPreview() {
  const byAddress = new Map<string, Email[]>();
  const sender: Sender = {
    async send(email) {
      const list = byAddress.get(email.to.address) ?? [];
      list.push(email);
      byAddress.set(email.to.address, list.slice(-KEEP));
    },
    close() {},
  };
  return { sender, emailsTo: (address: string): readonly Email[] => byAddress.get(address) ?? [] };
}

export type Preview = ReturnType<typeof createPreview>;

/**
 * One person's emails, newest first, as a page the playground frames: each
 * email's HTML in a sandboxed frame (no scripts, as in a mail client) and its
 * text part beside it. A real mail server in use leaves it empty.
 */
export function previewRoutes(routes: Routes, preview: Preview, store: Store, policy: LocalPolicy, core: Pick<Core, "t" | "languages" | "languageOf" | "program">): void {
  routes.add("GET", PREVIEW_PATH, async (req, res) => {
    const reader = speak(core.t, readerLanguage(req, core.languages, programLanguage(core)));
    if (refusal(req, policy)) return page(res, 403, reader, `<p>${escapeHtml(reader.say("email.preview.refused"))}</p>`);
    const id = Number(new URL(req.url ?? "/", "http://steps").searchParams.get("person"));
    const person = Number.isInteger(id) && id > 0 ? await store.personById(id) : undefined;
    if (!person) return page(res, 404, reader, `<p>${escapeHtml(reader.say("email.preview.no_person"))}</p>`);
    // The playground frames this beside that person's page, which is in their language.
    const words = speak(core.t, core.languageOf(person));
    const { say } = words;
    const emails = [...preview.emailsTo(person.email)].reverse();
    const items = emails.map(
      (e, i) =>
        `<li><article aria-labelledby="e${i}"><h2 id="e${i}">${escapeHtml(e.subject)}</h2>` +
        `<p class="meta">${escapeHtml(metaOf(e, say))}</p>` +
        `<iframe title="${escapeHtml(say("email.preview.html_part", { subject: e.subject }))}" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${escapeHtml(inNewTab(e.html))}"></iframe>` +
        `<details><summary>${escapeHtml(say("email.preview.text_part"))}</summary><pre>${escapeHtml(e.text)}</pre></details></article></li>`,
    );
    page(res, 200, words, items.length > 0 ? `<ol>${items.join("")}</ol>` : `<p>${escapeHtml(say("email.preview.none", { name: person.name }))}</p>`);
  });
}

/**
 * Links open in a tab of their own, as from a webmail: followed inside the
 * sandboxed frame, a link's page would have no origin, and its forms would be
 * refused as cross-site.
 */
function inNewTab(html: string): string {
  const base = '<base target="_blank">';
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => head + base) : base + html;
}

function page(res: ServerResponse, status: number, { language: lang, say }: Spoken, body: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    // Framed by the playground page on this server, by nothing else.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; frame-ancestors 'self'",
    "cache-control": "no-store",
  });
  res.end(
    `<!DOCTYPE html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><title>${escapeHtml(say("email.preview.title"))}</title>` +
      `<style>body{font-family:Arial,Helvetica,sans-serif;margin:0.5rem}ol{list-style:none;padding:0}h2{font-size:1.05rem;margin:0.75rem 0 0.25rem}.meta{color:#4a4a4a;font-size:0.85rem;margin:0 0 0.25rem}iframe{width:100%;height:22rem;border:1px solid #bbb}pre{white-space:pre-wrap}</style>` +
      `</head><body>${body}</body></html>`,
  );
}

/** "From …, reply to …, one-click unsubscribe": the envelope facts a mail client would show, as a list. */
function metaOf(e: Email, say: Spoken["say"]): string {
  const parts = [say("email.preview.from", { from: `${e.from.name} <${e.from.address}>` })];
  if (e.replyTo) parts.push(say("email.preview.reply_to", { address: e.replyTo }));
  if (e.headers["List-Unsubscribe"]) parts.push(say("email.preview.one_click"));
  return parts.join(", ");
}
