import type { Role } from "../../src/program/program.ts";
import type { Person } from "../../src/store.ts";
import { formatMoment } from "../../src/time.ts";
import type { ChatLine, Mailbox, Posted } from "./mailbox.ts";
import { escapeHtml, renderMessage, tokenField } from "./render.ts";

// The playground page, rendered on the server so it reads (and its forms work)
// without JavaScript; app.js then keeps it live.

export interface RosterGroup {
  role: Role;
  department: string | null;
  label: string;
  people: { id: number; name: string; email: string }[];
}

export interface PageData {
  programName: string;
  timeZone: string;
  groups: RosterGroup[];
  person: Person | undefined;
  mailbox: Mailbox;
  clockEnabled: boolean;
  clockMissing: string;
  notice?: string;
  version: number;
  /** Carried by every form and sent by the script: the playground refuses posts without it. */
  token: string;
}

export const BANNER = "Playground — not a real chat platform; everything here is local.";

/** One delivered message as a list item; the feeds and app.js share it. */
export function messageItem(posted: Posted, viewer: number, timeZone: string, token: string): string {
  return (
    `<li class="msg" data-id="${posted.id}" data-rev="${posted.rev}"><article class="card">` +
    `<p class="meta"><time datetime="${posted.at.toISOString()}">${escapeHtml(formatMoment(posted.at, timeZone))}</time></p>` +
    `${renderMessage(posted.message, { personId: viewer, key: `m${posted.id}`, token })}</article></li>`
  );
}

export function chatItem(line: ChatLine, viewer: number, token: string): string {
  const body = line.message ? renderMessage(line.message, { personId: viewer, key: `c${line.id}`, token }) : `<p>${escapeHtml(line.text)}</p>`;
  return `<li class="line ${line.from}" data-id="${line.id}"><p class="who">${line.from === "you" ? "You" : "Steps"}</p><div class="card">${body}</div></li>`;
}

/** Newest first, unlike the conversation: the latest request or announcement is what people look for. */
function feed(name: string, items: readonly Posted[], viewer: number, timeZone: string, token: string, empty: string): string {
  const list = [...items].reverse().map((p) => messageItem(p, viewer, timeZone, token)).join("\n");
  return `<ol class="feed" data-feed="${name}" data-empty="${escapeHtml(empty)}">${list || `<li class="empty">${escapeHtml(empty)}</li>`}</ol>`;
}

/**
 * What the email adapter would have sent this person, framed from its own page
 * (adapters/email/preview.ts): people whose roster contact is email or both
 * get their messages there rather than in the direct messages.
 */
function emailPane(person: Person, name: string): string {
  const src = `/email/preview?person=${person.id}`;
  return `<section class="pane" id="email" aria-labelledby="email-title">
    <h2 id="email-title">Email to ${name}</h2>
    <p class="hint">Each email's HTML and text part, as a mail server would have received them. <a href="${src}" target="email-frame">Refresh</a></p>
    <iframe class="email-frame" name="email-frame" title="Emails to ${name}" src="${src}"></iframe>
  </section>`;
}

export function renderPage(d: PageData): string {
  const viewer = d.person?.id ?? 0;
  const options = d.groups
    .map((g) => `<optgroup label="${escapeHtml(g.label)}">${g.people.map((p) => `<option value="${p.id}"${p.id === viewer ? " selected" : ""}>${escapeHtml(p.name)} (${escapeHtml(p.email)})</option>`).join("")}</optgroup>`)
    .join("");
  const clockOff = d.clockEnabled ? "" : " disabled";
  const chat = d.person ? d.mailbox.chat(viewer).map((l) => chatItem(l, viewer, d.token)).join("\n") : "";
  const token = tokenField(d.token);
  const name = d.person ? escapeHtml(d.person.name) : "nobody";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Steps playground · ${escapeHtml(d.programName)}</title>
<link rel="stylesheet" href="/playground/app.css">
<script src="/playground/app.js" defer></script>
</head>
<body data-person-id="${viewer}" data-version="${d.version}" data-token="${escapeHtml(d.token)}">
<a class="skip" href="#command">Skip to the command box</a>
<header class="top">
  <h1>Steps playground <span class="program">${escapeHtml(d.programName)}</span></h1>
  <p class="banner" role="note"><strong>${escapeHtml(BANNER)}</strong> Nothing is sent to Slack, Teams or anyone's email; messages live in this server's memory until it stops.</p>
  ${d.notice ? `<p class="notice" role="alert">${escapeHtml(d.notice)}</p>` : ""}
  <div class="controls">
    <form class="picker" method="get" action="/">
      <label for="person">Acting as</label>
      <div class="row"><select id="person" name="person">${options}</select><button type="submit">Switch person</button></div>
    </form>
    <form id="clock" class="clock" method="post" action="/playground/clock">
      <input type="hidden" name="personId" value="${viewer}">${token}
      <label for="clock-at">Program time (${escapeHtml(d.timeZone)})</label>
      <div class="row"><input type="datetime-local" id="clock-at" name="at" required aria-describedby="clock-help"${clockOff}><button type="submit"${clockOff}>Run due reminders</button></div>
      <p id="clock-help" class="hint">${d.clockEnabled ? "Sends the reminders and digests that are due at that time, so you can walk through the program in minutes." : escapeHtml(d.clockMissing)}</p>
      <p class="status" data-clock-status role="status"></p>
    </form>
  </div>
</header>
<main class="panes">
  <section class="pane" id="chat" aria-labelledby="chat-title">
    <h2 id="chat-title">Chat as ${name}</h2>
    <div class="transcript" role="log" aria-live="polite" aria-label="Conversation with Steps" tabindex="0"><ol class="lines">${chat}</ol></div>
    <form class="command" method="post" action="/playground/command">
      <input type="hidden" name="personId" value="${viewer}">${token}
      <label for="command">Command</label>
      <div class="row"><input id="command" name="text" type="text" autocomplete="off" spellcheck="false" required aria-describedby="command-help"><button type="submit">Send</button></div>
      <p id="command-help" class="hint">The same commands as in Slack or Teams, e.g. <code>status</code>, <code>tasks</code>, <code>done interview-staff notes</code> or <code>help</code>.</p>
    </form>
  </section>
  <section class="pane" id="dms" aria-labelledby="dms-title">
    <h2 id="dms-title">Direct messages to ${name}</h2>
    ${feed("inbox", d.person ? d.mailbox.inbox(viewer) : [], viewer, d.timeZone, d.token, "No direct messages yet. Approval requests, outcomes, reminders and digests appear here.")}
    <p class="status" role="status" tabindex="-1" data-decided></p>
  </section>
  <section class="pane" id="channel" aria-labelledby="channel-title">
    <h2 id="channel-title">Channels</h2>
    <h3 class="channel-name">#announcements</h3>
    ${feed("announcements", d.mailbox.channel("announcements"), viewer, d.timeZone, d.token, "No announcements yet. Badges earned are announced here.")}
    <h3 class="channel-name">#coordinators</h3>
    ${feed("coordinators", d.mailbox.channel("coordinators"), viewer, d.timeZone, d.token, "Nothing for coordinators yet.")}
    <p class="status" role="status" tabindex="-1" data-decided></p>
  </section>
  ${d.person ? emailPane(d.person, name) : ""}
</main>
<p class="visually-hidden" id="announcer" role="status" aria-live="polite"></p>
</body>
</html>
`;
}
