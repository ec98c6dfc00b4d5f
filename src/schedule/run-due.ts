import { differenceInCalendarDays, startOfMinute, subHours, subMinutes } from "date-fns";
import { buildDigest, digestMessage } from "../domain/digest.ts";
import { defaultWords, languageFor, voice, type Voice, type Words } from "../i18n.ts";
import type { Logger } from "../log.ts";
import type { Message } from "../messages.ts";
import type { Program } from "../program/program.ts";
import type { Audience } from "../program/schema.ts";
import type { Person, Recipient, Store } from "../store.ts";
import { nudgeMessage, reminderMessage } from "./messages.ts";
import { formatLocalDay, leadReachMs, localDayOf, parseDay, reminderInstant, sendInstant, shiftDay, weeklyInstants, type ScheduledEvent } from "./occurrences.ts";

export interface RunDueOptions {
  program: Program;
  store: Store;
  log: Logger;
  /** Events from the program file and its calendars, already loaded. */
  events: ScheduledEvent[];
  /** What fell due up to this long before a run's minute is still sent; older is skipped. */
  graceMinutes: number;
  /** Called when something was queued, so it goes out now rather than at the next beat. */
  onQueued?: () => void;
  /** The words people read; defaults to the catalogs with the program file's own texts over them. */
  words?: Words;
}

export interface RunDueResult {
  /** Queued now: what fell due from `from` (the grace window's start, or after the last run) up to `at`. */
  from: Date;
  at: Date;
  queued: number;
  /** Fell due while nothing was running, longer ago than the grace window. */
  skipped: string[];
}

export type RunDue = (at: Date) => Promise<RunDueResult>;

/** Past the grace window nothing is sent anyway; this only bounds what a long outage logs. */
const MAX_LOOKBACK_DAYS = 7;
const NUDGE_AFTER_HOURS = 48;
const ENQUEUE_CHUNK = 1_000;

interface Moment {
  /** The outbox key prefix: one moment, many recipients. */
  id: string;
  at: Date;
  items(): Promise<{ key: string; recipient: Recipient; message: Message }[]>;
}

/**
 * The one scheduling function, behind both triggers (the server's cron tick
 * and `steps run-due`). It queues what fell due since the last run with keys
 * unique per occurrence and recipient, so the database makes every message
 * once whatever number of instances run it, and however often.
 */
export function createRunDue(options: RunDueOptions): RunDue {
  const { program, store, log, events } = options;
  const tz = program.timeZone;
  const { quiet_hours: quiet, start, end } = program.file.program;
  const digest = program.file.digest;
  // By the program's id: two programs may share a display name. The name was the key before programs had ids, read once as a fallback.
  const lastRunKey = `schedule:last-run:program:${program.id}`;
  const lastRunKeyByName = `schedule:last-run:${program.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  const graceMs = options.graceMinutes * 60_000;
  const words = options.words ?? defaultWords(program.file.texts);
  const languageOf = (person: Person | null) => languageFor(person?.language ?? null, words.languages, program.file.program.language);
  /** One message per language among the recipients, each read in their own. */
  const inTheirLanguage = (build: (v: Voice) => Message) => {
    const built = new Map<string, Message>();
    return (person: Person | null) => {
      const language = languageOf(person);
      let message = built.get(language);
      if (!message) built.set(language, (message = build(voice(words.t, language, tz))));
      return message;
    };
  };

  function moments(from: Date, to: Date, people: () => Promise<Person[]>): Moment[] {
    const found: Moment[] = [];
    const inWindow = (at: Date) => at >= from && at <= to;
    for (const event of events) {
      const reach = Math.max(0, ...event.reminders.map(leadReachMs));
      for (const startAt of event.starts(from, new Date(to.getTime() + reach))) {
        for (const lead of event.reminders) {
          const at = sendInstant(reminderInstant(startAt, lead, tz), startAt, quiet, tz);
          if (!at || !inWindow(at)) continue;
          const id = `reminder:${event.slug}:${startAt.toISOString()}:${lead}`;
          found.push({
            id,
            at,
            items: async () => {
              const message = inTheirLanguage((v) => reminderMessage(event, startAt, at, v));
              return audienceOf(event.audience, await people()).map((p) => ({ key: `${id}:person:${p.id}`, recipient: `person:${p.id}` as const, message: message(p) }));
            },
          });
        }
      }
    }
    // The last digest covers the program's final week.
    for (const at of weeklyInstants(digest.weekday, digest.time, tz, from, to, { first: start, last: formatLocalDay(shiftDay(parseDay(end), 7)) })) {
      if (!inWindow(at)) continue;
      const id = `digest:${at.toISOString()}`;
      found.push({ id, at, items: async () => digestItems(id, at, await people()) });
    }
    for (const at of weeklyInstants("daily", digest.time, tz, from, to, { first: start, last: end })) {
      if (!inWindow(at)) continue;
      const id = `nudge:${formatLocalDay(localDayOf(at, tz))}`;
      found.push({ id, at, items: async () => nudgeItems(id, at, await people()) });
    }
    return found.sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /** Digests ignore `remind off`: coordinators always get them. */
  async function digestItems(id: string, at: Date, everyone: Person[]) {
    const week = await buildDigest(program, store, at);
    const message = inTheirLanguage((v) => digestMessage(program, week, v));
    const items: { key: string; recipient: Recipient; message: Message }[] = [];
    const channel = program.file.program.channels.coordinators;
    const toChannel = digest.send_to !== "dm" && Object.keys(channel).length > 0;
    // Asked for the channel alone but none is named: direct messages rather than nothing.
    if (digest.send_to !== "channel" || !toChannel) {
      for (const c of everyone.filter((p) => p.role === "coordinator")) items.push({ key: `${id}:person:${c.id}`, recipient: `person:${c.id}`, message: message(c) });
    }
    // The channel is shared: the program's language.
    // People are rows of one program, but a channel key needs the program: two programs' digests may fall at the same instant.
    if (toChannel) items.push({ key: `${id}:program:${program.id}:channel:coordinators`, recipient: "channel:coordinators", message: message(null) });
    return items;
  }

  async function nudgeItems(id: string, at: Date, everyone: Person[]) {
    const byId = new Map(everyone.map((p) => [p.id, p]));
    const waiting = new Map<number, Parameters<typeof nudgeMessage>[0]>();
    const byEmail = new Map(everyone.map((p) => [p.email, p]));
    for (const s of await store.pendingBefore(subHours(at, NUDGE_AFTER_HOURS))) {
      // Coordinator-approved tasks are the coordinators' to chase, in the digest; a role's (a coach's) go to whoever fills it.
      const approver = program.task(s.task)?.task.approver ?? "mentor";
      const intern = byId.get(s.personId);
      const approverId = approver === "mentor" ? s.mentorId : approver === "coordinator" ? null : (byEmail.get(intern?.approvers[approver] ?? "")?.id ?? null);
      if (approverId === null) continue;
      const list = waiting.get(approverId) ?? [];
      list.push({ submission: s, intern, days: differenceInCalendarDays(at, s.createdAt) });
      waiting.set(approverId, list);
    }
    return [...waiting]
      .filter(([mentorId]) => byId.get(mentorId) && !byId.get(mentorId)!.remindersOff)
      .map(([mentorId, list]) => {
        const mentor = byId.get(mentorId)!;
        return { key: `${id}:person:${mentorId}`, recipient: `person:${mentorId}` as const, message: nudgeMessage(list, voice(words.t, languageOf(mentor), tz)) };
      });
  }

  return async function runDue(at) {
    const stored = (await store.getSetting<string>(lastRunKey)) ?? (await store.getSetting<string>(lastRunKeyByName));
    const lastRun = stored ? new Date(stored) : null;
    // Schedules are set in minutes and a tick fires just after its minute: lateness counts from the run's
    // minute, so with a grace of 0 what is due in that minute is still sent, and only older is skipped.
    const graceStart = new Date(startOfMinute(at).getTime() - graceMs);
    // An instant before the last run (`run-due --at` in the past, the playground's clock) reruns its own grace window.
    const covered = lastRun && lastRun <= at ? lastRun : null;
    const from = covered && covered > graceStart ? covered : graceStart;
    const missedFrom = covered && covered < graceStart ? new Date(Math.max(covered.getTime(), subMinutes(at, MAX_LOOKBACK_DAYS * 1440).getTime())) : from;

    let everyone: Promise<Person[]> | undefined;
    const people = () => (everyone ??= Promise.all((["intern", "mentor", "coordinator"] as const).map((r) => store.peopleByRole(r))).then((l) => l.flat()));

    let queued = 0;
    const skipped: string[] = [];
    for (const moment of moments(missedFrom, at, people)) {
      // The last run queued it.
      if (covered && moment.at <= covered) continue;
      if (moment.at < graceStart) {
        // Never sent late as if on time: a reminder an hour after the fact misleads.
        log.warn("skipped: fell due while Steps was not running, longer ago than the grace window", { what: moment.id, dueAt: moment.at.toISOString(), graceMinutes: options.graceMinutes });
        skipped.push(moment.id);
        continue;
      }
      // A channel post names its program: each program has its own channels.
      const items = (await moment.items()).map((i) => ({ key: i.key, recipient: i.recipient, payload: { message: i.message, ...(i.recipient.startsWith("channel:") && { program: program.id }) } }));
      for (let i = 0; i < items.length; i += ENQUEUE_CHUNK) queued += await store.enqueue(items.slice(i, i + ENQUEUE_CHUNK));
    }
    if (!lastRun || at > lastRun) await store.setSetting(lastRunKey, at.toISOString());
    if (queued > 0) {
      log.info("queued what is due", { queued, from: from.toISOString(), at: at.toISOString() });
      options.onQueued?.();
    }
    return { from, at, queued, skipped };
  };
}

function audienceOf(audience: Audience, everyone: Person[]): Person[] {
  const members =
    audience === "everyone"
      ? everyone
      : audience === "interns"
        ? everyone.filter((p) => p.role === "intern")
        : "department" in audience
          ? everyone.filter((p) => p.department === audience.department)
          : everyone.filter((p) => audience.people.some((email) => email.toLowerCase() === p.email));
  return members.filter((p) => !p.remindersOff);
}
