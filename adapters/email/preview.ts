import type { ServerResponse } from "node:http";
import type { Store } from "../../src/store.ts";
import type { Routes } from "../http.ts";
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
export function previewRoutes(routes: Routes, preview: Preview, store: Store, policy: LocalPolicy): void {
  routes.add("GET", PREVIEW_PATH, async (req, res) => {
    if (refusal(req, policy)) return page(res, 403, "<p>Email previews are shown only where the playground is: open it on this computer.</p>");
    const id = Number(new URL(req.url ?? "/", "http://steps").searchParams.get("person"));
    const person = Number.isInteger(id) && id > 0 ? await store.personById(id) : undefined;
    if (!person) return page(res, 404, "<p>No such person on the roster.</p>");
    const emails = [...preview.emailsTo(person.email)].reverse();
    const items = emails.map(
      (e, i) =>
        `<li><article aria-labelledby="e${i}"><h2 id="e${i}">${escapeHtml(e.subject)}</h2>` +
        `<p class="meta">From ${escapeHtml(e.from.name)} &lt;${escapeHtml(e.from.address)}&gt;${e.replyTo ? `, reply to ${escapeHtml(e.replyTo)}` : ""}${e.headers["List-Unsubscribe"] ? ", one-click unsubscribe" : ""}</p>` +
        `<iframe title="${escapeHtml(`HTML part: ${e.subject}`)}" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${escapeHtml(e.html)}"></iframe>` +
        `<details><summary>Text part</summary><pre>${escapeHtml(e.text)}</pre></details></article></li>`,
    );
    page(res, 200, items.length > 0 ? `<ol>${items.join("")}</ol>` : `<p>No email to ${escapeHtml(person.name)} yet. People whose roster contact is email or both get their messages here.</p>`);
  });
}

function page(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    // Framed by the playground page on this server, by nothing else.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; frame-ancestors 'self'",
    "cache-control": "no-store",
  });
  res.end(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Email</title>` +
      `<style>body{font-family:Arial,Helvetica,sans-serif;margin:0.5rem}ol{list-style:none;padding:0}h2{font-size:1.05rem;margin:0.75rem 0 0.25rem}.meta{color:#4a4a4a;font-size:0.85rem;margin:0 0 0.25rem}iframe{width:100%;height:22rem;border:1px solid #bbb}pre{white-space:pre-wrap}</style>` +
      `</head><body>${body}</body></html>`,
  );
}
