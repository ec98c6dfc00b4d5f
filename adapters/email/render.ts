import { formatProgress, percent, plainCommand, spellCommands, type Block, type Button, type Message } from "../../src/messages.ts";
import type { Spoken } from "../language.ts";

// The email renderer of the neutral message model, beside Block Kit, Adaptive
// Cards and the playground. Pure: the same message and options always give the
// same email. Mail clients strip <style> and block remote images, so the HTML
// is styled inline and says everything in text.

export interface Mailbox {
  name: string;
  address: string;
}

/**
 * Where a button leads. Email has no buttons that post back: each becomes a
 * link to a page on Steps that confirms the action (adapters/email/links signs
 * one per action, approver and submission). A button with no link is left out,
 * and the email says to answer in chat instead.
 */
export type ButtonLinks = (button: Button) => string | undefined;

export interface EmailOptions {
  /** The sender: the program's name at EMAIL_FROM. */
  from: Mailbox;
  to: Mailbox;
  /** The coordinators' address from the program file: replies go to people, not to the sending address. */
  replyTo?: string;
  /** Stable across attempts, so a resent email is recognised as the same one. */
  messageId: string;
  /** The email this one follows (the approval request its decision answers); threads them. */
  inReplyTo?: { messageId: string; subject: string };
  links?: ButtonLinks;
  /** One-click unsubscribe (RFC 8058) for reminders and nudges; never set for approvals or digests. */
  unsubscribe?: string;
  /** Said first, once: why this came by email and how to get it in chat instead. */
  preface?: string;
  /** An intern without chat: their personal page to record work, after the message. */
  workLink?: WorkLink;
  /** The recipient's language: what the email adds around the message (footer, hints) and its lang. */
  words: Spoken;
}

/** The link to an intern's own page, with what it is called and how long it works, in their language. */
export interface WorkLink {
  url: string;
  label: string;
  note: string;
}

/** What nodemailer sends: multipart/alternative of text and HTML. */
export interface Email {
  from: Mailbox;
  to: Mailbox;
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  inReplyTo?: string;
  references?: string;
  headers: Record<string, string>;
}

const SUBJECT_MAX = 120;

export function renderEmail(message: Message, options: EmailOptions): Email {
  const subject = options.inReplyTo ? `Re: ${options.inReplyTo.subject.replace(/^Re: /, "")}` : subjectOf(message);
  const headers: Record<string, string> = {};
  if (options.unsubscribe) {
    headers["List-Unsubscribe"] = `<${options.unsubscribe}>`;
    headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
  }
  return {
    from: options.from,
    to: options.to,
    ...(options.replyTo ? { replyTo: options.replyTo } : {}),
    subject,
    text: renderText(message, options),
    html: renderHtml(message, subject, options),
    messageId: options.messageId,
    ...(options.inReplyTo ? { inReplyTo: options.inReplyTo.messageId, references: options.inReplyTo.messageId } : {}),
    headers,
  };
}

/** The first header, else the first line of the summary; on one line, as a header must be. */
export function subjectOf(message: Message): string {
  const header = message.blocks.find((b): b is Extract<Block, { type: "header" }> => b.type === "header");
  const line = spellCommands(header?.text ?? message.text, plainCommand).split(/\r?\n/)[0]!.replace(/\s+/g, " ").trim();
  return line.length > SUBJECT_MAX ? `${line.slice(0, SUBJECT_MAX - 1)}…` : line || "Steps";
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const isWebUrl = (value: string) => /^https?:\/\/[^\s]+$/i.test(value);

function buttonsWithLinks(buttons: Button[], options: EmailOptions): { button: Button; url: string }[] {
  return buttons.flatMap((button) => {
    const url = options.links?.(button);
    return url ? [{ button, url }] : [];
  });
}

/** The message's blocks as email shows them: a hint to type a command instead of a button goes when every button is a working link (a supervisor without chat cannot type one). */
function shownBlocks(message: Message, options: EmailOptions): Block[] {
  const buttons = message.blocks.flatMap((b) => (b.type === "buttons" ? b.buttons : []));
  const allLinked = buttonsWithLinks(buttons, options).length === buttons.length;
  return allLinked ? message.blocks.filter((b) => !(b.type === "context" && b.typing)) : message.blocks;
}

export function renderText(message: Message, options: EmailOptions): string {
  const lines: string[] = [];
  if (options.preface) lines.push(spellCommands(options.preface, plainCommand), "");
  for (const block of shownBlocks(message, options)) {
    switch (block.type) {
      case "header": {
        const text = spellCommands(block.text, plainCommand);
        lines.push(text, "=".repeat(Math.min(text.length, 60)));
        break;
      }
      case "text":
      case "context":
        lines.push(spellCommands(block.text, plainCommand));
        break;
      case "fields":
        for (const f of block.fields) lines.push(`${f.label}: ${f.value}`);
        break;
      case "progress":
        lines.push(`${block.label}: ${formatProgress(block)}`);
        break;
      case "link":
        lines.push(`${block.label}: ${block.url}`);
        break;
      case "buttons": {
        const linked = buttonsWithLinks(block.buttons, options);
        for (const { button, url } of linked) lines.push(`${button.label}: ${url}`);
        if (linked.length < block.buttons.length) lines.push(options.words.say("email.chat_hint"));
        break;
      }
      case "divider":
        lines.push("---");
        break;
    }
  }
  if (options.workLink) lines.push("", `${options.workLink.label}: ${options.workLink.url}`, options.workLink.note);
  lines.push("", "-- ", options.words.say("email.footer", { program: options.from.name }));
  if (options.unsubscribe) lines.push(options.words.say("email.stop_reminders_at", { url: options.unsubscribe }));
  return `${lines.join("\n")}\n`;
}

const FONT = "font-family:Arial,Helvetica,sans-serif;";
const TEXT = "color:#1a1a1a;font-size:16px;line-height:1.5;";
const MUTED = "color:#4a4a4a;font-size:14px;line-height:1.4;";

export function renderHtml(message: Message, subject: string, options: EmailOptions): string {
  const body = shownBlocks(message, options).map((block) => renderBlock(block, options)).join("\n");
  const preface = options.preface ? `<p style="${MUTED}margin:0 0 16px;padding:8px 12px;border-left:4px solid #1d4ed8;">${words(options.preface)}</p>\n` : "";
  const { language: lang, say } = options.words;
  const work = options.workLink
    ? `<p style="margin:16px 0 4px;"><a href="${escapeHtml(options.workLink.url)}" style="display:inline-block;padding:10px 18px;background:#1d4ed8;color:#ffffff;font-weight:bold;text-decoration:none;border-radius:4px;">${escapeHtml(options.workLink.label)}</a></p>\n` +
      `<p style="margin:0 0 12px;${MUTED}">${escapeHtml(options.workLink.note)}</p>\n`
    : "";
  const footer =
    `<p style="${MUTED}margin:24px 0 0;border-top:1px solid #d0d0d0;padding-top:12px;">${escapeHtml(say("email.footer", { program: options.from.name }))}` +
    (options.unsubscribe ? ` <a href="${escapeHtml(options.unsubscribe)}" style="color:#1d4ed8;">${escapeHtml(say("email.stop_reminders"))}</a>` : "") +
    `</p>`;
  return (
    `<!DOCTYPE html>\n<html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(subject)}</title></head>\n` +
    `<body style="margin:0;padding:0;background:#ffffff;${FONT}${TEXT}">\n` +
    `<div role="article" aria-label="${escapeHtml(subject)}" style="max-width:600px;margin:0 auto;padding:16px;${FONT}${TEXT}">\n` +
    `${preface}${body}\n${work}${footer}\n</div>\n</body></html>\n`
  );
}

function renderBlock(block: Block, options: EmailOptions): string {
  switch (block.type) {
    case "header":
      return `<h1 style="${FONT}font-size:22px;line-height:1.3;margin:0 0 12px;color:#1a1a1a;">${words(block.text)}</h1>`;
    case "text":
      return `<p style="margin:0 0 12px;${TEXT}">${words(block.text)}</p>`;
    case "context":
      return `<p style="margin:0 0 12px;${MUTED}">${words(block.text)}</p>`;
    case "fields":
      return (
        `<table role="presentation" style="border-collapse:collapse;margin:0 0 12px;${TEXT}">` +
        block.fields
          .map((f) => `<tr><th scope="row" style="text-align:left;vertical-align:top;padding:2px 12px 2px 0;font-weight:bold;">${escapeHtml(f.label)}</th><td style="padding:2px 0;">${linkOrText(f.value)}</td></tr>`)
          .join("") +
        `</table>`
      );
    case "progress": {
      const width = percent(block.done, block.total);
      return (
        `<p style="margin:0 0 4px;${TEXT}"><strong>${escapeHtml(block.label)}</strong>: ${escapeHtml(formatProgress(block))}</p>` +
        // Decoration only: the line above says it in words.
        `<div aria-hidden="true" style="background:#e4e4e4;height:8px;border-radius:4px;margin:0 0 12px;"><div style="background:#2e7d32;width:${width}%;height:8px;border-radius:4px;"></div></div>`
      );
    }
    case "link":
      return `<p style="margin:0 0 12px;${TEXT}">${isWebUrl(block.url) ? `<a href="${escapeHtml(block.url)}" style="color:#1d4ed8;">${escapeHtml(block.label)}</a>` : `${escapeHtml(block.label)}: ${escapeHtml(block.url)}`}</p>`;
    case "buttons": {
      const linked = buttonsWithLinks(block.buttons, options);
      const links = linked.map(({ button, url }) => {
        const colour = button.style === "danger" ? "#b42318" : button.style === "primary" ? "#1d4ed8" : "#374151";
        return `<a href="${escapeHtml(url)}" style="display:inline-block;margin:0 8px 8px 0;padding:10px 18px;background:${colour};color:#ffffff;font-weight:bold;text-decoration:none;border-radius:4px;">${escapeHtml(button.label)}</a>`;
      });
      const hint = linked.length < block.buttons.length ? `<p style="margin:0 0 12px;${MUTED}">${escapeHtml(options.words.say("email.chat_hint"))}</p>` : "";
      return `${links.length > 0 ? `<p style="margin:12px 0;">${links.join("")}</p>` : ""}${hint}`;
    }
    case "divider":
      return `<hr style="border:0;border-top:1px solid #d0d0d0;margin:16px 0;">`;
  }
}

/** Steps' own words, escaped, with each command it names (`<cmd>…</cmd>`) as code, typed as written. */
function words(text: string): string {
  return text
    .split(/<cmd>(.*?)<\/cmd>/g)
    .map((part, i) => (i % 2 === 1 ? `<code style="font-family:Consolas,Menlo,monospace;background:#f1f1f1;padding:0 3px;">${escapeHtml(part)}</code>` : escapeHtml(part)))
    .join("");
}

/** Evidence is often a link: a value that is one web address is a link to it, anything else literal text. */
function linkOrText(value: string): string {
  return isWebUrl(value) ? `<a href="${escapeHtml(value)}" style="color:#1d4ed8;">${escapeHtml(value)}</a>` : escapeHtml(value);
}
