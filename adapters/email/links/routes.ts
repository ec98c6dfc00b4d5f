import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { errorReply } from "../../../src/chat.ts";
import { MAX_MINUTES, MAX_NOTE, parseDuration, type Command } from "../../../src/commands/grammar.ts";
import { createCore, type Core } from "../../../src/domain/core.ts";
import { act, replyFor } from "../../../src/domain/replies.ts";
import { decisionSentence } from "../../../src/domain/views.ts";
import { isStepsError } from "../../../src/errors.ts";
import { isHours } from "../../../src/program/program.ts";
import type { EmailLink, Person, Store } from "../../../src/store.ts";
import { formatDay } from "../../../src/time.ts";
import { contentPolicy } from "../../http.ts";
import { isCrossSite } from "../../local-only.ts";
import type { AdapterContext } from "../../platform.ts";
import { APPROVE_PATH, createEmailLinks, NEW_LINK_PATH, WORK_PATH, type Checked, type EmailLinks, type Refused } from "./links.ts";
import { confirmPage, newLinkForm, notice, page, STYLESHEET, STYLESHEET_PATH, workPage, type Submitted } from "./pages.ts";
import { queueWorkLink } from "./work-link.ts";

const MAX_BODY = 16 * 1024;

/** Form fields arrive as text; an empty field is an absent one. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

const decisionForm = z.object({
  t: z.string().max(2000),
  reason: optional(z.string().trim().max(MAX_NOTE, `Keep the reason under ${MAX_NOTE} characters.`)),
});

const newLinkRequest = z.object({ email: z.string().trim().toLowerCase().pipe(z.email()) });

const workForm = z.object({
  t: z.string().max(2000),
  task: z.string({ error: "Choose a task." }).trim().min(1, "Choose a task.").max(100),
  hours: optional(z.string().trim().max(20)),
  note: optional(z.string().trim().max(MAX_NOTE, `Keep the note under ${MAX_NOTE} characters.`)),
  link: optional(z.url({ protocol: /^https?$/, error: "The link must be a web address starting with https:// or http://." }).max(2000)),
});

/** A page answered with a status and a sentence; nothing changed. */
class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly sentences: string[],
    /** More of the page after the sentences (HTML): the form to ask for a new link. */
    readonly more = "",
  ) {
    super(title);
  }
}

/** Another click spent the link between the check and the decision. */
class Spent extends Error {}

const CROSS_SITE = new PageError(403, "Nothing was recorded", ["This form was sent from another web site. Open the link from your email and press the button on that page."]);

/**
 * Registers the pages email links open, and returns the links API the email
 * renderer uses to put links in messages. Called by the email adapter's start().
 */
export function emailLinkRoutes(ctx: AdapterContext, links: EmailLinks = createEmailLinks({ store: ctx.store, program: ctx.core.program, now: ctx.now, baseUrl: ctx.core.options.baseUrl })): EmailLinks {
  const { core, store, log } = ctx;
  const program = core.program;
  const tz = program.timeZone;

  function send(res: ServerResponse, status: number, title: string, body: string) {
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": contentPolicy("default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'"),
      // Same-origin, not the server's no-referrer: under no-referrer a browser posts our own forms with "Origin: null".
      "referrer-policy": "same-origin",
    });
    res.end(page(program.name, title, body));
  }

  const add = (method: "GET" | "POST", path: string, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    ctx.routes.add(method, path, async (req, res) => {
      try {
        if (method === "POST" && isCrossSite(req)) throw CROSS_SITE;
        await handler(req, res);
      } catch (error) {
        if (!(error instanceof PageError)) throw error;
        send(res, error.status, error.title, notice(error.title, error.sentences) + (error.more ? `\n${error.more}` : ""));
      }
    });

  async function submitted(link: EmailLink): Promise<Submitted> {
    const submission = link.submissionId === null ? undefined : await store.submission(link.submissionId);
    const intern = submission && (await store.personById(submission.personId));
    if (!submission || !intern) throw refusedError("altered", link);
    const found = program.task(submission.task);
    const task = found?.task ?? { slug: submission.task, title: submission.task, description: "", requirement: "once" as const, evidence: "none" as const, approver: "mentor" as const };
    return { intern, task, playlist: found?.playlist ?? program.playlist(submission.playlist), submission };
  }

  /** "Approved by Dana Ruiz on Jun 22, 10:00 AM", or undefined while the submission waits. */
  async function decidedSentence(submissionId: number | null): Promise<string | undefined> {
    const decision = submissionId === null ? undefined : await store.decisionOf(submissionId);
    if (!decision) return undefined;
    const decider = await store.personById(decision.deciderId);
    // The pages are in the program's language until they are translated.
    return decider ? decisionSentence(decision, decider, core.programVoice()) : undefined;
  }

  function refusedError(reason: Refused, link: EmailLink | undefined, decided?: string): PageError {
    const fresh = link?.action === "work" ? "Reply to the email, or ask your coordinator, for a new link." : "Ask your coordinator for a new link.";
    switch (reason) {
      case "altered":
        return new PageError(400, "This link does not work", ["Part of its address is missing or was changed, so it did nothing. Open it again from the email, copying the whole address.", fresh]);
      case "expired":
        return new PageError(410, "This link has expired", [`${link ? `It expired on ${formatDay(link.expiresAt, tz)}` : "It has expired"}, so it did nothing.`, fresh]);
      case "cancelled":
        return new PageError(410, "This link was cancelled", ["A coordinator cancelled it, so it did nothing.", fresh]);
      case "used":
        return new PageError(410, "This link was already used", [decided ? `${decided}.` : "It works only once.", "Nothing more to do here."]);
    }
  }

  async function valid(token: unknown, expect: "decision" | "work"): Promise<Extract<Checked, { ok: true }>> {
    const checked = await links.check(token, expect);
    if (checked.ok) return checked;
    const refused = refusedError(checked.reason, checked.link, checked.reason === "used" ? await decidedSentence(checked.link?.submissionId ?? null) : undefined);
    if (expect === "decision") throw refused;
    // An intern's page that no longer opens offers to email a fresh link, in their language when the link says who they are.
    const owner = checked.link && checked.reason !== "altered" ? await store.personById(checked.link.personId) : undefined;
    throw new PageError(refused.status, refused.title, refused.sentences, newLinkForm(newLinkWords(owner)));
  }

  /** The words of pages for someone the request may not name: the person's language when known, else the program's. */
  function say(person: Person | undefined, key: string, values?: Record<string, string | number>): string {
    const fallback = core.languages.includes(program.file.program.language) ? program.file.program.language : "en";
    return core.t(person ? core.languageOf(person) : fallback, key, values);
  }

  function newLinkWords(person?: Person) {
    return { title: say(person, "email.new_link.title"), intro: say(person, "email.new_link.intro"), label: say(person, "email.new_link.address_label"), button: say(person, "email.new_link.button") };
  }

  /** An unused link to a submission someone has decided meanwhile: says by whom, offers nothing. */
  async function openDecision(link: EmailLink): Promise<Submitted> {
    const what = await submitted(link);
    const decided = await decidedSentence(link.submissionId);
    if (decided) throw new PageError(409, "Already decided", [`${what.intern.name}'s ${what.task.title}: ${decided}.`, "Nothing more to do here."]);
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
    const what = await openDecision(link);
    send(res, 200, link.action === "approve" ? "Approve" : "Request changes", confirmPage(what, link.action === "approve" ? "approve" : "request_changes", person, token!));
  });

  add("POST", APPROVE_PATH, async (req, res) => {
    const form = decisionForm.safeParse(await readForm(req));
    if (!form.success) throw refusedError("altered", undefined);
    const { link, person } = await valid(form.data.t, "decision");
    const what = await openDecision(link);
    const action = link.action === "approve" ? "approve" : "request_changes";
    if (action === "request_changes" && !form.data.reason) {
      return send(res, 422, "Request changes", confirmPage(what, action, person, form.data.t, `Say what ${what.intern.name} should change: the reason is sent to them.`));
    }
    let reply;
    try {
      // The link is spent in the same transaction as the decision: a refused decision leaves it usable.
      reply = await store.transaction(async (tx) => {
        if (!(await tx.useEmailLink(link.id, ctx.now()))) throw new Spent();
        return act(coreIn(core, tx), { action, value: String(link.submissionId), personId: person.id, ...(form.data.reason ? { reason: form.data.reason } : {}) });
      });
    } catch (error) {
      // Another click spent it first: say what it decided.
      if (error instanceof Spent) throw refusedError("used", link, await decidedSentence(link.submissionId));
      if (!isStepsError(error)) throw error;
      throw new PageError(403, "Nothing was recorded", [error.message, "Your coordinator can help if this looks wrong."]);
    }
    core.queued();
    log.info("email link decision", { submission: link.submissionId, action, by: person.id });
    send(res, 200, "Recorded", notice("Recorded", [reply.text, `${what.intern.name} is told. You can close this page.`]));
  });

  async function workView(intern: Person, token: string, said?: { text: string; alert: boolean }): Promise<string> {
    const playlists = program.file.playlists.filter((p) => program.isOpenTo(p, intern.department));
    return workPage({ intern, token, playlists, progress: await core.progressOf(intern), said });
  }

  add("GET", WORK_PATH, async (req, res) => {
    const token = tokenOf(req);
    const { person } = await valid(token, "work");
    if (person.role !== "intern") throw new PageError(403, "This page is for interns", ["It records interns' work. Ask your coordinator if you need a link."]);
    send(res, 200, "Your work", await workView(person, token!));
  });

  add("POST", WORK_PATH, async (req, res) => {
    const raw = await readForm(req);
    const { person } = await valid(raw.t, "work");
    const form = workForm.safeParse(raw);
    if (!form.success) return send(res, 422, "Your work", await workView(person, String(raw.t), { text: form.error.issues[0]!.message, alert: true }));
    const { task: slug, hours, note, link } = form.data;
    let said: { text: string; alert: boolean };
    try {
      const reply = await replyFor(core, person, await workCommand(slug, hours, note, link));
      said = { text: reply.text, alert: false };
    } catch (error) {
      said = { text: error instanceof PageError ? error.sentences.join(" ") : onPage(error, slug) ?? errorReply(error, log, core.voiceOf(person)).text, alert: true };
    }
    send(res, said.alert ? 422 : 200, "Your work", await workView(person, form.data.t, said));
  });

  // Also reachable without any link: a coordinator can tell an intern who lost every email to open it.
  add("GET", NEW_LINK_PATH, async (_req, res) => {
    const words = newLinkWords();
    send(res, 200, words.title, newLinkForm(words, undefined, 1));
  });

  // The same answer whoever the address belongs to, so the page cannot be used to find out who is on the roster.
  // A few emails per address a day (the outbox keys see to it on every instance); the link goes to the roster's address only.
  add("POST", NEW_LINK_PATH, async (req, res) => {
    const form = newLinkRequest.safeParse(await readForm(req));
    if (!form.success) {
      const words = newLinkWords();
      return send(res, 422, words.title, newLinkForm(words, say(undefined, "email.new_link.bad_address"), 1));
    }
    const person = await store.personByEmail(form.data.email);
    const queued = person ? await queueWorkLink(core, person, "intern") : false;
    if (queued) log.info("email work link requested", { person: person!.id });
    const title = say(undefined, "email.new_link.sent_title");
    send(res, 200, title, notice(title, [say(undefined, "email.new_link.sent", { address: form.data.email })]));
  });

  /** The core's words where they name a chat command this page has no use for. */
  function onPage(error: unknown, slug: string): string | undefined {
    if (!isStepsError(error) || error.code !== "evidence_required") return undefined;
    return `${program.task(slug)?.task.title ?? "This task"} needs evidence: add a note or a link to your work, then press Record.`;
  }

  /** The same command chat would run for `done <task>` or `log <hours> <task>`, chosen by how the task counts. */
  async function workCommand(slug: string, hours: string | undefined, note: string | undefined, link: string | undefined): Promise<Command> {
    const found = program.task(slug);
    const extra = { ...(note ? { note } : {}), ...(link ? { link } : {}) };
    if (!found || !isHours(found.task)) return { kind: "done", task: slug, ...extra };
    const minutes = hours === undefined ? undefined : parseDuration(hours);
    if (minutes === undefined || minutes <= 0 || minutes > MAX_MINUTES) {
      throw new PageError(422, "Hours needed", [`${found.task.title} counts hours: enter how long you worked, e.g. 2 or 1.5 (at most 24 in one entry).`]);
    }
    return { kind: "log", minutes, task: slug, ...extra };
  }

  return links;
}

/** The core working inside a transaction, as the inbox runs a chat click: its messages go out once that commits. */
function coreIn(core: Core, tx: Store): Core {
  return createCore({ ...core.options, store: tx, onQueued: undefined });
}

function tokenOf(req: IncomingMessage): string | undefined {
  return new URL(req.url ?? "/", "http://localhost").searchParams.get("t") ?? undefined;
}

/** A url-encoded form, the only body these pages send. */
async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new PageError(415, "Nothing was recorded", ["Use the button on the page the email link opens."]);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new PageError(413, "Nothing was recorded", ["What you sent is too long: keep notes and reasons under 2,000 characters."]);
    chunks.push(chunk);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
}
