import { describe, expect, it } from "vitest";
import { readEmailEnv } from "../adapters/email/index.ts";
import { renderEmail, type Email } from "../adapters/email/render.ts";
import { emailTransport, isLoopback, rateLimited, smtpFailure, smtpSender, type Sender } from "../adapters/email/transport.ts";
import { speak } from "../adapters/language.ts";
import { defaultWords } from "../src/i18n.ts";
import { silentLogger } from "../src/log.ts";
import type { Message } from "../src/messages.ts";
import type { Person, Store } from "../src/store.ts";
import { HOSTILE_NOTE } from "./contract/contract.ts";

const { t } = defaultWords();
const words = speak(t, "en");
const from = { name: "Summer <Steps>", address: "steps@city.example.org" };
const to = { name: "Max Mentor", address: "max@example.org" };
const request: Message = {
  text: "Ana Intern asks you to approve Safety walk",
  blocks: [
    { type: "header", text: "Approval request: Safety walk" },
    { type: "fields", fields: [{ label: "Note", value: HOSTILE_NOTE }, { label: "Evidence", value: "https://photos.example.org/1?a=1&b=2" }] },
    { type: "buttons", buttons: [{ type: "button", action: "approve", label: "Approve", value: "7", style: "primary" }, { type: "button", action: "request_changes", label: "Request changes", value: "7" }] },
  ],
};

describe("email renderer", () => {
  it("renders a plain-text and an accessible HTML part, escaping what a person typed", () => {
    const email = renderEmail(request, { words, from, to, messageId: "<a@city.example.org>", replyTo: "coordinators@city.example.org", links: (b) => `https://steps.example.org/email/${b.action}?t=x&y=1` });
    expect(email.subject).toBe("Approval request: Safety walk");
    expect(email.replyTo).toBe("coordinators@city.example.org");
    expect(email.text).toContain(`Note: ${HOSTILE_NOTE}`);
    expect(email.text).toContain("Approve: https://steps.example.org/email/approve?t=x&y=1");
    expect(email.html).not.toContain(HOSTILE_NOTE);
    expect(email.html).toContain("&#60;b&#62;&#38;amp; *bold* &#60;@U123&#62; &#60;!channel&#62;");
    expect(email.html).toContain('<a href="https://steps.example.org/email/approve?t=x&#38;y=1"');
    expect(email.html).toContain('<html lang="en">');
    expect(email.html).toContain('<th scope="row"');
    // Mail clients drop <style> and block remote content: inline styles only, no images, no scripts.
    expect(email.html).not.toMatch(/<style|<img|<script|<link|\ssrc=|url\(/i);
    expect(email.headers).toEqual({});
    expect(email.inReplyTo).toBeUndefined();
  });

  it("writes the commands Steps names as they are typed: code in HTML, plain in text and subject", () => {
    const message: Message = {
      text: "Waiting: type <cmd>pending</cmd>",
      blocks: [
        { type: "header", text: "Waiting: type <cmd>pending</cmd>" },
        { type: "context", text: "Submission #4 · or type <cmd>approve 4</cmd> / <cmd>changes 4 <reason></cmd>" },
      ],
    };
    const email = renderEmail(message, { words, from, to, messageId: "<c@x>" });
    expect(email.subject).toBe("Waiting: type `pending`");
    expect(email.text).toContain("Submission #4 · or type `approve 4` / `changes 4 <reason>`");
    expect(email.html).toContain("or type <code");
    expect(email.html).toContain(">changes 4 &#60;reason&#62;</code>");
    expect(`${email.text}${email.html}`).not.toMatch(/<\/?cmd>|&#60;\/?cmd&#62;/);
  });

  it("leaves out the hint to type a command when its buttons are links, and keeps it when they are not", () => {
    const typed: Message = { ...request, blocks: [...request.blocks, { type: "context", text: "Or type <cmd>approve 7</cmd>", typing: true }] };
    const linked = renderEmail(typed, { words, from, to, messageId: "<h@x>", links: (b) => `https://steps.example.org/email/${b.action}` });
    expect(`${linked.text}${linked.html}`).not.toContain("approve 7");
    const chat = renderEmail(typed, { words, from, to, messageId: "<h@x>" });
    expect(chat.text).toContain("Or type `approve 7`");
    expect(chat.html).toContain(">approve 7</code>");
  });

  it("shows an intern without chat the link to their page after the message", () => {
    const email = renderEmail(request, { words, from, to, messageId: "<d@x>", workLink: { url: "https://steps.example.org/email/work?t=abc&x=1", label: "Record your work", note: "Your own page. It works until Jun 23, 2026; do not share it." } });
    expect(email.text).toContain("Record your work: https://steps.example.org/email/work?t=abc&x=1\nYour own page. It works until Jun 23, 2026; do not share it.");
    expect(email.html).toContain('<a href="https://steps.example.org/email/work?t=abc&#38;x=1"');
    expect(email.html.indexOf("Record your work")).toBeGreaterThan(email.html.indexOf("Approve"));
    expect(renderEmail(request, { words, from, to, messageId: "<d@x>" }).text).not.toContain("Record your work");
  });

  it("without links, leaves the buttons out and says to answer in chat", () => {
    const email = renderEmail(request, { words, from, to, messageId: "<a@x>" });
    expect(email.html).not.toContain("Approve");
    expect(email.text).toContain("To answer, use Steps in chat, or reply to this email.");
  });

  it("adds one-click unsubscribe (RFC 8058) only when asked, and threads a follow-up", () => {
    const email = renderEmail(request, { words, from, to, messageId: "<b@x>", unsubscribe: "https://steps.example.org/email/unsubscribe?t=abc", inReplyTo: { messageId: "<a@x>", subject: "Approval request: Safety walk" } });
    expect(email.headers).toEqual({ "List-Unsubscribe": "<https://steps.example.org/email/unsubscribe?t=abc>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" });
    expect(email).toMatchObject({ subject: "Re: Approval request: Safety walk", inReplyTo: "<a@x>", references: "<a@x>" });
  });

  it("adds its own words in the recipient's language, and spells the commands Steps' words name", () => {
    const message: Message = { text: "Escribe <cmd>estado</cmd>", blocks: [{ type: "text", text: "Escribe <cmd>estado</cmd> para ver tu avance." }] };
    const email = renderEmail(message, { words: speak(t, "es"), from, to, messageId: "<c@x>", unsubscribe: "https://steps.example.org/u?t=1", preface: t("es", "email.fallback_note", { count: 0, platforms: "" }) });
    expect(email.html).toContain('<html lang="es">');
    expect(email.html).toContain(">Dejar de recibir recordatorios</a>");
    expect(email.html).toContain("Escribe <code");
    expect(email.html).not.toContain("&#60;cmd&#62;");
    expect(email.text).toContain("Escribe `estado` para ver tu avance.");
    expect(email.text).toContain("abre Steps en el chat y escribe `ayuda`");
    expect(email.text).toContain("Summer <Steps>, enviado por Steps.\nDejar de recibir recordatorios: https://steps.example.org/u?t=1\n");
    expect(email.subject).toBe("Escribe `estado`");
  });
});

describe("email transport", () => {
  const max: Person = { id: 3, program: "", email: "max@example.org", name: "Max Mentor", role: "mentor", department: null, mentorId: null, approvers: {}, remindersOff: false, contact: "email", language: null };
  function rig() {
    const sent: Email[] = [];
    const sender: Sender = { send: async (e) => void sent.push(e), close() {} };
    const transport = emailTransport({ sender, store: {} as Store, log: silentLogger, address: from.address, senderOf: () => ({ name: from.name }), installation: "abc", unsubscribeUrl: async (p) => `https://steps.example.org/u?p=${p.id}`, wordsFor: () => words, chats: ["Slack"] });
    return { sent, transport };
  }
  const outgoing = (key: string) => ({ id: "1", queuedAt: new Date(0), resumed: false, key });

  it("offers unsubscribe for reminders and nudges only, never for approvals or digests", async () => {
    const { sent, transport } = rig();
    for (const key of ["reminder:x:2026:1h:person:3", "nudge:2026-06-16:person:3", "approval:7:3", "digest:2026:person:3", "outcome:7"]) await transport.sendToPerson(max, undefined, request, outgoing(key));
    expect(sent.map((e) => Boolean(e.headers["List-Unsubscribe"]))).toEqual([true, true, false, false, false]);
  });

  it("gives each outbox message one Message-ID, the same on every attempt", async () => {
    const { sent, transport } = rig();
    const ref = await transport.sendToPerson(max, undefined, request, outgoing("approval:7:3"));
    await transport.sendToPerson(max, undefined, request, outgoing("approval:7:3"));
    expect(sent[0]!.messageId).toBe("<approval-7-3.abc@city.example.org>");
    expect(sent[1]!.messageId).toBe(sent[0]!.messageId);
    expect(ref).toEqual({ platform: "email", messageId: sent[0]!.messageId, subject: "Approval request: Safety walk", personId: 3 });
  });
});

describe("email rate", () => {
  it("starts at most per_second emails a second, however many the dispatcher's workers hand it at once", async () => {
    const starts: number[] = [];
    const limited = rateLimited({ send: async () => void starts.push(performance.now()), close() {} }, 50);
    const email = renderEmail(request, { words, from, to, messageId: "<r@x>" });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => limited.send(email)));
    expect(starts).toHaveLength(10);
    // The i-th starts no earlier than i × 20 ms after the first was handed over, so no second holds more than 50.
    // (Timers round to whole milliseconds; one that fires late makes the next gap shorter, never the count higher.)
    starts.forEach((at, i) => expect(at - t0, `email ${i}`).toBeGreaterThanOrEqual(i * 20 - 2));
  });
});

describe("email settings and SMTP replies", () => {
  it("requires STARTTLS except on this machine", () => {
    expect(["localhost", "127.0.0.1", "127.0.0.53", "[::1]"].every(isLoopback)).toBe(true);
    expect(["mail.example.org", "10.0.0.5", "128.0.0.1"].some(isLoopback)).toBe(false);
  });

  it("validates the environment: an smtp URL, a from address with it, DKIM all or nothing", () => {
    expect(readEmailEnv({})).toEqual({});
    expect(() => readEmailEnv({ SMTP_URL: "http://mail.example.org" })).toThrow(/SMTP_URL: must start with smtp/);
    expect(() => readEmailEnv({ SMTP_URL: "smtp://mail.example.org:587" })).toThrow(/EMAIL_FROM: is required with SMTP_URL/);
    expect(() => readEmailEnv({ SMTP_URL: "smtp://mail.example.org:587", EMAIL_FROM: "steps@example.org", DKIM_DOMAIN: "example.org" })).toThrow(/set all three or none/);
    const key = "-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----";
    expect(readEmailEnv({ SMTP_URL: "smtp://u:p@mail.example.org:587", EMAIL_FROM: "steps@example.org", DKIM_DOMAIN: "example.org", DKIM_SELECTOR: "steps", DKIM_PRIVATE_KEY: key }).DKIM_PRIVATE_KEY).toBe(
      "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
    );
  });

  it("maps SMTP replies: 5xx final, 4xx and lost connections retried, a refused login waits for a fix", () => {
    expect(smtpFailure({ responseCode: 550, message: "no such user" }).options).toEqual({ permanent: true });
    expect(smtpFailure({ responseCode: 451, message: "try later" }).options).toEqual({});
    expect(smtpFailure({ code: "ECONNECTION", message: "refused" }).options).toEqual({});
    expect(smtpFailure({ code: "EAUTH", responseCode: 535, message: "bad login" }).options).toEqual({ local: true });
  });

  it("an email handed over after the sender closed fails at once and stays queued, rather than never answering", async () => {
    const sender = smtpSender("smtp://127.0.0.1:2525", undefined);
    sender.close();
    const email = renderEmail({ text: "Hi", blocks: [] }, { words, from: { name: "P", address: "p@example.org" }, to: { name: "A", address: "a@example.org" }, messageId: "<m@example.org>" });
    await expect(sender.send(email)).rejects.toMatchObject({ name: "DeliveryError", options: { local: true } });
  });
});
