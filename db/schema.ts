import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

// Interns are minors: a person is an email, a display name, a role and a
// department. Nothing else about them is stored. A person in several programs
// has a row in each (their role, mentor and department differ), one identity by email.
export const people = pgTable(
  "people",
  {
    id: serial("id").primaryKey(),
    /** The program's id (its file name); "" for data recorded before programs had ids, until one adopts it at start-up. */
    program: text("program").notNull().default(""),
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: ["intern", "mentor", "coordinator"] }).notNull(),
    department: text("department"),
    mentorId: integer("mentor_id"),
    /** Approvers by role beyond the mentor (`{ "coach": "kim@example.org" }`), from the roster's `<role>_email` columns. */
    approvers: jsonb("approvers").$type<Record<string, string>>().notNull().default({}),
    remindersOff: boolean("reminders_off").notNull().default(false),
    /** Where Steps writes to them: `chat`, `email` or `both`. */
    contact: text("contact", { enum: ["chat", "email", "both"] }).notNull().default("chat"),
    /** Null until the roster, the person or their platform says; the program's language is used meanwhile. */
    language: text("language"),
    /** Optional roster columns, for an issuer that wants the name in two parts (Credly); null: split from `name`. */
    firstName: text("first_name"),
    lastName: text("last_name"),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("people_program_email_key").on(t.program, t.email), index("people_email_idx").on(t.email), index("people_mentor_idx").on(t.mentorId)],
);

/** A person's account on a chat platform, attached by the adapters once matched by email. */
export const identities = pgTable(
  "identities",
  {
    platform: text("platform").notNull(),
    platformUserId: text("platform_user_id").notNull(),
    personId: integer("person_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    /** Whatever the platform needs to reach the person later (Teams conversation reference, Slack DM channel). */
    address: jsonb("address"),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.platformUserId] }), index("identities_person_idx").on(t.personId)],
);

export const submissions = pgTable(
  "submissions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    personId: integer("person_id")
      .notNull()
      .references(() => people.id),
    playlist: text("playlist").notNull(),
    task: text("task").notNull(),
    /** 1 for a completion; minutes for an hours entry. */
    units: integer("units").notNull(),
    isOnce: boolean("is_once").notNull(),
    note: text("note"),
    link: text("link"),
    status: text("status", { enum: ["pending", "approved", "changes_requested", "withdrawn"] })
      .notNull()
      .default("pending"),
    createdAt: createdAt(),
  },
  (t) => [
    index("submissions_person_idx").on(t.personId),
    index("submissions_pending_idx").on(t.status).where(sql`${t.status} = 'pending'`),
    // A task required once can have only one live submission, whatever the code does; one sent back or withdrawn is not live.
    uniqueIndex("submissions_once_live_key")
      .on(t.personId, t.playlist, t.task)
      .where(sql`${t.isOnce} and ${t.status} not in ('changes_requested', 'withdrawn')`),
  ],
);

export const decisions = pgTable(
  "decisions",
  {
    submissionId: bigint("submission_id", { mode: "number" })
      .primaryKey()
      .references(() => submissions.id),
    decision: text("decision", { enum: ["approved", "changes_requested"] }).notNull(),
    deciderId: integer("decider_id")
      .notNull()
      .references(() => people.id),
    reason: text("reason"),
    decidedAt: ts("decided_at").notNull(),
  },
  (t) => [index("decisions_decided_at_idx").on(t.decidedAt)],
);

export const awards = pgTable(
  "awards",
  {
    /** Unguessable: it is the badge page's address. */
    id: text("id").primaryKey(),
    personId: integer("person_id")
      .notNull()
      .references(() => people.id),
    playlist: text("playlist").notNull(),
    awardedAt: ts("awarded_at").notNull(),
    /** What was done and the proof, frozen at award time so later file edits do not rewrite history. */
    evidence: jsonb("evidence").notNull(),
    published: boolean("published").notNull().default(false),
    credential: jsonb("credential"),
    revokedAt: ts("revoked_at"),
    revokedReason: text("revoked_reason"),
    /** The badge as other issuers hold it, by issuer (`{ credly: { state, id, url, reason } }`); null: only Steps issued it. */
    elsewhere: jsonb("elsewhere"),
  },
  (t) => [uniqueIndex("awards_person_playlist_key").on(t.personId, t.playlist)],
);

/**
 * Every message the bot sends goes through here: claimed by a unique key before
 * it is sent, so retries, restarts and several instances deliver it once.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    key: text("key").notNull(),
    /** person:<id> or channel:<announcements|coordinators> */
    recipient: text("recipient").notNull(),
    /** A sent message's is emptied (`{}`) SENT_TEXT_KEPT_DAYS after it was sent (src/delivery/forget.ts); a job's is kept. */
    payload: jsonb("payload").notNull(),
    status: text("status", { enum: ["queued", "sending", "sent", "failed", "skipped"] })
      .notNull()
      .default("queued"),
    attempts: integer("attempts").notNull().default(0),
    /** Counts claims: a claim's number is its token, so a process whose lease ran out can no longer renew or settle the item. */
    claims: integer("claims").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
    lastError: text("last_error"),
    /** Where it landed, per platform, so it can be updated in place later. */
    delivered: jsonb("delivered"),
    createdAt: createdAt(),
    sentAt: ts("sent_at"),
  },
  (t) => [
    uniqueIndex("outbox_key_key").on(t.key),
    index("outbox_due_idx").on(t.nextAttemptAt).where(sql`${t.status} in ('queued', 'sending')`),
    // The sent messages whose text is still kept: what the scheduler's run looks for (src/delivery/forget.ts).
    index("outbox_text_kept_idx").on(t.sentAt).where(sql`${t.status} = 'sent' and ${t.recipient} not like 'job:%' and ${t.payload} <> '{}'::jsonb`),
  ],
);

/**
 * Every request a platform sends (a command, a click, an event) is recorded
 * here before it is acknowledged, under a key its redeliveries share, and then
 * worked off by any instance with the outbox's claim and lease.
 */
export const inbox = pgTable(
  "inbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** The platform's own id for the request (Slack event_id, trigger_id, click or modal view ids; Teams conversation and activity id). */
    key: text("key").notNull(),
    /** The adapter that works it off. */
    handler: text("handler").notNull(),
    payload: jsonb("payload").notNull(),
    status: text("status", { enum: ["queued", "working", "done", "failed"] })
      .notNull()
      .default("queued"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull(),
    lastError: text("last_error"),
    /** The answer, stored in the transaction that made the change, so a retry answers without changing anything again. */
    reply: jsonb("reply"),
    createdAt: createdAt(),
    /** When it finished, done or failed for good: the row is deleted INBOX_KEPT_DAYS later (src/inbox.ts). */
    doneAt: ts("done_at"),
  },
  (t) => [
    uniqueIndex("inbox_key_key").on(t.key),
    index("inbox_due_idx").on(t.nextAttemptAt).where(sql`${t.status} in ('queued', 'working')`),
  ],
);

/** Small named values the server keeps: the badge issuer key, for instance. */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/**
 * Links sent by email: approve or request changes on one submission, or an
 * intern's personal page. The signed token names a row here, so a link works
 * once (used_at) and a coordinator can withdraw a person's links (cancelled_at).
 */
export const emailLinks = pgTable(
  "email_links",
  {
    /** The token's jti. */
    id: text("id").primaryKey(),
    personId: integer("person_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    submissionId: bigint("submission_id", { mode: "number" }).references(() => submissions.id),
    action: text("action", { enum: ["approve", "request_changes", "work"] }).notNull(),
    createdAt: createdAt(),
    expiresAt: ts("expires_at").notNull(),
    usedAt: ts("used_at"),
    cancelledAt: ts("cancelled_at"),
  },
  (t) => [index("email_links_person_idx").on(t.personId)],
);
