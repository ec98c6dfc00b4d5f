import { z } from "zod";
import type { Values } from "../i18n.ts";

// The program file is the one place a coordinator describes a program. Every
// field is validated here so the rest of the core can trust its shape.

const slug = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "program_file.slug");

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "program_file.clock_time");

const DAY = /^\d{4}-\d{2}-\d{2}$/;
// The shape is checked first; the day itself only when the shape is right, so one mistake gives one error.
const isoDate = z
  .string()
  .regex(DAY, "program_file.day_shape")
  .refine((v) => !DAY.test(v) || isCalendarDay(v), "program_file.no_such_day");

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d$/;
const localDateTime = z
  .string()
  .regex(DATE_TIME, "program_file.date_time_shape")
  .refine((v) => !DATE_TIME.test(v) || isCalendarDay(v.slice(0, 10)), "program_file.no_such_date_time");

const languageCode = z.string().regex(/^[a-z]{2,3}$/, "program_file.language_code");

/**
 * A text people read that the file may translate: a plain string, or a map
 * keyed by language (`title: { en: Interview a staff member, es: Entrevista a … }`).
 * Once the file is read it is the text in the program's language (see
 * resolveTranslations), and the map is kept beside it for other languages.
 */
const localized = (max: number) =>
  z.union([
    z.string().min(1).max(max),
    z.record(languageCode, z.string().min(1).max(max)).refine((m) => Object.keys(m).length > 0, "program_file.localized_empty"),
  ], { error: "program_file.localized" });
/** The same, for a text the file may leave empty. */
const localizedOptional = (max: number) =>
  z.union([z.string().max(max), z.record(languageCode, z.string().max(max))], { error: "program_file.localized" });

const timeZone = z.string().refine(isTimeZone, "program_file.time_zone");

export const weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
const weekday = z.enum(weekdays);

const requirement = z.union([
  z.literal("once"),
  z.strictObject({ count: z.number().int().min(1).max(100) }),
  z.strictObject({ hours: z.number().positive().max(2000) }),
], { error: "program_file.requirement" });

const task = z.strictObject({
  slug,
  title: localized(120),
  description: localizedOptional(2000).default(""),
  requirement: requirement.default("once"),
  evidence: z.enum(["none", "optional", "required"]).default("optional"),
  /**
   * Who signs it off: the intern's mentor, a coordinator, or another role named
   * here (e.g. `coach`), filled per intern from the roster column `<role>_email`.
   */
  approver: slug.refine((r) => r !== "intern", "program_file.approver").default("mentor"),
});

const badge = z.strictObject({
  name: localized(120),
  image: z.string().min(1),
  criteria: localized(4000),
});

/**
 * Where the playlist's badge is issued besides Steps' own signed credential. Credly's
 * template ids are UUIDs (credly.com/docs/badge_templates); `self: false` drops the
 * Open Badges credential Steps signs, leaving Credly's as the only one.
 */
const issue = z
  .strictObject({
    credly: z.strictObject({ badge_template_id: z.guid("program_file.credly_template") }).optional(),
    self: z.boolean().default(true),
  })
  .refine((i) => i.self || i.credly, { error: "program_file.self_issuer" });

const playlist = z.strictObject({
  slug,
  title: localized(120),
  description: localizedOptional(4000).default(""),
  scope: z.union([z.literal("program"), z.strictObject({ department: slug })], {
    error: "program_file.scope",
  }),
  advanced: z.boolean().default(false),
  badge,
  issue: issue.default({ self: true }),
  tasks: z.array(task).min(1),
});

const department = z.strictObject({
  slug,
  name: localized(120),
  divisions: z.array(z.string().min(1).max(120)).default([]),
});

/** A reminder lead time: "1h", "30m", or "1d@09:00" (the day before at 09:00). */
export const leadTime = z
  .string()
  .regex(/^(\d+[mh]|\d+d@([01]\d|2[0-3]):[0-5]\d)$/, 'use "30m", "1h" or "1d@09:00"');

const audience = z.union([
  z.literal("everyone"),
  z.literal("interns"),
  z.strictObject({ department: slug }),
  z.strictObject({ people: z.array(z.email()).min(1) }),
], { error: "program_file.audience" });

const eventCommon = {
  title: localized(200),
  place: z.string().max(200).default(""),
  duration_minutes: z.number().int().positive().max(24 * 60).default(60),
  reminders: z.array(leadTime).default(["1d@09:00", "1h"]),
  audience: audience.default("everyone"),
};

const weeklyEvent = z.strictObject({
  slug,
  ...eventCommon,
  weekday,
  time: clockTime,
});

const datedEvent = z.strictObject({
  slug,
  ...eventCommon,
  kind: z.enum(["commission-meeting", "site-visit", "other"]).default("other"),
  at: localDateTime,
});

/** A published calendar; its events get these reminders and audience, since .ics files carry neither. */
const icsObject = z.strictObject({ file: z.string().min(1), reminders: eventCommon.reminders, audience: eventCommon.audience });
const icsSource = z.union([z.string().min(1).transform((file) => icsObject.parse({ file })), icsObject], { error: "program_file.ics" });

/**
 * A channel's id on each platform, keyed by the platform's name as its
 * adapter gives it: a new platform needs no change here.
 */
const channelRefs = z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), z.string().min(1, { error: "program_file.channel_id" }), {
  error: (issue) => (issue.code === "invalid_key" ? "program_file.platform_name" : undefined),
});

const fileShape = z
  .strictObject({
    program: z.strictObject({
      name: z.string().min(1).max(120),
      organization: z.string().min(1).max(200),
      url: z.url().optional(),
      time_zone: timeZone,
      /** This program's roster CSV, relative to this file: loaded into the program while it has nobody on it. */
      roster: z.string().min(1).optional(),
      /** The language of people the roster and their platform say nothing about. */
      language: languageCode.default("en"),
      start: isoDate,
      end: isoDate,
      hours_per_week: z.number().positive().max(60).default(40),
      quiet_hours: z.strictObject({ from: clockTime, to: clockTime }).default({ from: "19:00", to: "08:00" }),
      channels: z
        .strictObject({ announcements: channelRefs.default({}), coordinators: channelRefs.default({}) })
        .default({ announcements: {}, coordinators: {} }),
    }),
    departments: z.array(department).min(1),
    playlists: z.array(playlist).min(1),
    events: z
      .strictObject({
        weekly: z.array(weeklyEvent).default([]),
        dated: z.array(datedEvent).default([]),
        ics: z.array(icsSource).default([]),
      })
      .default({ weekly: [], dated: [], ics: [] }),
    digest: z
      .strictObject({
        weekday: weekday.default("monday"),
        time: clockTime.default("08:00"),
        stale_approval_days: z.number().int().min(1).default(3),
        inactive_days: z.number().int().min(1).default(5),
        send_to: z.enum(["dm", "channel", "both"]).default("both"),
      })
      .default({ weekday: "monday", time: "08:00", stale_approval_days: 3, inactive_days: 5, send_to: "both" }),
    /** For people reached by email (roster column `contact`). */
    email: z
      .strictObject({
        /** Mail servers throttle bursts: a reminder to everyone goes out at this pace. */
        per_second: z.number().positive().max(1000).default(5),
        /** Where a reply goes: the coordinators, not the sending address nobody reads. */
        reply_to: z.email().optional(),
        /** How long an approve or personal link in an email works. */
        link_days: z.number().int().min(1).max(90).default(7),
      })
      .default({ per_second: 5, link_days: 7 }),
    /**
     * This program's own wording of the catalogs' texts, by language and key
     * (`texts: { en: { done.recorded: … } }`); keys and ICU are checked against
     * the catalogs when the file is loaded (src/program/load.ts).
     */
    texts: z.record(languageCode, z.record(z.string(), z.string().min(1))).default({}),
  });

export const programFileSchema = fileShape
  // Cross-references are checked even when a field is malformed or missing, so
  // a coordinator sees every mistake in one pass instead of fixing them in rounds.
  // zod skips refinements after a missing field by default, hence `when`.
.superRefine(checkReferences, { when: () => true })
  .transform(resolveTranslations);

type Localized = string | Record<string, string>;

/** The item with each named text in one language, and the file's translations beside them. */
type Resolved<T, K extends keyof T & string> = Omit<T, K> & { [P in K]: string } & { translations?: Partial<Record<K, Record<string, string>>> };

function resolve<T extends { [P in K]: Localized }, K extends keyof T & string>(item: T, fields: K[], language: string): Resolved<T, K> {
  const out: Record<string, unknown> = { ...item };
  const translations: Partial<Record<K, Record<string, string>>> = {};
  for (const field of fields) {
    const value: Localized = item[field];
    if (typeof value === "string") continue;
    translations[field] = value;
    // The program's language first, then whichever the file gives first.
    out[field] = value[language] ?? Object.values(value)[0] ?? "";
  }
  if (Object.keys(translations).length > 0) out.translations = translations;
  return out as Resolved<T, K>;
}

/**
 * Every translatable text becomes the text in the program's language (what
 * credentials, badge pages and anything not written to one person show), with
 * the map kept in `translations` so a view can pick a person's language.
 */
function resolveTranslations(file: z.output<typeof fileShape>) {
  const language = file.program.language;
  return {
    ...file,
    departments: file.departments.map((d) => resolve(d, ["name"], language)),
    playlists: file.playlists.map((p) => ({
      ...resolve(p, ["title", "description"], language),
      badge: resolve(p.badge, ["name", "criteria"], language),
      tasks: p.tasks.map((t) => resolve(t, ["title", "description"], language)),
    })),
    events: {
      ...file.events,
      weekly: file.events.weekly.map((e) => resolve(e, ["title"], language)),
      dated: file.events.dated.map((e) => resolve(e, ["title"], language)),
    },
  };
}

export type ProgramFile = z.output<typeof programFileSchema>;
export type Playlist = ProgramFile["playlists"][number];
export type Task = Playlist["tasks"][number];
export type Requirement = Task["requirement"];
export type Department = ProgramFile["departments"][number];
export type WeeklyEvent = ProgramFile["events"]["weekly"][number];
export type DatedEvent = ProgramFile["events"]["dated"][number];
export type Audience = WeeklyEvent["audience"];
export type IcsSource = ProgramFile["events"]["ics"][number];

/** YYYY-MM-DD names a day on the calendar: 2026-02-30 and 2026-13-45 do not. */
function isCalendarDay(day: string): boolean {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  const utc = new Date(Date.UTC(year, month - 1, date));
  return utc.getUTCMonth() === month - 1 && utc.getUTCDate() === date;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone.includes("/") || zone === "UTC";
  } catch {
    return false;
  }
}

type Issues = Pick<z.RefinementCtx, "addIssue">;

/**
 * Uniqueness and department references across the file. It may see a
 * half-parsed value (see `when` above), so it reads fields defensively and
 * only judges the parts whose shape is right.
 */
function checkReferences(value: unknown, ctx: Issues): void {
  const file = asRecord(value);
  // Messages are catalog keys, said with their params where the file is read (src/program/load.ts).
  const issue = (path: PropertyKey[], message: string, params: Values = {}) => ctx.addIssue({ code: "custom", path, message, params });

  const program = asRecord(file.program);
  const start = program.start, end = program.end;
  const isDay = (v: unknown): v is string => typeof v === "string" && DAY.test(v) && isCalendarDay(v);
  if (isDay(start) && isDay(end) && end < start) issue(["program", "end"], "program_file.ends_before_start");

  const departments = new Set<string>();
  asArray(file.departments).forEach((d, i) => {
    const slug = asRecord(d).slug;
    if (typeof slug !== "string") return;
    if (departments.has(slug)) issue(["departments", i, "slug"], "program_file.duplicate_department", { slug });
    departments.add(slug);
  });
  // Without a readable department list every reference would look unknown.
  const checkDepartment = Array.isArray(file.departments)
    ? (ref: unknown, path: PropertyKey[]) => {
        const slug = asRecord(ref).department;
        if (typeof slug === "string" && !departments.has(slug)) issue(path, "program_file.unknown_department", { slug });
      }
    : () => {};

  const playlists = new Set<string>();
  const tasks = new Map<string, string>();
  asArray(file.playlists).forEach((p, i) => {
    const playlist = asRecord(p);
    const slug = typeof playlist.slug === "string" ? playlist.slug : `#${i + 1}`;
    if (playlists.has(slug)) issue(["playlists", i, "slug"], "program_file.duplicate_playlist", { slug });
    playlists.add(slug);
    checkDepartment(playlist.scope, ["playlists", i, "scope", "department"]);
    asArray(playlist.tasks).forEach((t, j) => {
      const task = asRecord(t).slug;
      if (typeof task !== "string") return;
      // Interns type a task by its slug alone, so a slug must name one task in the whole program.
      const owner = tasks.get(task);
      if (owner) issue(["playlists", i, "tasks", j, "slug"], "program_file.duplicate_task", { task, playlist: owner });
      tasks.set(task, slug);
    });
  });

  const events = new Set<string>();
  const lists = asRecord(file.events);
  for (const kind of ["weekly", "dated"] as const) {
    asArray(lists[kind]).forEach((e, i) => {
      const event = asRecord(e);
      if (typeof event.slug === "string") {
        if (events.has(event.slug)) issue(["events", kind, i, "slug"], "program_file.duplicate_event", { slug: event.slug });
        events.add(event.slug);
      }
      checkDepartment(event.audience, ["events", kind, i, "audience", "department"]);
    });
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
