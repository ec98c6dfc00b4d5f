import { randomBytes } from "node:crypto";
import { z } from "zod";
import { publicUrl } from "../../src/config.ts";
import { formatDay } from "../../src/time.ts";
import { speak } from "../language.ts";
import { playgroundPolicy } from "../local-only.ts";
import type { PlatformAdapter } from "../platform.ts";
import type { Person } from "../../src/store.ts";
import { createPreview, previewRoutes } from "./preview.ts";
import { emailLinkRoutes } from "./links/index.ts";
import { emailTransport, rateLimited, smtpSender, type LinkMaker, type Sender } from "./transport.ts";
import { unsubscribeLinks, unsubscribeRoutes } from "./unsubscribe.ts";

const pem = z
  .string()
  // A key pasted into one environment variable often has its line breaks written as \n.
  .transform((v) => v.replace(/\\n/g, "\n"))
  .refine((v) => v.includes("-----BEGIN") && v.includes("PRIVATE KEY-----"), "must be a PEM private key (-----BEGIN PRIVATE KEY----- …)");

export const envSchema = z
  .object({
    /** smtp://user:pass@host:587 (STARTTLS required unless the host is this machine) or smtps://…:465. */
    SMTP_URL: z
      .url()
      .refine((v) => /^smtps?:$/.test(new URL(v).protocol), "must start with smtp:// or smtps://, e.g. smtp://user:pass@mail.example.org:587")
      .optional(),
    EMAIL_FROM: z.email("must be an email address, e.g. steps@example.org").optional(),
    DKIM_DOMAIN: z.string().min(1).optional(),
    DKIM_SELECTOR: z.string().min(1).optional(),
    DKIM_PRIVATE_KEY: pem.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.SMTP_URL && !v.EMAIL_FROM) ctx.addIssue({ code: "custom", path: ["EMAIL_FROM"], message: "is required with SMTP_URL: the address emails are sent from" });
    const dkim = [v.DKIM_DOMAIN, v.DKIM_SELECTOR, v.DKIM_PRIVATE_KEY].filter(Boolean).length;
    if (dkim > 0 && dkim < 3) ctx.addIssue({ code: "custom", path: ["DKIM_DOMAIN"], message: "DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together: set all three or none" });
  });

export function readEmailEnv(raw: Record<string, string | undefined>) {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k, v]) => k in envSchema.shape && v !== "")));
  if (!parsed.success) throw new Error(`Invalid environment:\n${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n")}`);
  return parsed.data;
}

export interface EmailAdapterOptions {
  /** Where each button of an email leads; the signed approve / request-changes links of ./links unless a test gives its own. */
  links?: LinkMaker;
}

/**
 * Email: for people outside the chat (roster column `contact`), and the
 * fallback for a message no chat platform could deliver. Without SMTP_URL and
 * without a chat platform it renders into the playground's Email pane instead.
 */
export function emailAdapter(options: EmailAdapterOptions = {}): PlatformAdapter {
  return {
    name: "email",
    configured: (env) => Boolean(readEmailEnv(env.raw).SMTP_URL),
    async start(ctx) {
      const vars = readEmailEnv(ctx.env.raw);
      const settings = ctx.core.program.file.email;
      const preview = createPreview();
      const chats = ctx.configured.filter((name) => name !== "email");
      // Previews only where the playground shows them (adapters/web decides the same way), or they would count as delivered unseen.
      const playground = ctx.env.raw.PLAYGROUND === "1" || (ctx.env.raw.PLAYGROUND !== "0" && chats.length === 0);
      if (!vars.SMTP_URL && !playground) {
        ctx.log.info("email off", { reason: "set SMTP_URL to send email" });
        return null;
      }
      // The previews name people on the roster: served only with the playground, to whom it answers.
      if (!vars.SMTP_URL) previewRoutes(ctx.routes, preview, ctx.store, playgroundPolicy(ctx.env), ctx.core);
      // Kept in the database: unsubscribe links must outlive a restart, and Message-IDs a database made again.
      const [key, installation] = await Promise.all([
        ctx.store.initSetting("email:unsubscribe-key", randomBytes(32).toString("base64url")),
        ctx.store.initSetting("email:installation", randomBytes(6).toString("hex")),
      ]);
      const unsubscribe = unsubscribeLinks(Buffer.from(key, "base64url"), publicUrl(ctx.env));
      unsubscribeRoutes(ctx.routes, unsubscribe, ctx.store, ctx.log, ctx.core);
      // The pages an approval email's buttons open, and the signed links to them.
      const links = emailLinkRoutes(ctx);
      const dkim = vars.DKIM_DOMAIN && vars.DKIM_SELECTOR && vars.DKIM_PRIVATE_KEY ? { domain: vars.DKIM_DOMAIN, selector: vars.DKIM_SELECTOR, privateKey: vars.DKIM_PRIVATE_KEY } : undefined;
      const sender: Sender = vars.SMTP_URL ? rateLimited(smtpSender(vars.SMTP_URL, dkim), settings.per_second) : preview.sender;
      ctx.log.info(vars.SMTP_URL ? "email on" : "email previews on: emails show in the playground's Email pane", { perSecond: settings.per_second, dkim: Boolean(dkim) });
      if (vars.SMTP_URL && !dkim) ctx.log.warn("email is not DKIM-signed: mail clients ignore one-click unsubscribe without it (set DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY)");
      const transport = emailTransport({
        sender,
        store: ctx.store,
        log: ctx.log,
        address: vars.EMAIL_FROM ?? "steps@localhost",
        // Each person hears from their own program (one Steps may run several), by its name and reply address.
        senderOf(person) {
          const { program } = ctx.core.cores().of(person);
          const replyTo = program.file.email.reply_to;
          return { name: program.name, ...(replyTo ? { replyTo } : {}) };
        },
        installation,
        links: options.links ?? ((person, button) => links.buttonLink(person, button)),
        unsubscribeUrl: (person) => unsubscribe.url(person),
        // An intern reached here and not in chat (contact email, or email took over) records work from their own page.
        async workLink(person) {
          if (person.role !== "intern" || person.contact === "both") return undefined;
          const url = await links.personalLink(person.id);
          // Said in the words, time zone and link days of the intern's own program.
          const own = ctx.core.cores().of(person);
          const language = own.languageOf(person);
          const until = formatDay(new Date(ctx.now().getTime() + own.program.file.email.link_days * 24 * 60 * 60 * 1000), own.program.timeZone, language);
          return { url: url.toString(), label: own.t(language, "email.work_link.label"), note: own.t(language, "email.work_link.note", { day: until }) };
        },
        wordsFor: (person) => speak(ctx.core.t, ctx.core.languageOf(person)),
        chats: chats.map((c) => c[0]!.toUpperCase() + c.slice(1)),
      });
      return { transport, close: async () => sender.close(), ...(sender.health ? { health: sender.health } : {}) };
    },
  };
}

export default emailAdapter();
