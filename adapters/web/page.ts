import type { Role } from "../../src/program/program.ts";
import type { Person } from "../../src/store.ts";
import { formatMoment } from "../../src/time.ts";
import type { Spoken } from "../language.ts";
import type { ChatLine, Mailbox, Posted } from "./mailbox.ts";
import { escapeHtml, inline, renderMessage, tokenField } from "./render.ts";

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
  notice?: string;
  version: number;
  /** Carried by every form and sent by the script: the playground refuses posts without it. */
  token: string;
  /** The page is in the shown person's language. */
  words: Spoken;
}

/** One delivered message as a list item; the feeds and app.js share it. */
export function messageItem(posted: Posted, viewer: number, timeZone: string, token: string, { language: lang, say }: Spoken): string {
  return (
    `<li class="msg" data-id="${posted.id}" data-rev="${posted.rev}"><article class="card">` +
    `<p class="meta"><time datetime="${posted.at.toISOString()}">${escapeHtml(formatMoment(posted.at, timeZone, lang))}</time></p>` +
    `${renderMessage(posted.message, { personId: viewer, key: `m${posted.id}`, token, say })}</article></li>`
  );
}

export function chatItem(line: ChatLine, viewer: number, token: string, { say }: Spoken): string {
  const body = line.message ? renderMessage(line.message, { personId: viewer, key: `c${line.id}`, token, say }) : `<p>${escapeHtml(line.text)}</p>`;
  return `<li class="line ${line.from}" data-id="${line.id}"><p class="who">${escapeHtml(say("page.who", { who: line.from }))}</p><div class="card">${body}</div></li>`;
}

/** Newest first, unlike the conversation: the latest request or announcement is what people look for. */
function feed(name: string, items: readonly Posted[], viewer: number, timeZone: string, token: string, empty: string, words: Spoken): string {
  const list = [...items].reverse().map((p) => messageItem(p, viewer, timeZone, token, words)).join("\n");
  return `<ol class="feed" data-feed="${name}" data-empty="${escapeHtml(empty)}">${list || `<li class="empty">${escapeHtml(empty)}</li>`}</ol>`;
}

/**
 * What the email adapter would have sent this person, framed from its own page
 * (adapters/email/preview.ts): people whose roster contact is email or both
 * get their messages there rather than in the direct messages.
 */
function emailPane(person: Person, say: Spoken["say"]): string {
  const src = `/email/preview?person=${person.id}`;
  const name = { name: person.name };
  return `<section class="pane" id="email" aria-labelledby="email-title">
    <h2 id="email-title">${escapeHtml(say("page.email_title", name))}</h2>
    <p class="hint">${escapeHtml(say("page.email_hint"))} <a href="${src}" target="email-frame">${escapeHtml(say("page.email_refresh"))}</a></p>
    <iframe class="email-frame" name="email-frame" title="${escapeHtml(say("page.email_frame", name))}" src="${src}"></iframe>
  </section>`;
}

/** What app.js says, by the data attribute it reads it from (data-say-new-dm is say.newDm there). */
const SCRIPT_WORDS = {
  "new-dm": "page.script.new_dm",
  "new-announcement": "page.script.new_announcement",
  "new-coordinators": "page.script.new_coordinators",
  "none-left": "page.script.none_left",
  running: "page.script.running",
  "server-answered": "page.script.server_answered",
};

export function renderPage(d: PageData): string {
  const { language: lang, say } = d.words;
  const e = (key: string, values?: Parameters<typeof say>[1]) => escapeHtml(say(key, values));
  const viewer = d.person?.id ?? 0;
  const options = d.groups
    .map((g) => `<optgroup label="${escapeHtml(g.label)}">${g.people.map((p) => `<option value="${p.id}"${p.id === viewer ? " selected" : ""}>${escapeHtml(p.name)} (${escapeHtml(p.email)})</option>`).join("")}</optgroup>`)
    .join("");
  const clockOff = d.clockEnabled ? "" : " disabled";
  const chat = d.person ? d.mailbox.chat(viewer).map((l) => chatItem(l, viewer, d.token, d.words)).join("\n") : "";
  const token = tokenField(d.token);
  // An empty roster shows no one: the headings say so rather than naming a blank.
  const name = { name: d.person?.name ?? say("page.nobody") };
  // What the script says, in the page's language: it has no catalogs of its own.
  const scriptWords = Object.entries(SCRIPT_WORDS)
    // The script fills in {status} itself.
    .map(([name, key]) => ` data-say-${name}="${e(key, { status: "{status}" })}"`)
    .join("");
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e("page.title", { program: d.programName })}</title>
<link rel="stylesheet" href="/playground/app.css">
<script src="/playground/app.js" defer></script>
</head>
<body data-person-id="${viewer}" data-version="${d.version}" data-token="${escapeHtml(d.token)}"${scriptWords}>
<a class="skip" href="#command">${e("page.skip")}</a>
<header class="top">
  <h1>${e("page.heading")} <span class="program">${escapeHtml(d.programName)}</span></h1>
  <p class="banner" role="note"><strong>${e("page.banner")}</strong> ${e("page.banner_more")}</p>
  ${d.notice ? `<p class="notice" role="alert">${escapeHtml(d.notice)}</p>` : ""}
  <div class="controls">
    <form class="picker" method="get" action="/">
      <label for="person">${e("page.acting_as")}</label>
      <div class="row"><select id="person" name="person">${options}</select><button type="submit">${e("page.switch")}</button></div>
    </form>
    <form id="clock" class="clock" method="post" action="/playground/clock">
      <input type="hidden" name="personId" value="${viewer}">${token}
      <label for="clock-at">${e("page.clock_label", { zone: d.timeZone })}</label>
      <div class="row"><input type="datetime-local" id="clock-at" name="at" required aria-describedby="clock-help"${clockOff}><button type="submit"${clockOff}>${e("page.clock_run")}</button></div>
      <p id="clock-help" class="hint">${e(d.clockEnabled ? "page.clock_help" : "page.clock_missing")}</p>
      <p class="status" data-clock-status role="status"></p>
    </form>
  </div>
</header>
<main class="panes">
  <section class="pane" id="chat" aria-labelledby="chat-title">
    <h2 id="chat-title">${e("page.chat_title", name)}</h2>
    <div class="transcript" role="log" aria-live="polite" aria-label="${e("page.conversation")}" tabindex="0"><ol class="lines">${chat}</ol></div>
    <form class="command" method="post" action="/playground/command">
      <input type="hidden" name="personId" value="${viewer}">${token}
      <label for="command">${e("page.command")}</label>
      <div class="row"><input id="command" name="text" type="text" autocomplete="off" spellcheck="false" required aria-describedby="command-help"><button type="submit">${e("page.send")}</button></div>
      <p id="command-help" class="hint">${inline(say("page.command_help"))}</p>
    </form>
  </section>
  <section class="pane" id="dms" aria-labelledby="dms-title">
    <h2 id="dms-title">${e("page.dms_title", name)}</h2>
    ${feed("inbox", d.person ? d.mailbox.inbox(viewer) : [], viewer, d.timeZone, d.token, say("page.dms_empty"), d.words)}
    <p class="status" role="status" tabindex="-1" data-decided></p>
  </section>
  <section class="pane" id="channel" aria-labelledby="channel-title">
    <h2 id="channel-title">${e("page.channels")}</h2>
    <h3 class="channel-name">#announcements</h3>
    ${feed("announcements", d.mailbox.channel("announcements"), viewer, d.timeZone, d.token, say("page.announcements_empty"), d.words)}
    <h3 class="channel-name">#coordinators</h3>
    ${feed("coordinators", d.mailbox.channel("coordinators"), viewer, d.timeZone, d.token, say("page.coordinators_empty"), d.words)}
    <p class="status" role="status" tabindex="-1" data-decided></p>
  </section>
  ${d.person ? emailPane(d.person, say) : ""}
</main>
<p class="visually-hidden" id="announcer" role="status" aria-live="polite"></p>
</body>
</html>
`;
}

