import type { PlaylistProgress } from "../../../src/domain/progress.ts";
import { displayUnits } from "../../../src/domain/progress.ts";
import { isHours } from "../../../src/program/program.ts";
import type { Playlist, Task } from "../../../src/program/schema.ts";
import type { Person, Submission } from "../../../src/store.ts";
import type { Say, Spoken } from "../../language.ts";
import { escapeHtml as esc } from "../../web/render.ts";
import { APPROVE_PATH, NEW_LINK_PATH, WORK_PATH } from "./links.ts";

// The small pages email links open: plain HTML, one stylesheet of our own,
// nothing inline, so the strict content policy holds.

export const STYLESHEET_PATH = "/email/links.css";

export const STYLESHEET = `body{font:1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin-top:1rem}input,select,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.4rem}
button{font:inherit;margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#0b5cad;color:#fff;cursor:pointer}
button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.status{padding:.6rem;border-left:4px solid #0b5cad;background:#eef4fb}.alert{padding:.6rem;border-left:4px solid #b00020;background:#fdeeee}
.hint{color:#444;font-size:.9rem}`;

export function page(lang: string, programName: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="${esc(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)} — ${esc(programName)}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

/** A plain page for a link that does nothing, or a decision that was refused. */
export function notice(title: string, sentences: string[]): string {
  return `<h1>${esc(title)}</h1>\n${sentences.map((s) => `<p>${esc(s)}</p>`).join("\n")}`;
}

/** The form's words, in the language of whoever the page is for. */
export interface NewLinkWords {
  title: string;
  intro: string;
  label: string;
  button: string;
}

/**
 * "Email me a new link": asks for the address rather than naming it, so the
 * page tells whoever holds an old link nothing about whose it was.
 */
export function newLinkForm(words: NewLinkWords, problem?: string, level = 2): string {
  const alert = problem ? `<p class="alert" role="alert" id="problem">${esc(problem)}</p>\n` : "";
  return `<h${level}>${esc(words.title)}</h${level}>
${alert}<form method="post" action="${NEW_LINK_PATH}">
<p>${esc(words.intro)}</p>
<label for="email">${esc(words.label)}</label>
<input id="email" name="email" type="email" autocomplete="email" required${problem ? ` aria-describedby="problem"` : ""}>
<button type="submit">${esc(words.button)}</button>
</form>`;
}

export interface Submitted {
  intern: Person;
  task: Task;
  playlist: Playlist | undefined;
  submission: Submission;
}

function fields({ intern, task, playlist, submission: s }: Submitted, say: Say): string {
  const rows: [string, string][] = [
    [say("email.link.intern"), esc(intern.name)],
    [say("email.link.task"), esc(task.title)],
  ];
  if (playlist) rows.push([say("email.link.playlist"), esc(playlist.title)]);
  if (isHours(task)) rows.push([say("email.link.hours"), String(displayUnits(task, s.units))]);
  if (s.note) rows.push([say("email.link.note"), esc(s.note)]);
  if (s.link) rows.push([say("email.link.evidence"), /^https?:\/\//i.test(s.link) ? `<a href="${esc(s.link)}" rel="noopener noreferrer nofollow">${esc(s.link)}</a>` : esc(s.link)]);
  rows.push([say("email.link.submission"), `#${s.id}`]);
  return `<dl>\n${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("\n")}\n</dl>`;
}

/** The one more click a link asks for: a GET shows this, only the button's POST decides. */
export function confirmPage(what: Submitted, action: "approve" | "request_changes", approver: Person, token: string, say: Say, problem?: string): string {
  const first = what.intern.name.split(" ")[0] ?? what.intern.name;
  const names = { intern: what.intern.name, task: what.task.title, approver: approver.name, first };
  // The task and the approver are set in <em> and <strong> inside a translated sentence: placeholders keep it whole.
  const doing = esc(say(action === "approve" ? "email.link.approving" : "email.link.sending_back", { ...names, task: "\u0001", approver: "\u0002" }))
    .replace("\u0001", `<em>${esc(what.task.title)}</em>`)
    .replace("\u0002", `<strong>${esc(approver.name)}</strong>`);
  const alert = problem ? `<p class="alert" role="alert" id="problem">${esc(problem)}</p>\n` : "";
  const hidden = `<input type="hidden" name="t" value="${esc(token)}">`;
  const notYou = `<p class="hint">${esc(say("email.link.not_you", names))}</p>`;
  if (action === "approve") {
    return `<h1>${esc(say("email.link.approve_title", names))}</h1>
<p>${doing}</p>
${fields(what, say)}
${alert}<form method="post" action="${APPROVE_PATH}">
${hidden}
<button type="submit">${esc(say("email.link.approve"))}</button>
</form>
${notYou}`;
  }
  return `<h1>${esc(say("email.link.changes_title", names))}</h1>
<p>${doing}</p>
${fields(what, say)}
${alert}<form method="post" action="${APPROVE_PATH}">
${hidden}
<label for="reason">${esc(say("email.link.reason_label", names))}</label>
<textarea id="reason" name="reason" rows="4" maxlength="2000" required${problem ? ' aria-describedby="problem" aria-invalid="true"' : ""}></textarea>
<button type="submit">${esc(say("email.link.send_back", names))}</button>
</form>
${notYou}`;
}

export interface WorkPageInput {
  intern: Person;
  token: string;
  playlists: Playlist[];
  progress: PlaylistProgress[];
  /** The answer to what was just recorded: a status, or an alert when it was refused. */
  said?: { text: string; alert: boolean };
}

/** An intern's page: record a task or hours, and see progress. */
export function workPage({ intern, token, playlists, progress, said }: WorkPageInput, { say }: Spoken): string {
  const options = playlists
    .map((p) => `<optgroup label="${esc(p.title)}">${p.tasks.map((t) => `<option value="${esc(t.slug)}">${esc(isHours(t) ? say("email.work.hours_task", { task: t.title }) : t.title)}</option>`).join("")}</optgroup>`)
    .join("\n");
  const message = said ? `<p class="${said.alert ? "alert" : "status"}" role="${said.alert ? "alert" : "status"}">${esc(said.text)}</p>\n` : "";
  const hint = (key: string) => `<span class="hint">${esc(say(key))}</span>`;
  return `<h1>${esc(say("email.work.title", { name: intern.name }))}</h1>
${message}<h2>${esc(say("email.work.record_title"))}</h2>
<form method="post" action="${WORK_PATH}">
<input type="hidden" name="t" value="${esc(token)}">
<label for="task">${esc(say("email.link.task"))}</label>
<select id="task" name="task" required>
${options}
</select>
<label for="hours">${esc(say("email.link.hours"))} ${hint("email.work.hours_hint")}</label>
<input id="hours" name="hours" inputmode="decimal" autocomplete="off">
<label for="note">${esc(say("email.link.note"))} ${hint("email.work.note_hint")}</label>
<textarea id="note" name="note" rows="3" maxlength="2000"></textarea>
<label for="link">${esc(say("email.work.link"))} ${hint("email.work.optional")}</label>
<input id="link" name="link" type="url" placeholder="https://">
<button type="submit">${esc(say("email.work.record"))}</button>
</form>
<h2>${esc(say("email.work.progress_title"))}</h2>
${progress.map((p) => progressSection(p, say)).join("\n")}
<p class="hint">${esc(say("email.work.private"))}</p>`;
}

function progressSection(p: PlaylistProgress, say: Say): string {
  const items = p.tasks.map((t) => {
    const state = {
      hours: isHours(t.task) ? "yes" : "no",
      approved: displayUnits(t.task, t.approved),
      required: displayUnits(t.task, t.required),
      pending: t.pending ? displayUnits(t.task, t.pending) : 0,
    };
    return `<li>${esc(t.complete ? say("email.work.task_done", { task: t.task.title }) : say("email.work.task_progress", { task: t.task.title, ...state }))}</li>`;
  });
  return `<h3>${esc(say("email.work.playlist_progress", { playlist: p.playlist.title, percent: p.percent }))}</h3>\n<ul>\n${items.join("\n")}\n</ul>`;
}
