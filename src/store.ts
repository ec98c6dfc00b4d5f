import type { Role } from "./program/program.ts";
import type { Message } from "./messages.ts";

// The core's view of storage. db/store.ts implements it with drizzle; the core
// never imports a database library, so the rules stay testable and portable.

export interface Person {
  id: number;
  /** The program this row is for: someone in two programs has two rows, one identity by email. */
  program: string;
  email: string;
  name: string;
  role: Role;
  department: string | null;
  mentorId: number | null;
  /** Approvers by role beyond the mentor, by email (`{ coach: "kim@example.org" }`): roster columns `<role>_email`. */
  approvers: Record<string, string>;
  remindersOff: boolean;
  /** Where Steps writes to them (roster column `contact`). */
  contact: Contact;
  /** A language code: from the roster, the person's `language` command or their platform's locale; null until one of those says. */
  language: string | null;
  /** Roster columns `first_name`, `last_name`, for an issuer that wants the name in two parts; absent or null: split from `name`. */
  firstName?: string | null;
  lastName?: string | null;
}

/** `chat`: their chat platform, by email only for what no chat platform could deliver; `email`: by email only; `both`. */
export const CONTACTS = ["chat", "email", "both"] as const;
export type Contact = (typeof CONTACTS)[number];

/** withdrawn: the intern took it back (`undo`) before anyone decided it. */
export type SubmissionStatus = "pending" | "approved" | "changes_requested" | "withdrawn";

export interface Submission {
  id: number;
  personId: number;
  playlist: string;
  task: string;
  units: number;
  isOnce: boolean;
  note: string | null;
  link: string | null;
  status: SubmissionStatus;
  createdAt: Date;
}

export interface Decision {
  submissionId: number;
  decision: "approved" | "changes_requested";
  deciderId: number;
  reason: string | null;
  decidedAt: Date;
}

export interface EvidenceItem {
  task: string;
  title: string;
  units: number;
  note: string | null;
  link: string | null;
  submittedAt: string;
  approvedBy: string;
  approvedAt: string;
}

export interface Award {
  id: string;
  personId: number;
  playlist: string;
  awardedAt: Date;
  evidence: EvidenceItem[];
  published: boolean;
  credential: unknown;
  revokedAt: Date | null;
  revokedReason: string | null;
  /** How other issuers hold this badge, by issuer name (`credly`); null when none was asked to. */
  elsewhere: Record<string, Elsewhere> | null;
}

/**
 * The badge at another issuer. `queued`: Steps will ask (or is asking); `issued`: it holds
 * it, under its own id and page; `refused`: it said no (or never answered through every
 * try), and why; `revoked`: revoked there too.
 */
export interface Elsewhere {
  state: "queued" | "issued" | "refused" | "revoked";
  id?: string;
  url?: string;
  reason?: string;
  /** How many times a coordinator has asked again after a refusal (`steps credly retry`): each try has its own outbox key. */
  retry?: number;
}

/** A roster person found through one of their platform accounts, with what is remembered about that account. */
export interface Account {
  person: Person;
  address: unknown;
}

export interface Identity {
  platform: string;
  platformUserId: string;
  personId: number;
  address: unknown;
  updatedAt: Date;
}

/** A link sent by email (see adapters/email/links): one decision on one submission, or an intern's personal page. */
export interface EmailLink {
  id: string;
  personId: number;
  submissionId: number | null;
  action: "approve" | "request_changes" | "work";
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  cancelledAt: Date | null;
}

/** `job:<kind>`: not a message but work for another service (issue a badge at Credly), done by the handler registered for that kind. */
export type Recipient = `person:${number}` | "channel:announcements" | "channel:coordinators" | `job:${string}`;

export type OutboxPayload =
  | {
      message: Message;
      /** When set, this item edits the messages already sent under keys starting with this prefix. */
      updates?: string;
      /** The program whose channel a channel post goes to (and whose digest lists it when it fails); the first program's when absent. */
      program?: string;
    }
  /** For a `job:` recipient: what its handler reads (and validates) to do it. */
  | { job: unknown };

export interface OutboxItem {
  id: number;
  key: string;
  recipient: Recipient;
  payload: OutboxPayload;
  status: "queued" | "sending" | "sent" | "failed" | "skipped";
  attempts: number;
  claims: number;
  nextAttemptAt: Date;
  lastError: string | null;
  delivered: DeliveryRef[] | null;
  createdAt: Date;
}

/** A platform request recorded in the inbox, claimed to be worked off. */
export interface InboxItem {
  id: number;
  key: string;
  /** The adapter that works it off. */
  handler: string;
  /** The adapter's job, as it recorded it: validated again when read back. */
  payload: unknown;
  /** This claim included. */
  attempts: number;
  /** The answer, once the job's change has committed; a retry sends this instead of changing anything again. */
  reply: Message | null;
}

/**
 * One claim of one outbox item. Every claim counts up `claims`, so only the
 * latest claim holds the item: a process whose lease ran out can neither
 * renew it nor settle it over the instance that took it over.
 */
export interface Claim {
  id: number;
  claims: number;
}

/** An outbox item as claimed by this instance. */
export interface ClaimedItem extends OutboxItem {
  /**
   * The item was still being sent under an earlier claim whose lease ran out:
   * that process died or stalled, perhaps after the platform had accepted it.
   */
  resumed: boolean;
}

/** An outbox item that went out: where it landed and when. */
export interface SentMark extends Claim {
  delivered: DeliveryRef[];
  at: Date;
}

/** Where a message landed, opaque to the core; the adapter that wrote it reads it back to edit it. */
export interface DeliveryRef {
  platform: string;
  [key: string]: unknown;
}

export type NewSubmission = Omit<Submission, "id" | "status">;

export interface PersonUpsert {
  email: string;
  name: string;
  role: Role;
  department: string | null;
  mentorEmail: string | null;
  /** Approvers by role beyond the mentor, by email; default none. */
  approvers?: Record<string, string>;
  /** Default `chat`. */
  contact?: Contact;
  firstName?: string | null;
  lastName?: string | null;
  /** Optional: null or absent keeps the person's language as it is. */
  language?: string | null;
}

export interface DigestRows {
  interns: Person[];
  /** Approved units per intern, playlist and task. */
  approved: { personId: number; playlist: string; task: string; units: number }[];
  pending: (Submission & { mentorId: number | null })[];
  lastActivity: { personId: number; at: Date }[];
  awardsSince: (Award & { name: string; department: string | null })[];
  failedDeliveries: OutboxItem[];
}

/**
 * A store is either scoped to one program (what a program's core gets: people,
 * pending work, digests and recorded work are that program's) or unscoped (the
 * outbox, the inbox, identities and look-ups by id, which span programs).
 */
export interface Store {
  /** The same database (or transaction) seen from one program. */
  scoped(program: string): Store;
  /** Every program's row of the person with this email, oldest first (one identity, several programs). */
  peopleByEmail(email: string): Promise<Person[]>;
  /** Runs fn in one transaction; a nested call runs in a savepoint of the outer one, so when it throws only its own work is undone. */
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  /**
   * Serialises work on one person's records until the transaction ends, and
   * returns their submissions as they stand once the lock is held.
   */
  lockPerson(personId: number): Promise<Submission[]>;
  /** lockPerson for the owner of a submission; undefined when there is no such submission. */
  lockSubmissionOwner(submissionId: number): Promise<{ person: Person; submissions: Submission[] } | undefined>;
  /** An id for a submission about to be created, so messages naming it can be queued in the same round trip. */
  reserveSubmissionId(): Promise<number>;

  /** On a scoped store, the person's row in that program only; across programs, use peopleByEmail on the unscoped store. */
  personByEmail(email: string): Promise<Person | undefined>;
  personById(id: number): Promise<Person | undefined>;
  peopleByIds(ids: number[]): Promise<Person[]>;
  peopleByRole(role: Person["role"]): Promise<Person[]>;
  upsertPeople(rows: PersonUpsert[]): Promise<{ inserted: number; updated: number }>;
  setRemindersOff(personId: number, off: boolean): Promise<void>;
  /** `only_unset`: the platform's locale, which must not override what the person or roster chose. */
  setLanguage(personId: number, language: string, options?: { onlyUnset?: boolean }): Promise<void>;

  personByIdentity(platform: string, platformUserId: string): Promise<Account | undefined>;
  saveIdentity(identity: Omit<Identity, "updatedAt">): Promise<void>;
  identitiesOf(personIds: number[]): Promise<Identity[]>;

  submissionsOf(personId: number): Promise<Submission[]>;
  submission(id: number): Promise<Submission | undefined>;
  createSubmission(row: NewSubmission & { id?: number }): Promise<Submission>;
  /** Records a decision and the submission's new status unless a decision exists; returns undefined when someone decided first. */
  decide(decision: Decision): Promise<Decision | undefined>;
  /** Marks a pending submission withdrawn; false when it was no longer pending. */
  withdraw(submissionId: number): Promise<boolean>;
  decisionOf(submissionId: number): Promise<Decision | undefined>;
  decisionsOf(submissionIds: number[]): Promise<Decision[]>;
  pendingForApprover(approver: Person): Promise<Submission[]>;
  recordedWork(): Promise<{ playlist: string; task: string; count: number }[]>;
  /** Every program with people on record, loaded or not: a removed program's data stays. */
  programsOnRecord(): Promise<{ program: string; people: number }[]>;

  /** Inserts the award unless the intern already has this badge; returns undefined then. */
  createAward(award: Omit<Award, "published" | "credential" | "revokedAt" | "revokedReason" | "elsewhere">): Promise<Award | undefined>;
  award(id: string): Promise<Award | undefined>;
  awardsOf(personId: number): Promise<Award[]>;
  updateAward(id: string, changes: Partial<Pick<Award, "published" | "credential" | "revokedAt" | "revokedReason">>): Promise<void>;
  /** Records how one other issuer holds the award, leaving the others' entries as they are. */
  setElsewhere(id: string, issuer: string, state: Elsewhere): Promise<void>;
  /** The awards (of this program, on a scoped store) that issuer holds in that state, oldest first. */
  awardsElsewhere(issuer: string, state: Elsewhere["state"]): Promise<Award[]>;

  digestRows(since: Date): Promise<DigestRows>;
  /** Submissions still pending that were made before that instant, with the intern's mentor. */
  pendingBefore(before: Date): Promise<(Submission & { mentorId: number | null })[]>;

  /** Queues messages; an item whose key already exists is left as it is. */
  enqueue(items: { key: string; recipient: Recipient; payload: OutboxPayload; notBefore?: Date }[]): Promise<number>;
  /** Claims due items for a lease so that no other instance sends them meanwhile. */
  claimDue(now: Date, limit: number, leaseMs: number): Promise<ClaimedItem[]>;
  /** Extends the leases of these claims, those still held, to that instant. */
  renewLeases(claims: Claim[], until: Date): Promise<void>;
  /** Settle claims still held; a claim taken over meanwhile is left to the instance that holds it. */
  markSent(marks: SentMark[]): Promise<void>;
  markRetry(claim: Claim, error: string, nextAttemptAt: Date): Promise<void>;
  markFailed(claim: Claim, error: string): Promise<void>;
  /** Hands a claimed item back untried, its attempt not counted, due again at that instant. */
  release(claim: Claim, reason: string, nextAttemptAt: Date): Promise<void>;
  deliveredUnder(keyPrefix: string): Promise<DeliveryRef[]>;
  /** Empties (`{}`) the payload of up to `limit` messages, not jobs, sent before that instant; returns how many. */
  forgetTextSentBefore(before: Date, limit: number): Promise<number>;

  /** Records a platform request, due at `at`: one insert, and false when its key was recorded before (a retry, a redelivery). */
  inboxAdd(item: { key: string; handler: string; payload: unknown; at: Date }): Promise<boolean>;
  /** Claims due requests of these handlers for a lease, as claimDue does for the outbox. */
  inboxClaim(handlers: string[], now: Date, limit: number, leaseMs: number): Promise<InboxItem[]>;
  /** Extends the lease on requests still being worked on. */
  inboxRenew(ids: number[], until: Date): Promise<void>;
  /** Stores a request's answer unless one is stored; false when another run stored it first. */
  inboxAnswer(id: number, reply: Message): Promise<boolean>;
  /** Marks requests done; several at once, as requests finishing together share one statement. */
  inboxDone(ids: number[], at: Date): Promise<void>;
  inboxRetry(id: number, error: string, nextAttemptAt: Date): Promise<void>;
  /** Marks it failed for good, finished at that instant. */
  inboxFailed(id: number, error: string, at: Date): Promise<void>;
  /** Deletes requests done or failed before that instant (queued and working ones stay); returns how many. */
  inboxDeleteFinishedBefore(before: Date): Promise<number>;

  addEmailLink(link: Omit<EmailLink, "usedAt" | "cancelledAt">): Promise<void>;
  emailLink(id: string): Promise<EmailLink | undefined>;
  /** Marks the link used unless it was used or cancelled before; false then. */
  useEmailLink(id: string, at: Date): Promise<boolean>;
  /** Cancels the person's links not used yet; returns how many. */
  cancelEmailLinks(personId: number, at: Date): Promise<number>;
  /** Deletes every link that expired before that instant, used, cancelled or not; returns how many. */
  deleteEmailLinksExpiredBefore(before: Date): Promise<number>;

  getSetting<T>(key: string): Promise<T | undefined>;
  /** Stores the value unless the key exists; returns whichever value is stored. */
  initSetting<T>(key: string, value: T): Promise<T>;
  /** Stores the value, replacing any earlier one. */
  setSetting<T>(key: string, value: T): Promise<void>;

  ping(): Promise<void>;
}
