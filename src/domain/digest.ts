import { differenceInCalendarDays, subDays } from "date-fns";
import type { Block, Message } from "../messages.ts";
import type { Program } from "../program/program.ts";
import { atLocal, parseDay, shiftDay } from "../schedule/occurrences.ts";
import type { DigestRows, Person, Store, Submission } from "../store.ts";
import { formatDay } from "../time.ts";
import { playlistProgress } from "./progress.ts";
import { issuerName } from "./views.ts";

export interface Digest {
  at: Date;
  departments: { slug: string; name: string; interns: number; percent: number; badges: number }[];
  staleApprovals: { submission: Submission; intern: Person; mentor: Person | null; days: number }[];
  inactive: { intern: Person; days: number | null }[];
  behind: { intern: Person; percent: number; expected: number }[];
  badges: { name: string; department: string | null; badge: string; at: Date }[];
  undelivered: { key: string; recipient: string; error: string | null }[];
  /** Work another issuer refused or kept failing (a Credly badge not issued, or not revoked), with its reason. */
  notDoneElsewhere: { issuer: string; error: string | null }[];
}

/**
 * Everything a coordinator's weekly digest shows, from a fixed number of
 * queries whatever the cohort size: progress is computed here, not per intern in SQL.
 */
export async function buildDigest(program: Program, store: Store, at: Date, scope: { mentorId?: number } = {}): Promise<Digest> {
  const settings = program.file.digest;
  const rows = notAfter(mentorScope(await store.digestRows(subDays(at, 7)), scope.mentorId), at);
  const mentorIds = rows.pending.map((p) => p.mentorId).filter((id): id is number => id !== null);
  // Recipients of failed messages are looked up with the mentors: one query either way.
  const failedIds = rows.failedDeliveries.filter((f) => f.recipient.startsWith("person:")).map((f) => Number(f.recipient.slice("person:".length)));
  const mentors = new Map((await store.peopleByIds([...new Set([...mentorIds, ...failedIds])])).map((m) => [m.id, m]));
  const interns = new Map(rows.interns.map((i) => [i.id, i]));

  const approvedByIntern = new Map<number, Submission[]>();
  for (const a of rows.approved) {
    const list = approvedByIntern.get(a.personId) ?? [];
    // Aggregated rows stand in for submissions: progress only needs task, units and status.
    list.push({ id: 0, personId: a.personId, playlist: a.playlist, task: a.task, units: a.units, isOnce: false, note: null, link: null, status: "approved", createdAt: at });
    approvedByIntern.set(a.personId, list);
  }
  const percentOf = (intern: Person) => {
    const lists = program.playlistsFor(intern.department).map((p) => playlistProgress(p, approvedByIntern.get(intern.id) ?? []));
    return lists.length ? Math.floor(lists.reduce((n, p) => n + p.percent, 0) / lists.length) : 0;
  };

  const expected = expectedPercent(program, at);
  const departments = program.file.departments.map((d) => {
    const members = rows.interns.filter((i) => i.department === d.slug);
    const percent = members.length ? Math.floor(members.reduce((n, i) => n + percentOf(i), 0) / members.length) : 0;
    return { slug: d.slug, name: d.name, interns: members.length, percent, badges: rows.awardsSince.filter((a) => a.department === d.slug).length };
  });

  const staleApprovals = rows.pending
    .map((s) => ({ submission: s as Submission, intern: interns.get(s.personId)!, mentor: (program.task(s.task)?.task.approver !== "coordinator" && s.mentorId && mentors.get(s.mentorId)) || null, days: differenceInCalendarDays(at, s.createdAt) }))
    .filter((p) => p.intern && p.days >= settings.stale_approval_days);

  const last = new Map(rows.lastActivity.map((l) => [l.personId, l.at]));
  const started = at >= programDays(program).start;
  const inactive = started
    ? rows.interns
        .map((intern) => {
          const seen = last.get(intern.id);
          return { intern, days: seen ? differenceInCalendarDays(at, seen) : null };
        })
        .filter((i) => i.days === null || i.days >= settings.inactive_days)
    : [];

  // An intern already listed as inactive is not listed again as behind.
  const quiet = new Set(inactive.map((i) => i.intern.id));
  const behind = rows.interns
    .filter((intern) => !quiet.has(intern.id))
    .map((intern) => ({ intern, percent: percentOf(intern), expected }))
    .filter((b) => expected >= 20 && b.percent < expected * 0.75);

  return {
    at,
    departments,
    staleApprovals,
    inactive,
    behind,
    badges: rows.awardsSince.map((a) => ({ name: a.name, department: a.department, badge: program.playlist(a.playlist)?.badge.name ?? a.playlist, at: a.awardedAt })),
    notDoneElsewhere: rows.failedDeliveries.filter((f) => f.recipient.startsWith("job:")).map((f) => ({ issuer: issuerName(f.recipient.slice("job:".length)), error: f.lastError })),
    undelivered: rows.failedDeliveries.filter((f) => !f.recipient.startsWith("job:")).map((f) => {
      const person = f.recipient.startsWith("person:") ? mentors.get(Number(f.recipient.slice("person:".length))) : undefined;
      const recipient = person ? `${person.name} (${person.email})` : f.recipient.startsWith("channel:") ? `#${f.recipient.slice("channel:".length)} channel` : f.recipient;
      return { key: f.key, recipient, error: f.lastError };
    }),
  };
}

/** A mentor's digest covers their own interns; undelivered messages are the coordinators' business. */
function mentorScope(rows: DigestRows, mentorId: number | undefined): DigestRows {
  if (mentorId === undefined) return rows;
  const mine = new Set(rows.interns.filter((i) => i.mentorId === mentorId).map((i) => i.id));
  return {
    interns: rows.interns.filter((i) => mine.has(i.id)),
    approved: rows.approved.filter((a) => mine.has(a.personId)),
    pending: rows.pending.filter((p) => mine.has(p.personId)),
    lastActivity: rows.lastActivity.filter((l) => mine.has(l.personId)),
    awardsSince: rows.awardsSince.filter((a) => mine.has(a.personId)),
    failedDeliveries: [],
  };
}

/**
 * "This week" ends at the digest's own time: a badge earned after it (the clock moved back,
 * or a digest run for an earlier date) belongs to a later week, not to this one.
 */
function notAfter(rows: DigestRows, at: Date): DigestRows {
  return { ...rows, awardsSince: rows.awardsSince.filter((a) => a.awardedAt <= at) };
}

/** The program's first midnight and its last, in its own time zone (not the server's). */
function programDays(program: Program): { start: Date; end: Date } {
  const { start, end } = program.file.program;
  return { start: atLocal(parseDay(start), "00:00", program.timeZone), end: atLocal(shiftDay(parseDay(end), 1), "00:00", program.timeZone) };
}

/** Share of the program's calendar that has passed, as the pace interns are measured against. */
function expectedPercent(program: Program, at: Date): number {
  const { start, end } = programDays(program);
  return Math.max(0, Math.min(100, Math.floor(((at.getTime() - start.getTime()) / (end.getTime() - start.getTime())) * 100)));
}

/** A list longer than this is cut in the digest, with a pointer to `digest full`. */
const LIST_LIMIT = 15;
/** In `digest full`, lines per text block and blocks per message: within every platform's limits (the smallest card size among them). */
const LINES_PER_BLOCK = 10;
const BLOCKS_PER_MESSAGE = 20;

interface Section {
  header: string;
  /** Shown when every list of the section is empty. */
  empty: string;
  lists: string[][];
}

function sections(program: Program, d: Digest): { top: Block[]; sections: Section[] } {
  const tz = program.timeZone;
  const top: Block[] = [
    { type: "header", text: `${program.name} — week of ${formatDay(d.at, tz)}` },
    ...d.departments.filter((x) => x.interns > 0).map((x): Block => ({
      type: "progress",
      label: x.interns === 1 ? `${x.name}: progress of its one intern` : `${x.name}: average progress of its ${x.interns} interns`,
      done: x.percent,
      total: 100,
      unit: "percent",
      note: x.badges === 0 ? "no new badges this week" : x.badges === 1 ? "1 new badge this week" : `${x.badges} new badges this week`,
    })),
  ];
  const list: Section[] = [
    {
      header: `Approvals waiting (${d.staleApprovals.length})`,
      empty: "None waiting too long.",
      lists: [d.staleApprovals.map((s) => `#${s.submission.id} ${s.intern.name} · ${s.submission.task} · ${s.days} days · ${s.mentor ? `mentor ${s.mentor.name}` : "for coordinators"}`)],
    },
    {
      header: `Falling behind (${d.behind.length + d.inactive.length})`,
      empty: "Everyone has been active and is on pace.",
      lists: [
        d.inactive.map((i) => `${i.intern.name}: ${i.days === null ? "no activity yet" : `no activity for ${i.days} days`}`),
        d.behind.map((b) => `${b.intern.name}: ${b.percent}% done, ${b.expected}% expected by now`),
      ],
    },
    { header: `Badges this week (${d.badges.length})`, empty: "No badges this week.", lists: [d.badges.map((b) => `${b.name} — ${b.badge}`)] },
  ];
  if (d.notDoneElsewhere.length) {
    list.push({ header: `Badges not issued or revoked elsewhere (${d.notDoneElsewhere.length})`, empty: "", lists: [d.notDoneElsewhere.map((n) => `${n.issuer}: ${n.error ?? "unknown error"}`)] });
  }
  if (d.undelivered.length) {
    list.push({ header: `Messages not delivered (${d.undelivered.length})`, empty: "", lists: [d.undelivered.map((u) => `${u.recipient} · ${u.key.split(":")[0]}: ${u.error ?? "unknown error"}`)] });
  }
  return { top, sections: list };
}

function summary(program: Program, d: Digest): string {
  const approvals = d.staleApprovals.length === 1 ? "1 approval waiting" : `${d.staleApprovals.length} approvals waiting`;
  const quiet = d.behind.length + d.inactive.length;
  const interns = quiet === 1 ? "1 intern to check on" : `${quiet} interns to check on`;
  const badges = d.badges.length === 1 ? "1 badge this week" : `${d.badges.length} badges this week`;
  return `${program.name} digest: ${approvals}, ${interns}, ${badges}`;
}

const bullets = (lines: string[]) => lines.map((l) => `• ${l}`).join("\n");

/** The digest's blocks: each section's header, then its lists as `listBlocks` lays them out, or what to say when all are empty. */
function digestBlocks(program: Program, d: Digest, listBlocks: (lines: string[]) => Block[]): Block[] {
  const { top, sections: all } = sections(program, d);
  const blocks = [...top];
  for (const section of all) {
    blocks.push({ type: "header", text: section.header });
    const lists = section.lists.filter((l) => l.length > 0);
    if (lists.length === 0) blocks.push({ type: "text", text: section.empty });
    for (const lines of lists) blocks.push(...listBlocks(lines));
  }
  return blocks;
}

/** The digest in one message: each list cut at LIST_LIMIT, saying how to see the rest. */
export function digestMessage(program: Program, d: Digest): Message {
  const blocks = digestBlocks(program, d, (lines) => {
    const more = lines.length - LIST_LIMIT;
    return [{ type: "text", text: more > 0 ? `${bullets(lines.slice(0, LIST_LIMIT))}\n…and ${more} more: type <cmd>digest full</cmd> to see them all.` : bullets(lines) }];
  });
  return { text: summary(program, d), blocks };
}

/** `digest full`: every line of every list, in as many messages as the platforms' limits need. */
export function fullDigestMessages(program: Program, d: Digest): Message[] {
  const blocks = digestBlocks(program, d, (lines) =>
    Array.from({ length: Math.ceil(lines.length / LINES_PER_BLOCK) }, (_, i) => ({ type: "text" as const, text: bullets(lines.slice(i * LINES_PER_BLOCK, (i + 1) * LINES_PER_BLOCK)) })),
  );
  const parts = Math.ceil(blocks.length / BLOCKS_PER_MESSAGE);
  const text = summary(program, d);
  if (parts === 1) return [{ text, blocks }];
  return Array.from({ length: parts }, (_, i) => ({
    text: `${text} (part ${i + 1} of ${parts})`,
    blocks: [...blocks.slice(i * BLOCKS_PER_MESSAGE, (i + 1) * BLOCKS_PER_MESSAGE), { type: "context", text: `Part ${i + 1} of ${parts}` }],
  }));
}
