import { differenceInCalendarDays, subDays } from "date-fns";
import type { Voice } from "../i18n.ts";
import type { Block, Message } from "../messages.ts";
import type { Program } from "../program/program.ts";
import { atLocal, parseDay, shiftDay } from "../schedule/occurrences.ts";
import type { DigestRows, OutboxItem, Person, Store, Submission } from "../store.ts";
import { playlistProgress } from "./progress.ts";
import { issuerName, progressAmount } from "./views.ts";

export interface Digest {
  at: Date;
  departments: { slug: string; name: string; interns: number; percent: number; badges: number }[];
  staleApprovals: { submission: Submission; intern: Person; mentor: Person | null; days: number }[];
  inactive: { intern: Person; days: number | null }[];
  behind: { intern: Person; percent: number; expected: number }[];
  /** `badge`: its name in the program's language; `playlist` names it in a reader's (see Voice.local), as `slug` a department's. */
  badges: { name: string; department: string | null; badge: string; playlist: string; at: Date }[];
  undelivered: { key: string; recipient: string; error: string | null }[];
  /** Work another issuer refused or kept failing (a Credly badge not issued, or not revoked), with its reason; `issue`: a badge not issued, which can be asked for again. */
  notDoneElsewhere: { issuer: string; error: string | null; issue: boolean }[];
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
    .map((s) => ({ submission: s as Submission, intern: interns.get(s.personId)!, mentor: ((program.task(s.task)?.task.approver ?? "mentor") === "mentor" && s.mentorId && mentors.get(s.mentorId)) || null, days: differenceInCalendarDays(at, s.createdAt) }))
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
    badges: rows.awardsSince.map((a) => ({ name: a.name, department: a.department, badge: program.playlist(a.playlist)?.badge.name ?? a.playlist, playlist: a.playlist, at: a.awardedAt })),
    notDoneElsewhere: rows.failedDeliveries.filter((f) => f.recipient.startsWith("job:")).map((f) => ({ issuer: issuerName(f.recipient.slice("job:".length)), error: f.lastError, issue: isIssue(f.payload) })),
    undelivered: rows.failedDeliveries.filter((f) => !f.recipient.startsWith("job:")).map((f) => {
      const person = f.recipient.startsWith("person:") ? mentors.get(Number(f.recipient.slice("person:".length))) : undefined;
      const recipient = person ? `${person.name} (${person.email})` : f.recipient.startsWith("channel:") ? `#${f.recipient.slice("channel:".length)}` : f.recipient;
      return { key: f.key, recipient, error: f.lastError };
    }),
  };
}

/** A job that issues a badge elsewhere (see publish in core.ts), as opposed to one that revokes it. */
function isIssue(payload: OutboxItem["payload"]): boolean {
  const job = "job" in payload ? payload.job : undefined;
  return typeof job === "object" && job !== null && (job as { action?: unknown }).action === "issue";
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
  /** What to do about the lines, after them. */
  next?: string;
}

function sections(program: Program, d: Digest, v: Voice): { top: Block[]; sections: Section[] } {
  const departmentName = (x: Digest["departments"][number]) => {
    const department = program.file.departments.find((d) => d.slug === x.slug);
    return department ? v.local(department, "name") : x.name;
  };
  const badgeName = (b: Digest["badges"][number]) => {
    const playlist = program.playlist(b.playlist);
    return playlist ? v.local(playlist.badge, "name") : b.badge;
  };
  const top: Block[] = [
    { type: "header", text: v.say("digest.header", { program: program.name, day: v.day(d.at) }) },
    ...d.departments.filter((x) => x.interns > 0).map((x): Block => ({
      type: "progress",
      label: v.say("digest.department", { department: departmentName(x), interns: x.interns }),
      done: x.percent,
      total: 100,
      unit: "percent",
      amount: progressAmount("percent", x.percent, 100, v),
      note: v.say("digest.department_badges", { count: x.badges }),
    })),
  ];
  const list: Section[] = [
    {
      header: v.say("digest.approvals.header", { count: d.staleApprovals.length }),
      empty: v.say("digest.approvals.empty"),
      lists: [
        d.staleApprovals.map((s) =>
          v.say("digest.approvals.line", { id: s.submission.id, intern: s.intern.name, slug: s.submission.task, days: s.days, coordinators: s.mentor ? "no" : "yes", mentor: s.mentor?.name ?? "" }),
        ),
      ],
    },
    {
      header: v.say("digest.behind.header", { count: d.behind.length + d.inactive.length }),
      empty: v.say("digest.behind.empty"),
      lists: [
        d.inactive.map((i) => (i.days === null ? v.say("digest.inactive.never", { intern: i.intern.name }) : v.say("digest.inactive.days", { intern: i.intern.name, days: i.days }))),
        d.behind.map((b) => v.say("digest.behind.line", { intern: b.intern.name, percent: b.percent, expected: b.expected })),
      ],
    },
    {
      header: v.say("digest.badges.header", { count: d.badges.length }),
      empty: v.say("digest.badges.empty"),
      lists: [d.badges.map((b) => v.say("digest.badges.line", { intern: b.name, badge: badgeName(b) }))],
    },
  ];
  if (d.notDoneElsewhere.length) {
    list.push({
      header: v.say("digest.elsewhere.header", { count: d.notDoneElsewhere.length }),
      empty: "",
      lists: [d.notDoneElsewhere.map((n) => v.say("digest.elsewhere.line", { issuer: n.issuer, error: n.error ?? v.say("digest.undelivered.unknown_error") }))],
      ...(d.notDoneElsewhere.some((n) => n.issue) ? { next: v.say("digest.elsewhere.retry") } : {}),
    });
  }
  if (d.undelivered.length) {
    list.push({
      header: v.say("digest.undelivered.header", { count: d.undelivered.length }),
      empty: "",
      lists: [
        d.undelivered.map((u) => {
          // The outbox key's first part says what the message was; ICU choices take no hyphens.
          const kind = v.say("digest.undelivered.kind", { kind: (u.key.split(":")[0] ?? "").replace(/-/g, "_") });
          return v.say("digest.undelivered.line", { recipient: u.recipient, kind, error: u.error ?? v.say("digest.undelivered.unknown_error") });
        }),
      ],
    });
  }
  return { top, sections: list };
}

function summary(program: Program, d: Digest, v: Voice): string {
  return v.say("digest.summary", { program: program.name, approvals: d.staleApprovals.length, interns: d.behind.length + d.inactive.length, badges: d.badges.length });
}

const bullets = (lines: string[]) => lines.map((l) => `• ${l}`).join("\n");

/** The digest's blocks: each section's header, then its lists as `listBlocks` lays them out, or what to say when all are empty. */
function digestBlocks(program: Program, d: Digest, v: Voice, listBlocks: (lines: string[]) => Block[]): Block[] {
  const { top, sections: all } = sections(program, d, v);
  const blocks = [...top];
  for (const section of all) {
    blocks.push({ type: "header", text: section.header });
    const lists = section.lists.filter((l) => l.length > 0);
    if (lists.length === 0) blocks.push({ type: "text", text: section.empty });
    for (const lines of lists) blocks.push(...listBlocks(lines));
    if (section.next) blocks.push({ type: "context", text: section.next });
  }
  return blocks;
}

/** The digest in one message, in the reader's language: each list cut at LIST_LIMIT, saying how to see the rest. */
export function digestMessage(program: Program, d: Digest, v: Voice): Message {
  const blocks = digestBlocks(program, d, v, (lines) => {
    const more = lines.length - LIST_LIMIT;
    return [{ type: "text", text: more > 0 ? `${bullets(lines.slice(0, LIST_LIMIT))}\n${v.say("digest.more", { count: more })}` : bullets(lines) }];
  });
  return { text: summary(program, d, v), blocks };
}

/** `digest full`: every line of every list, in as many messages as the platforms' limits need. */
export function fullDigestMessages(program: Program, d: Digest, v: Voice): Message[] {
  const blocks = digestBlocks(program, d, v, (lines) =>
    Array.from({ length: Math.ceil(lines.length / LINES_PER_BLOCK) }, (_, i) => ({ type: "text" as const, text: bullets(lines.slice(i * LINES_PER_BLOCK, (i + 1) * LINES_PER_BLOCK)) })),
  );
  const parts = Math.ceil(blocks.length / BLOCKS_PER_MESSAGE);
  const text = summary(program, d, v);
  if (parts === 1) return [{ text, blocks }];
  return Array.from({ length: parts }, (_, i) => ({
    text: v.say("digest.part_summary", { summary: text, part: i + 1, parts }),
    blocks: [...blocks.slice(i * BLOCKS_PER_MESSAGE, (i + 1) * BLOCKS_PER_MESSAGE), { type: "context", text: v.say("digest.part", { part: i + 1, parts }) }],
  }));
}
