import { randomBytes } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type { Button } from "../../../src/messages.ts";
import type { Program } from "../../../src/program/program.ts";
import type { EmailLink, Person, Store } from "../../../src/store.ts";
import type { Clock } from "../../../src/time.ts";

/**
 * Links in emails that act for a person: Approve and Request changes on one
 * submission, and an intern's personal page where they record work. Each is a
 * signed token (so it cannot be forged or edited) naming a row of email_links
 * (so it works once, and a coordinator can withdraw it).
 */

/** The HMAC key, made on first use and kept in the settings table so every instance and restart shares it. */
export const KEY_SETTING = "email.link_key";
const ALG = "HS256";
const AUDIENCE = "steps:email-link";
export const APPROVE_PATH = "/email/link";
export const WORK_PATH = "/email/work";
/** Where an intern asks for a fresh personal link, sent to their address on the roster. */
export const NEW_LINK_PATH = "/email/new-link";

export type LinkAction = EmailLink["action"];

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long a link's row outlives the link. While it is kept, the page an expired link opens says
 * the day it expired and, in its person's language, how to get a new one (for a personal page:
 * reply to the email). Then the row goes, since it ties a person (often a minor) to a submission
 * and when they were emailed, and nothing needs it any more: the link still opens a page saying it
 * has expired (its signature is checked before its row is read, see check), only without the day.
 */
export const KEPT_AFTER_EXPIRY_DAYS = 30;

/** Deletes the rows of links that expired over KEPT_AFTER_EXPIRY_DAYS ago, by the clock the pages read; returns how many. */
export function forgetExpiredLinks(store: Store, now: Date): Promise<number> {
  return store.deleteEmailLinksExpiredBefore(new Date(now.getTime() - KEPT_AFTER_EXPIRY_DAYS * DAY_MS));
}

const claims = z.object({
  jti: z.string().min(1),
  sub: z.string().regex(/^\d+$/),
  act: z.enum(["approve", "request_changes", "work"]),
  sid: z.number().int().positive().optional(),
});

/** Why a link does nothing: it says so plainly, and what to do instead. */
export type Refused = "altered" | "expired" | "used" | "cancelled";

export type Checked = { ok: true; link: EmailLink; person: Person } | { ok: false; reason: Refused; link?: EmailLink };

export interface EmailLinks {
  /** The two buttons of an approval email for this approver; each works once. */
  approvalLinks(to: { submissionId: number; approverPersonId: number }): Promise<{ approve: URL; changes: URL }>;
  /**
   * The link an email shows for a button of a message to this person: one
   * link per button, so an email issues only the links it carries. Undefined
   * for a button no link stands for (publishing a badge is done in chat).
   */
  buttonLink(person: Pick<Person, "id">, button: Pick<Button, "action" | "value">): Promise<string | undefined>;
  /** An intern's page to record work and see progress, until it expires or is cancelled. */
  personalLink(personId: number): Promise<URL>;
  /** Withdraws the person's links not used yet; returns how many. */
  cancelLinks(personId: number): Promise<number>;
  /** What a token from a link names, or why it does nothing. */
  check(token: unknown, expect: "decision" | "work"): Promise<Checked>;
}

export interface LinkDeps {
  store: Store;
  /** Every program loaded, the first first: a person's own program's email.link_days says how long their links work. */
  programs: readonly Program[];
  /** Dates links and checks their expiry; tests inject it. */
  now: Clock;
  /** PUBLIC_URL: where the links point. */
  baseUrl: string;
}

export function createEmailLinks(deps: LinkDeps): EmailLinks {
  const { store, now } = deps;
  // How long a link works: the person's program's email.link_days (7 by default); a row of a program
  // no longer loaded goes by the first.
  async function linkDays(personId: number): Promise<number> {
    const person = await store.personById(personId);
    return (deps.programs.find((p) => p.id === person?.program) ?? deps.programs[0]!).file.email.link_days;
  }
  let key: Promise<Uint8Array> | undefined;
  // Two instances starting at once both make one; the first row wins and both use it.
  const secret = () =>
    (key ??= store.initSetting(KEY_SETTING, randomBytes(32).toString("base64url")).then((value) => {
      if (typeof value !== "string" || value.length < 43) throw new Error(`settings ${KEY_SETTING} does not hold a link key`);
      return Buffer.from(value, "base64url");
    }));

  async function issue(personId: number, action: LinkAction, submissionId: number | null, path: string): Promise<URL> {
    const id = randomBytes(16).toString("base64url");
    const issuedAt = now();
    const expiresAt = new Date(issuedAt.getTime() + (await linkDays(personId)) * DAY_MS);
    await store.addEmailLink({ id, personId, submissionId, action, createdAt: issuedAt, expiresAt });
    const token = await new SignJWT({ act: action, ...(submissionId !== null ? { sid: submissionId } : {}) })
      .setProtectedHeader({ alg: ALG })
      .setJti(id)
      .setSubject(String(personId))
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(await secret());
    const url = new URL(path, deps.baseUrl);
    url.searchParams.set("t", token);
    return url;
  }

  async function check(token: unknown, expect: "decision" | "work"): Promise<Checked> {
    if (typeof token !== "string" || token.length > 2000) return { ok: false, reason: "altered" };
    let payload: z.infer<typeof claims>;
    try {
      const verified = await jwtVerify(token, await secret(), { algorithms: [ALG], audience: AUDIENCE, currentDate: now() });
      const parsed = claims.safeParse(verified.payload);
      if (!parsed.success) return { ok: false, reason: "altered" };
      payload = parsed.data;
    } catch (error) {
      // Only a genuine link can have expired: the signature is checked before the dates.
      if (error instanceof errors.JWTExpired) return { ok: false, reason: "expired", link: await store.emailLink(String(error.payload.jti)) };
      return { ok: false, reason: "altered" };
    }
    const link = await store.emailLink(payload.jti);
    // A signed token always has its row; one that does not match it, or is used on the wrong page, is treated as altered.
    if (!link || String(link.personId) !== payload.sub || link.action !== payload.act || (link.submissionId ?? undefined) !== payload.sid) return { ok: false, reason: "altered" };
    if ((link.action === "work") !== (expect === "work")) return { ok: false, reason: "altered" };
    if (link.cancelledAt) return { ok: false, reason: "cancelled", link };
    if (link.usedAt) return { ok: false, reason: "used", link };
    const person = await store.personById(link.personId);
    if (!person) return { ok: false, reason: "cancelled", link };
    return { ok: true, link, person };
  }

  return {
    async approvalLinks({ submissionId, approverPersonId }) {
      const [approve, changes] = await Promise.all([
        issue(approverPersonId, "approve", submissionId, APPROVE_PATH),
        issue(approverPersonId, "request_changes", submissionId, APPROVE_PATH),
      ]);
      return { approve, changes };
    },
    async buttonLink(person, button) {
      // Only approval buttons have a link; the rest (publish a badge, pick a program) say in their text what to type.
      if ((button.action !== "approve" && button.action !== "request_changes") || !/^\d{1,15}$/.test(button.value)) return undefined;
      return (await issue(person.id, button.action, Number(button.value), APPROVE_PATH)).toString();
    },
    personalLink: (personId) => issue(personId, "work", null, WORK_PATH),
    cancelLinks: (personId) => store.cancelEmailLinks(personId, now()),
    check,
  };
}
