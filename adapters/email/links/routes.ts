import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { errorReply } from "../../../src/chat.ts";
import { MAX_MINUTES, MAX_NOTE, parseDuration, type Command } from "../../../src/commands/grammar.ts";
import { coreWithin, type Core } from "../../../src/domain/core.ts";
import { replyFor } from "../../../src/domain/replies.ts";
import { act } from "../../../src/domain/route.ts";
import { decisionSentence } from "../../../src/domain/views.ts";
import { isStepsError } from "../../../src/errors.ts";
import { plainCommand, spellCommands } from "../../../src/messages.ts";
import { isHours, type Program } from "../../../src/program/program.ts";
import type { EmailLink, Person, Store } from "../../../src/store.ts";
import { voice, type Values } from "../../../src/i18n.ts";
import { formatDay } from "../../../src/time.ts";
import { contentPolicy } from "../../http.ts";
import { programLanguage, readerLanguage, speak, type Spoken } from "../../language.ts";
import { isCrossSite } from "../../local-only.ts";
import type { AdapterContext } from "../../platform.ts";
import { APPROVE_PATH, createEmailLinks, NEW_LINK_PATH, WORK_PATH, type Checked, type EmailLinks, type Refused } from "./links.ts";
import { confirmPage, newLinkForm, notice, page, STYLESHEET, STYLESHEET_PATH, workPage, type Submitted } from "./pages.ts";
import { queueWorkLink } from "./work-link.ts";

const MAX_BODY = 16 * 1024;

/** Form fields arrive as text; an empty field is an absent one. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

// Zod's messages are catalog keys here: the page says them in its reader's language.
const decisionForm = z.object({
  t: z.string().max(2000),
  reason: optional(z.string().trim().max(MAX_NOTE, "email.work.too_long")),
});

const newLinkRequest = z.object({ email: z.string().trim().toLowerCase().pipe(z.email()) });

const workForm = z.object({
  t: z.string().max(2000),
  task: z.string({ error: "email.work.choose_task" }).trim().min(1, "email.work.choose_task").max(100),
  hours: optional(z.string().trim().max(20)),
  note: optional(z.string().trim().max(MAX_NOTE, "email.work.too_long")),
  link: optional(z.url({ protocol: /^https?$/, error: "email.work.bad_link" }).max(2000)),
});

/** A sentence from the catalogs, said once the page's language is known; or the core's, already said. */
type Said = [key: string, values?: Values] | { text: string };

function sayIt({ say }: Spoken, said: Said): string {
  return "text" in said ? said.text : say(...said);
}

/** The core's replies name chat commands; on a page they are quoted as typed. */
const typed = (text: string) => spellCommands(text, plainCommand);

/** A page answered with a status and a sentence; nothing changed. In the language of the link's person, else the reader's. */
class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: Said,
    readonly sentences: Said[],
    readonly language?: string,
    /** More of the page after the sentences (HTML, in the page's words): the form to ask for a new link. */
    readonly more?: (words: Spoken) => string,
  ) {
    super("text" in title ? title.text : title[0]);
  }
}

/** Another click spent the link between the check and the decision. */
class Spent extends Error {}

const CROSS_SITE = new PageError(403, ["email.link.nothing_recorded"], [["email.link.cross_site"]]);

/**
 * Registers the pages email links open, and returns the links API the email
 * renderer uses to put links in messages. Called by the email adapter's start().
 */
export function emailLinkRoutes(ctx: AdapterContext, links: EmailLinks = createEmailLinks({ store: ctx.store, programs: ctx.core.cores().list.map((c) => c.program), now: ctx.now, baseUrl: ctx.core.options.baseUrl })): EmailLinks {
  const { core, store, log } = ctx;

  /**
   * The core of a person's own program: a row's page, work, words and time zone
   * are its program's, not the first program's. Undefined when that program is
   * no longer loaded (its rows stay; their links do nothing).
   */
  const coreOf = (person: Pick<Person, "program">): Core | undefined => core.cores().get(person.program);
  /** Whose words and clock speak to a person: their program's, else the first program's. */
  const speakerOf = (person: Person): Core => core.cores().of(person);
  const wordsOf = (person: Person): Spoken => speak(speakerOf(person).t, speakerOf(person).languageOf(person));
  const readerWords = (req: IncomingMessage): Spoken => speak(core.t, readerLanguage(req, core.languages, programLanguage(core)));

  /** `program`: whose name heads the page, the program of the person it is for. */
  function send(res: ServerResponse, status: number, { language: lang }: Spoken, title: string, body: string, program: Program = core.program) {
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": contentPolicy("default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'"),
      // Same-origin, not the server's no-referrer: under no-referrer a browser posts our own forms with "Origin: null".
      "referrer-policy": "same-origin",
    });
    res.end(page(lang, program.name, title, body));
  }

  const add = (method: "GET" | "POST", path: string, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    ctx.routes.add(method, path, async (req, res) => {
      try {
        if (method === "POST" && isCrossSite(req)) throw CROSS_SITE;
        await handler(req, res);
      } catch (error) {
        if (!(error instanceof PageError)) throw error;
        const words = speak(core.t, error.language ?? readerLanguage(req, core.languages, programLanguage(core)));
        const title = sayIt(words, error.title);
        send(res, error.status, words, title, notice(title, error.sentences.map((said) => sayIt(words, said))) + (error.more ? `\n${error.more(words)}` : ""));
      }
    });

  async function submitted(link: EmailLink): Promise<Submitted> {
    const submission = link.submissionId === null ? undefined : await store.submission(link.submissionId);
    const intern = submission && (await store.personById(submission.personId));
    if (!submission || !intern) throw refusedError("altered", link);
    // The submission's task is in its intern's program; a program no longer loaded shows the slug.
    const { program } = core.cores().of(intern);
    const found = program.task(submission.task);
    const task = found?.task ?? { slug: submission.task, title: submission.task, description: "", requirement: "once" as const, evidence: "none" as const, approver: "mentor" };
    return { intern, task, playlist: found?.playlist ?? program.playlist(submission.playlist), submission };
  }

  /** "Approved by Dana Ruiz on Jun 22, 10:00 AM", said in the page's language; undefined while the submission waits. */
  async function decidedSentence(submissionId: number | null, language: string): Promise<string | undefined> {
    const decision = submissionId === null ? undefined : await store.decisionOf(submissionId);
    if (!decision) return undefined;
    const decider = await store.personById(decision.deciderId);
    const own = decider && speakerOf(decider);
    return own ? decisionSentence(decision, decider, voice(own.t, language, own.program.timeZone)) : undefined;
  }

  /** The person a link was made for: a refusal speaks to them, in their language and their program's time zone. */
  async function ownerOfLink(link: EmailLink | undefined): Promise<{ language?: string; tz: string }> {
    const person = link && (await store.personById(link.personId));
    return person ? { language: speakerOf(person).languageOf(person), tz: speakerOf(person).program.timeZone } : { tz: core.program.timeZone };
  }

  async function refusedError(reason: Refused, link: EmailLink | undefined, decided?: string): Promise<PageError> {
    const { language, tz } = await ownerOfLink(link);
    const fresh: Said = [link?.action === "work" ? "email.link.fresh_work" : "email.link.fresh"];
    switch (reason) {
      case "altered":
        return new PageError(400, ["email.link.altered_title"], [["email.link.altered"], fresh], language);
      case "expired":
        return new PageError(410, ["email.link.expired_title"], [link ? ["email.link.expired_on", { day: formatDay(link.expiresAt, tz, language) }] : ["email.link.expired"], fresh], language);
      case "cancelled":
        return new PageError(410, ["email.link.cancelled_title"], [["email.link.cancelled"], fresh], language);
      case "used":
        return new PageError(410, ["email.link.used_title"], [decided ? { text: decided } : ["email.link.used"], ["email.link.nothing_more"]], language);
    }
  }

  /** A used link says who decided, in its person's language. */
  async function usedError(link: EmailLink | undefined): Promise<PageError> {
    const language = (await ownerOfLink(link)).language ?? programLanguage(core);
    return refusedError("used", link, await decidedSentence(link?.submissionId ?? null, language));
  }

  async function valid(token: unknown, expect: "decision" | "work"): Promise<Extract<Checked, { ok: true }>> {
    const checked = await links.check(token, expect);
    if (checked.ok) return checked;
    const refused = checked.reason === "used" ? await usedError(checked.link) : await refusedError(checked.reason, checked.link);
    if (expect === "decision") throw refused;
    // An intern's page that no longer opens offers to email a fresh link, in the same words as the refusal.
    throw new PageError(refused.status, refused.title, refused.sentences, refused.language, (words) => newLinkForm(newLinkWords(words)));
  }

  /** The words of the new-link form. */
  function newLinkWords({ say }: Spoken) {
    return { title: say("email.new_link.title"), intro: say("email.new_link.intro"), label: say("email.new_link.address_label"), button: say("email.new_link.button") };
  }

  /** An unused link to a submission someone has decided meanwhile: says by whom, offers nothing. */
  async function openDecision(link: EmailLink, person: Person): Promise<Submitted> {
    const what = await submitted(link);
    const language = wordsOf(person).language;
    const decided = await decidedSentence(link.submissionId, language);
    if (decided) {
      throw new PageError(409, ["email.link.already_decided_title"], [["email.link.already_decided", { intern: what.intern.name, task: what.task.title, decided }], ["email.link.nothing_more"]], language);
    }
    return what;
  }

  add("GET", STYLESHEET_PATH, async (_req, res) => {
    res.writeHead(200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=3600" });
    res.end(STYLESHEET);
  });

  // Mail scanners and link previews open links: a GET only shows what the button would do.
  add("GET", APPROVE_PATH, async (req, res) => {
    const token = tokenOf(req);
    const { link, person } = await valid(token, "decision");
    const what = await openDecision(link, person);
    const words = wordsOf(person);
    const action = link.action === "approve" ? "approve" : "request_changes";
    send(res, 200, words, words.say("email.link.page_title", { action }), confirmPage(what, action, person, token!, words.say), speakerOf(what.intern).program);
  });

  add("POST", APPROVE_PATH, async (req, res) => {
    const form = decisionForm.safeParse(await readForm(req));
    if (!form.success) throw await refusedError("altered", undefined);
    const { link, person } = await valid(form.data.t, "decision");
    const what = await openDecision(link, person);
    const words = wordsOf(person);
    const language = words.language;
    const action = link.action === "approve" ? "approve" : "request_changes";
    if (action === "request_changes" && !form.data.reason) {
      const problem = words.say("email.link.reason_missing", { intern: what.intern.name });
      return send(res, 422, words, words.say("email.link.page_title", { action }), confirmPage(what, action, person, form.data.t, words.say, problem), speakerOf(what.intern).program);
    }
    let reply;
    try {
      // The link is spent in the same transaction as the decision: a refused decision leaves it usable.
      reply = await store.transaction(async (tx) => {
        if (!(await tx.useEmailLink(link.id, ctx.now()))) throw new Spent();
        return act(coreWithin(core, tx), { action, value: String(link.submissionId), personId: person.id, ...(form.data.reason ? { reason: form.data.reason } : {}) });
      });
    } catch (error) {
      // Another click spent it first: say what it decided.
      if (error instanceof Spent) throw await usedError(link);
      if (!isStepsError(error)) throw error;
      throw new PageError(403, ["email.link.nothing_recorded"], [{ text: error.message }, ["email.link.ask_coordinator"]], language);
    }
    core.queued();
    log.info("email link decision", { submission: link.submissionId, action, by: person.id });
    const title = words.say("email.link.recorded");
    send(res, 200, words, title, notice(title, [typed(reply.text), words.say("email.link.intern_told", { intern: what.intern.name })]), speakerOf(what.intern).program);
  });

  /** A personal page's intern and their program's core, which shows, records and refuses their work. */
  async function workOf(token: unknown): Promise<{ person: Person; own: Core }> {
    const { link, person } = await valid(token, "work");
    const own = coreOf(person);
    // Their program was taken out of the configuration: nothing to record in.
    if (!own) throw await refusedError("cancelled", link);
    if (person.role !== "intern") throw new PageError(403, ["email.work.interns_only_title"], [["email.work.interns_only"]], own.languageOf(person));
    return { person, own };
  }

  async function workView(own: Core, intern: Person, token: string, said?: { text: string; alert: boolean }): Promise<string> {
    const playlists = own.program.file.playlists.filter((p) => own.program.isOpenTo(p, intern.department));
    return workPage({ intern, token, playlists, progress: await own.progressOf(intern), said }, wordsOf(intern));
  }

  add("GET", WORK_PATH, async (req, res) => {
    const token = tokenOf(req);
    const { person, own } = await workOf(token);
    const words = wordsOf(person);
    send(res, 200, words, words.say("email.work.page_title"), await workView(own, person, token!), own.program);
  });

  add("POST", WORK_PATH, async (req, res) => {
    const raw = await readForm(req);
    const { person, own } = await workOf(raw.t);
    const words = wordsOf(person);
    const title = words.say("email.work.page_title");
    const form = workForm.safeParse(raw);
    if (!form.success) return send(res, 422, words, title, await workView(own, person, String(raw.t), { text: words.say(form.error.issues[0]!.message, { max: MAX_NOTE }), alert: true }), own.program);
    const { task: slug, hours, note, link } = form.data;
    let said: { text: string; alert: boolean };
    try {
      const reply = await replyFor(own, person, await workCommand(own.program, slug, hours, note, link));
      said = { text: typed(reply.text), alert: false };
    } catch (error) {
      said = { text: error instanceof PageError ? error.sentences.map((s) => sayIt(words, s)).join(" ") : (onPage(own.program, error, slug, words) ?? typed(errorReply(error, log, own.voiceOf(person)).text)), alert: true };
    }
    send(res, said.alert ? 422 : 200, words, title, await workView(own, person, form.data.t, said), own.program);
  });

  // Also reachable without any link: a coordinator can tell an intern who lost every email to open it.
  add("GET", NEW_LINK_PATH, async (req, res) => {
    const words = readerWords(req);
    const form = newLinkWords(words);
    send(res, 200, words, form.title, newLinkForm(form, undefined, 1));
  });

  // The same answer whoever the address belongs to, so the page cannot be used to find out who is on the roster.
  // A few emails per address a day (the outbox keys see to it on every instance); the link goes to the roster's address only.
  add("POST", NEW_LINK_PATH, async (req, res) => {
    const form = newLinkRequest.safeParse(await readForm(req));
    // Whoever asks may be no one on the roster: the page answers in their browser's language.
    const words = readerWords(req);
    if (!form.success) {
      const asked = newLinkWords(words);
      return send(res, 422, words, asked.title, newLinkForm(asked, words.say("email.new_link.bad_address"), 1));
    }
    // One address may be an intern in several programs: each row reached by email gets its own program's page.
    for (const person of await store.peopleByEmail(form.data.email)) {
      const own = coreOf(person);
      if (own && (await queueWorkLink(own, person, "intern"))) log.info("email work link requested", { person: person.id, program: person.program });
    }
    const title = words.say("email.new_link.sent_title");
    send(res, 200, words, title, notice(title, [words.say("email.new_link.sent", { address: form.data.email })]));
  });

  /** The core's words where they name a chat command this page has no use for. */
  function onPage(program: Program, error: unknown, slug: string, { say }: Spoken): string | undefined {
    if (!isStepsError(error) || error.code !== "evidence_required") return undefined;
    return say("email.work.evidence_needed", { task: program.task(slug)?.task.title ?? slug });
  }

  /** The same command chat would run for `done <task>` or `log <hours> <task>`, chosen by how the task counts. */
  async function workCommand(program: Program, slug: string, hours: string | undefined, note: string | undefined, link: string | undefined): Promise<Command> {
    const found = program.task(slug);
    const extra = { ...(note ? { note } : {}), ...(link ? { link } : {}) };
    if (!found || !isHours(found.task)) return { kind: "done", task: slug, ...extra };
    const minutes = hours === undefined ? undefined : parseDuration(hours);
    if (minutes === undefined || minutes <= 0 || minutes > MAX_MINUTES) {
      throw new PageError(422, ["email.work.hours_needed_title"], [["email.work.hours_needed", { task: found.task.title }]]);
    }
    return { kind: "log", minutes, task: slug, ...extra };
  }

  return links;
}

function tokenOf(req: IncomingMessage): string | undefined {
  return new URL(req.url ?? "/", "http://localhost").searchParams.get("t") ?? undefined;
}

/** A url-encoded form, the only body these pages send. */
async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new PageError(415, ["email.link.nothing_recorded"], [["email.link.use_button"]]);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new PageError(413, ["email.link.nothing_recorded"], [["email.link.too_long", { max: MAX_NOTE }]]);
    chunks.push(chunk);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
}
