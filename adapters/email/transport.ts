import { createHash } from "node:crypto";
import { isIP } from "node:net";
import nodemailer from "nodemailer";
import { DeliveryError, type Transport } from "../../src/delivery/transport.ts";
import type { Logger } from "../../src/log.ts";
import type { Button, Message } from "../../src/messages.ts";
import type { Person, Store } from "../../src/store.ts";
import type { Spoken } from "../language.ts";
import { renderEmail, type Email, type Mailbox, type WorkLink } from "./render.ts";

/** Hands a rendered email to a mail server (or, without one, to the playground's preview). */
export interface Sender {
  send(email: Email): Promise<void>;
  close(): void;
  /** "ok", or why the last email did not reach the mail server. */
  health?(): string;
}

export interface Dkim {
  domain: string;
  selector: string;
  privateKey: string;
}

/**
 * STARTTLS is required unless the server is on this machine: credentials and
 * interns' names must not cross a network in clear, while a local relay
 * (postfix on loopback) may be plain.
 */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || (isIP(bare) === 4 && bare.startsWith("127."));
}

export function smtpSender(url: string, dkim: Dkim | undefined): Sender {
  const u = new URL(url);
  const secure = u.protocol === "smtps:";
  const mailer = nodemailer.createTransport({
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure && !isLoopback(u.hostname),
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    // A few connections kept open: a reminder to everyone is many emails in a row.
    pool: true,
    maxConnections: 3,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    ...(dkim ? { dkim: { domainName: dkim.domain, keySelector: dkim.selector, privateKey: dkim.privateKey } } : {}),
  });
  // Connected on the first email, not at start-up: a mail server that is down stops nobody else.
  let state = "ok";
  let closed = false;
  return {
    async send(email) {
      // nodemailer drops a message given to a closed pool without ever answering: one still
      // waiting for its turn when Steps stops would hold the shutdown forever. It stays queued.
      if (closed) throw new DeliveryError("mail server: not sent, Steps is stopping; sent once it runs again", { local: true });
      try {
        await mailer.sendMail(email);
        state = "ok";
      } catch (error) {
        const failure = smtpFailure(error);
        // A refused address says nothing about the server.
        if (!failure.options.permanent) state = `${failure.options.local ? "refused" : "unreachable"}: ${failure.message} (retrying)`;
        throw failure;
      }
    },
    close() {
      closed = true;
      mailer.close();
    },
    health: () => state,
  };
}

/**
 * What an SMTP failure means for the outbox: a 5xx reply is final (the address
 * does not exist, the message is refused) and the message is listed in the
 * digest; a 4xx reply or a lost connection passes, so it is retried with
 * backoff. A refused login is how this instance is set up, not the message.
 */
export function smtpFailure(error: unknown): DeliveryError {
  const e = error as { responseCode?: number; code?: string; message?: string };
  const text = `mail server: ${e.message ?? String(error)}`;
  if (e.code === "EAUTH") return new DeliveryError(text, { local: true });
  if (typeof e.responseCode === "number" && e.responseCode >= 500) return new DeliveryError(text, { permanent: true });
  return new DeliveryError(text);
}

/** At most `perSecond` emails start per second, across all the dispatcher's workers. */
export function rateLimited(sender: Sender, perSecond: number): Sender {
  const gap = 1000 / perSecond;
  let next = 0;
  return {
    async send(email) {
      const at = Math.max(performance.now(), next);
      next = at + gap;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await sender.send(email);
    },
    close: () => sender.close(),
    ...(sender.health ? { health: sender.health } : {}),
  };
}

/** Signs a link a button leads to; adapters/email/links makes them. Undefined: no link for that button. */
export type LinkMaker = (person: Person, button: Button) => Promise<string | undefined>;

export interface EmailTransportOptions {
  sender: Sender;
  store: Store;
  log: Logger;
  /** EMAIL_FROM: every program's emails are sent from it. */
  address: string;
  /** The name an email to this person is sent as, and where replies go: their own program's name and email.reply_to. */
  senderOf(person: Person): { name: string; replyTo?: string };
  /** Makes Message-IDs unique to this installation: a database made again reuses outbox keys. */
  installation: string;
  links?: LinkMaker;
  unsubscribeUrl(person: Person): Promise<string>;
  /** An intern without chat's personal page, issued afresh for each email; undefined for everyone else. */
  workLink?(person: Person): Promise<WorkLink | undefined>;
  /** Each person is written to in their own language. */
  wordsFor(person: Person): Spoken;
  /**
   * The chat platforms configured beside email ("Slack", "Teams"), for the
   * note told once to a person reached by email only because none of them could.
   */
  chats: readonly string[];
}

/** Reminders and nudges can be turned off; approvals, outcomes and digests cannot. */
const UNSUBSCRIBABLE = /^(reminder|nudge):/;

export function emailTransport(options: EmailTransportOptions): Transport {
  const { sender, store, log, address } = options;
  const domain = address.split("@")[1] ?? "localhost";
  /** The sender and reply address of an email to this person, as renderEmail takes them. */
  const mailbox = (person: Person): { from: Mailbox; replyTo?: string } => {
    const { name, replyTo } = options.senderOf(person);
    return { from: { name, address }, ...(replyTo ? { replyTo } : {}) };
  };
  const idOf = (name: string) => `<${name.replace(/[^A-Za-z0-9.-]+/g, "-")}.${options.installation}@${domain}>`;

  async function linksFor(person: Person, message: Message): Promise<Map<Button, string>> {
    const found = new Map<Button, string>();
    if (!options.links) return found;
    for (const block of message.blocks) {
      if (block.type !== "buttons") continue;
      for (const button of block.buttons) {
        const url = await options.links(person, button);
        if (url) found.set(button, url);
      }
    }
    return found;
  }

  return {
    platform: "email",
    byAddress: true,
    async sendToPerson(person, identity, message, outgoing) {
      // Their preference is chat and no chat platform has them: this is the first email, which says how to switch.
      const first = person.contact === "chat" && !identity;
      const messageId = idOf(outgoing?.key ?? `message.${createHash("sha256").update(JSON.stringify(message)).digest("hex").slice(0, 16)}`);
      const links = await linksFor(person, message);
      const work = await options.workLink?.(person);
      const words = options.wordsFor(person);
      const email = renderEmail(message, {
        words,
        ...mailbox(person),
        to: { name: person.name, address: person.email },
        messageId,
        links: (button) => links.get(button),
        ...(outgoing && UNSUBSCRIBABLE.test(outgoing.key) ? { unsubscribe: await options.unsubscribeUrl(person) } : {}),
        ...(first ? { preface: fallbackNote(words, options.chats) } : {}),
        ...(work ? { workLink: work } : {}),
      });
      await sender.send(email);
      if (first) {
        // From this message on they are written to here, until they use a chat platform (which then comes first).
        await store.saveIdentity({ platform: "email", platformUserId: person.email, personId: person.id, address: null }).catch((error: unknown) => {
          log.warn("email fallback not remembered; the next message tries chat first again", { person: person.id, error: String(error) });
        });
      }
      return { platform: "email", messageId, subject: email.subject, personId: person.id };
    },
    async sendToChannel() {
      // Channels are chat; a coordinator with contact email gets the digest in their own email instead.
      return null;
    },
    async update(ref, message) {
      // An email cannot be edited: the new version follows in the same thread.
      const person = await store.personById(Number(ref.personId));
      if (!person) return;
      const original = { messageId: String(ref.messageId), subject: String(ref.subject) };
      const work = await options.workLink?.(person);
      const email = renderEmail(message, {
        words: options.wordsFor(person),
        ...mailbox(person),
        to: { name: person.name, address: person.email },
        messageId: idOf(`update.${createHash("sha256").update(original.messageId + JSON.stringify(message)).digest("hex").slice(0, 16)}`),
        inReplyTo: original,
        ...(work ? { workLink: work } : {}),
      });
      await sender.send(email);
    },
  };
}

/** Why this came by email and how to get chat back: "Slack or Teams" in the person's language, or chat in general. */
function fallbackNote({ language: lang, say }: Spoken, chats: readonly string[]): string {
  return say("email.fallback_note", { count: chats.length, platforms: new Intl.ListFormat(lang, { type: "disjunction" }).format(chats) });
}
