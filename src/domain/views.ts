import type { Voice } from "../i18n.ts";
import { percent, type Block, type Message } from "../messages.ts";
import { isHours } from "../program/program.ts";
import type { Playlist, Task } from "../program/schema.ts";
import type { Decision, Person, Submission } from "../store.ts";
import { displayUnits, type PlaylistProgress } from "./progress.ts";

// Every message the core sends or replies with is built here, as neutral blocks,
// in the words of the one person who reads it (the Voice).

export function message(text: string, ...blocks: Block[]): Message {
  return { text, blocks: blocks.length ? blocks : [{ type: "text", text }] };
}

/** What a person typed goes in a field: every platform shows a field's value exactly as written. */
export function reasonField(reason: string, v: Voice): Block {
  return { type: "fields", fields: [{ label: v.say("field.reason"), value: reason }] };
}

export function progressBlocks(p: PlaylistProgress, v: Voice): Block[] {
  return [
    { type: "header", text: v.say("progress.header", { playlist: v.local(p.playlist, "title"), complete: p.complete ? "yes" : "no", percent: p.percent }) },
    ...p.tasks.map((t): Block => {
      const unit = isHours(t.task) ? "hours" : "tasks";
      const done = displayUnits(t.task, Math.min(t.approved, t.required));
      const total = displayUnits(t.task, t.required);
      return {
        type: "progress",
        label: v.say("progress.task", { task: v.local(t.task, "title"), slug: t.task.slug }),
        done,
        total,
        unit,
        amount: progressAmount(unit, done, total, v),
        ...(t.pending > 0 ? { note: v.say("progress.waiting", { unit, amount: displayUnits(t.task, t.pending) }) } : {}),
      };
    }),
  ];
}

/** "7,5/20 h (37%)": the progress block's numbers in the reader's language. */
export function progressAmount(unit: "tasks" | "hours" | "percent", done: number, total: number, v: Voice): string {
  return v.say("progress.amount", { unit, done, total, percent: percent(done, total) });
}

export function submissionFields(intern: Person, task: Task, playlist: Playlist, s: Submission, v: Voice): Block {
  const fields = [
    { label: v.say("field.intern"), value: intern.name },
    { label: v.say("field.task"), value: v.say("progress.task", { task: v.local(task, "title"), slug: task.slug }) },
    { label: v.say("field.playlist"), value: v.local(playlist, "title") },
  ];
  if (isHours(task)) fields.push({ label: v.say("field.hours"), value: v.number(displayUnits(task, s.units)) });
  if (s.note) fields.push({ label: v.say("field.note"), value: s.note });
  if (s.link) fields.push({ label: v.say("field.evidence"), value: s.link });
  return { type: "fields", fields };
}

/** What an approver is asked to decide: the task, and its hours for an hours task. */
function work(task: Task, s: Submission, v: Voice): { task: string; hours: number | string; id: number; hoursTask: "yes" | "no" } {
  return { task: v.local(task, "title"), hours: isHours(task) ? displayUnits(task, s.units) : "", id: s.id, hoursTask: isHours(task) ? "yes" : "no" };
}

export function approvalRequest(intern: Person, task: Task, playlist: Playlist, s: Submission, v: Voice): Message {
  const what = { ...work(task, s, v), intern: intern.name };
  return {
    text: v.say("approval.summary", what),
    blocks: [
      { type: "text", text: v.say("approval.text", what) },
      submissionFields(intern, task, playlist, s, v),
      {
        type: "buttons",
        buttons: [
          { type: "button", action: "approve", label: v.say("button.approve"), value: String(s.id), style: "primary" },
          {
            type: "button",
            action: "request_changes",
            label: v.say("button.request_changes"),
            value: String(s.id),
            reason: { label: v.say("reason.label"), placeholder: v.say("reason.placeholder"), missing: v.say("reason.missing") },
          },
        ],
      },
      { type: "context", text: v.say("submission.number", { id: s.id }) },
      { type: "context", text: v.say("approval.typed", { id: s.id }), typing: true },
    ],
  };
}

export function decidedRequest(intern: Person, task: Task, playlist: Playlist, s: Submission, d: Decision, decider: Person, v: Voice): Message {
  const verdict = decisionSentence(d, decider, v);
  return {
    text: v.say("decided.summary", { task: v.local(task, "title"), intern: intern.name, verdict }),
    blocks: [
      submissionFields(intern, task, playlist, s, v),
      { type: "text", text: verdict },
      ...(d.reason ? [reasonField(d.reason, v)] : []),
      { type: "context", text: v.say("submission.number", { id: s.id }) },
    ],
  };
}

/** The approval request once the intern took it back: the same place, no buttons. */
export function withdrawnRequest(intern: Person, task: Task, playlist: Playlist, s: Submission, at: Date, v: Voice): Message {
  return {
    text: v.say("withdrawn.summary", { task: v.local(task, "title"), intern: intern.name }),
    blocks: [
      submissionFields(intern, task, playlist, s, v),
      { type: "text", text: v.say("withdrawn.text", { intern: intern.name, at: v.moment(at) }) },
      { type: "context", text: v.say("submission.number", { id: s.id }) },
    ],
  };
}

export function decisionSentence(d: Decision, decider: Person, v: Voice): string {
  return v.say("decision.sentence", { decision: d.decision, decider: decider.name, at: v.moment(d.decidedAt) });
}

export function outcomeForIntern(task: Task, s: Submission, d: Decision, decider: Person, v: Voice): Message {
  const which = { decider: decider.name, task: v.local(task, "title"), id: s.id };
  if (d.decision === "approved") return message(v.say("outcome.approved", which));
  return message(
    v.say("outcome.sent_back_summary", { ...which, reason: d.reason ?? "" }),
    { type: "text", text: v.say("outcome.sent_back", which) },
    reasonField(d.reason ?? "", v),
    { type: "context", text: v.say("outcome.fix", { slug: task.slug, at: v.moment(d.decidedAt) }) },
  );
}

export function awardAnnouncement(intern: Person, playlist: Playlist, badgeUrl: string, v: Voice): Message {
  const text = v.say("award.announcement", { intern: intern.name, badge: v.local(playlist.badge, "name") });
  return message(text, { type: "text", text }, { type: "link", label: v.say("award.see_badge"), url: badgeUrl });
}

/** Other issuers of the badge: where it is already (`elsewhere`), and who publishing it will send it to. */
export interface AwardElsewhere {
  elsewhere: { issuer: string; url: string }[];
  sentOnPublish: string[];
  /** Published already (the message is being edited to add a link): nothing left to ask. */
  published?: boolean;
}

export function awardForIntern(playlist: Playlist, badgeUrl: string, addToProfileUrl: string, v: Voice, other: AwardElsewhere = { elsewhere: [], sentOnPublish: [] }): Message {
  const badge = v.local(playlist.badge, "name");
  const text = v.say("award.yours", { badge });
  // A minor's name and email go to a third party only when they publish: they should know before they do.
  const issuers = v.list(other.sentOnPublish.map(issuerName));
  return message(
    text,
    { type: "header", text: badge },
    { type: "text", text },
    { type: "link", label: v.say("award.your_page"), url: badgeUrl },
    ...other.elsewhere.map((e): Block => ({ type: "link", label: v.say("award.on_issuer", { issuer: issuerName(e.issuer) }), url: e.url })),
    { type: "link", label: v.say("award.linkedin"), url: addToProfileUrl },
    ...(other.published
      ? []
      : ([
          { type: "buttons", buttons: [{ type: "button", action: "publish_badge", label: v.say("button.publish_badge"), value: playlist.slug, style: "primary" }] },
          { type: "context", text: v.say("award.publish_hint", { playlist: playlist.slug, sends: other.sentOnPublish.length ? "yes" : "no", issuers }) },
        ] satisfies Block[])),
  );
}

/** An issuer's name as people know it (`credly` → Credly). */
export function issuerName(issuer: string): string {
  return issuer.charAt(0).toUpperCase() + issuer.slice(1);
}
