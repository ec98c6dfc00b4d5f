import type { Block, Message } from "../messages.ts";
import { isHours } from "../program/program.ts";
import type { Playlist, Task } from "../program/schema.ts";
import type { Award, Decision, Person, Submission } from "../store.ts";
import { formatMoment } from "../time.ts";
import { displayUnits, type PlaylistProgress } from "./progress.ts";

// Every message the core sends or replies with is built here, as neutral blocks.

export function message(text: string, ...blocks: Block[]): Message {
  return { text, blocks: blocks.length ? blocks : [{ type: "text", text }] };
}

/** What a person typed goes in a field: every platform shows a field's value exactly as written. */
export function reasonField(reason: string): Block {
  return { type: "fields", fields: [{ label: "Reason", value: reason }] };
}

export function progressBlocks(p: PlaylistProgress): Block[] {
  const status = p.complete ? "badge earned" : `${p.percent}%`;
  return [
    { type: "header", text: `${p.playlist.title} — ${status}` },
    ...p.tasks.map((t): Block => ({
      type: "progress",
      label: `${t.task.title} (${t.task.slug})`,
      done: displayUnits(t.task, Math.min(t.approved, t.required)),
      total: displayUnits(t.task, t.required),
      unit: isHours(t.task) ? "hours" : "tasks",
      ...(t.pending > 0 ? { note: `${displayUnits(t.task, t.pending)}${isHours(t.task) ? " h" : ""} waiting for approval` } : {}),
    })),
  ];
}

export function submissionFields(intern: Person, task: Task, playlist: Playlist, s: Submission): Block {
  const fields = [
    { label: "Intern", value: intern.name },
    { label: "Task", value: `${task.title} (${task.slug})` },
    { label: "Playlist", value: playlist.title },
  ];
  if (isHours(task)) fields.push({ label: "Hours", value: String(displayUnits(task, s.units)) });
  if (s.note) fields.push({ label: "Note", value: s.note });
  if (s.link) fields.push({ label: "Evidence", value: s.link });
  return { type: "fields", fields };
}

export function approvalRequest(intern: Person, task: Task, playlist: Playlist, s: Submission): Message {
  const what = isHours(task) ? `${displayUnits(task, s.units)} h of ${task.title}` : task.title;
  return {
    text: `${intern.name} asks you to approve: ${what} (#${s.id})`,
    blocks: [
      { type: "text", text: `${intern.name} completed ${what}. Approve it, or send it back with a reason.` },
      submissionFields(intern, task, playlist, s),
      {
        type: "buttons",
        buttons: [
          { type: "button", action: "approve", label: "Approve", value: String(s.id), style: "primary" },
          { type: "button", action: "request_changes", label: "Request changes", value: String(s.id) },
        ],
      },
      { type: "context", text: `Submission #${s.id} · or type <cmd>approve ${s.id}</cmd> / <cmd>changes ${s.id} <reason></cmd>` },
    ],
  };
}

export function decidedRequest(
  intern: Person,
  task: Task,
  playlist: Playlist,
  s: Submission,
  d: Decision,
  decider: Person,
  timeZone: string,
): Message {
  const verdict = decisionSentence(d, decider, timeZone);
  return {
    text: `${task.title} for ${intern.name}: ${verdict}`,
    blocks: [
      submissionFields(intern, task, playlist, s),
      { type: "text", text: verdict },
      ...(d.reason ? [reasonField(d.reason)] : []),
      { type: "context", text: `Submission #${s.id}` },
    ],
  };
}

/** The approval request once the intern took it back: the same place, no buttons. */
export function withdrawnRequest(intern: Person, task: Task, playlist: Playlist, s: Submission, at: Date, timeZone: string): Message {
  const text = `${intern.name} withdrew this on ${formatMoment(at, timeZone)}: there is nothing to decide.`;
  return {
    text: `${task.title} for ${intern.name}: withdrawn`,
    blocks: [submissionFields(intern, task, playlist, s), { type: "text", text }, { type: "context", text: `Submission #${s.id}` }],
  };
}

export function decisionSentence(d: Decision, decider: Person, timeZone: string): string {
  const verb = d.decision === "approved" ? "Approved" : "Changes requested";
  return `${verb} by ${decider.name} on ${formatMoment(d.decidedAt, timeZone)}`;
}

export function outcomeForIntern(task: Task, s: Submission, d: Decision, decider: Person, timeZone: string): Message {
  if (d.decision === "approved") {
    const text = `${decider.name} approved ${task.title} (#${s.id}).`;
    return message(text);
  }
  const text = `${decider.name} sent back ${task.title} (#${s.id}): ${d.reason}`;
  return message(text, { type: "text", text: `${decider.name} sent back ${task.title} (#${s.id}).` }, reasonField(d.reason ?? ""), {
    type: "context",
    text: `Fix it, then type <cmd>done ${task.slug}</cmd> again. ${formatMoment(d.decidedAt, timeZone)}`,
  });
}

export function awardAnnouncement(intern: Person, playlist: Playlist, award: Award, badgeUrl: string): Message {
  const text = `${intern.name} earned the ${playlist.badge.name} badge!`;
  return message(text, { type: "text", text }, { type: "link", label: "See the badge", url: badgeUrl });
}

/** Other issuers of the badge: where it is already (`elsewhere`), and who publishing it will send it to. */
export interface AwardElsewhere {
  elsewhere: { issuer: string; url: string }[];
  sentOnPublish: string[];
  /** Published already (the message is being edited to add a link): nothing left to ask. */
  published?: boolean;
}

export function awardForIntern(playlist: Playlist, badgeUrl: string, addToProfileUrl: string, other: AwardElsewhere = { elsewhere: [], sentOnPublish: [] }): Message {
  const text = `You earned the ${playlist.badge.name} badge. Congratulations!`;
  const issuers = other.sentOnPublish.map(issuerName).join(" and ");
  // A minor's name and email go to a third party only when they publish: they should know before they do.
  const publishNote = issuers
    ? ` Publishing also sends your name and email to ${issuers}, which issues the badge too and emails you about it.`
    : "";
  return message(
    text,
    { type: "header", text: playlist.badge.name },
    { type: "text", text },
    { type: "link", label: "Your badge page", url: badgeUrl },
    ...other.elsewhere.map((e): Block => ({ type: "link", label: `Your badge on ${issuerName(e.issuer)}`, url: e.url })),
    { type: "link", label: "Add to LinkedIn profile", url: addToProfileUrl },
    ...(other.published
      ? []
      : ([
          { type: "buttons", buttons: [{ type: "button", action: "publish_badge", label: "Publish badge page", value: playlist.slug, style: "primary" }] },
          {
            type: "context",
            text: `Until you type <cmd>badge publish ${playlist.slug}</cmd>, the page only says that the badge exists: publish it before you share it.${publishNote}`,
          },
        ] satisfies Block[])),
  );
}

/** An issuer's name as people know it (`credly` → Credly). */
export function issuerName(issuer: string): string {
  return issuer.charAt(0).toUpperCase() + issuer.slice(1);
}
