import { TZDate } from "@date-fns/tz";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { send } from "../http.ts";
import { answer, errorReply } from "../../src/chat.ts";
import { act, MAX_BUTTON_VALUE } from "../../src/domain/route.ts";
import type { Action, Message } from "../../src/messages.ts";
import { programLanguage, speak, type Spoken } from "../language.ts";
import type { AdapterContext } from "../platform.ts";
import type { Person } from "../../src/store.ts";
import { formatMoment } from "../../src/time.ts";
import { guard, HttpError, query, readBody, redirect, sendHtml, wantsHtml, type Access } from "./http.ts";
import type { Channel, Mailbox, Posted } from "./mailbox.ts";
import { chatItem, messageItem, renderPage, type RosterGroup } from "./page.ts";
import { renderMessage, renderText } from "./render.ts";
import { createFormTokens } from "./token.ts";

// Forms send numbers as text; only digits count, so `true` or "" is not person 1 or 0.
const personId = z.preprocess(
  (v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
  z.number({ error: "personId must be a roster person's number" }).int("personId must be a whole number").positive("personId must be a roster person's number"),
);

const commandBody = z.object({
  personId,
  text: z.string({ error: "text is required: the command to run, e.g. \"help\"" }).trim().min(1, "text is empty: type a command, e.g. \"help\"").max(4000, "text must be under 4000 characters"),
});

const actionBody = z.object({
  personId,
  action: z.enum(["approve", "request_changes", "publish_badge", "choose_program"], { error: "action must be approve, request_changes, publish_badge or choose_program" }),
  value: z.string({ error: "value is required: the id the button carries" }).min(1, "value is required: the id the button carries").max(MAX_BUTTON_VALUE, `value must be at most ${MAX_BUTTON_VALUE} characters`),
  reason: z.string().trim().max(2000, "reason must be under 2000 characters").optional(),
});

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?$/;
const clockBody = z.object({
  /** Only for the no-script form: whose page to go back to. */
  personId: personId.optional(),
  at: z
    .string({ error: "at is required: a date and time such as 2026-06-22T09:00" })
    .refine((s) => LOCAL_TIME.test(s) || (/[zZ]|[+-]\d{2}:\d{2}$/.test(s) && !Number.isNaN(Date.parse(s))), "at must be a date and time such as 2026-06-22T09:00"),
});

/** Registers the playground's page and API on the server. */
export function playgroundRoutes(ctx: AdapterContext, mailbox: Mailbox, assets: { js: string; css: string }, access: Access) {
  const { core, store, dispatcher, log } = ctx;
  const program = core.program;
  const tokens = createFormTokens();
  const add = (method: "GET" | "POST", path: string, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) => ctx.routes.add(method, path, guard(access, handler));

  async function person(id: number): Promise<Person> {
    const found = await store.personById(id);
    if (!found) throw new HttpError(404, `No one with personId ${id} is on the roster. GET /playground/people lists everyone.`);
    return found;
  }

  /** The playground speaks the language of the person it shows, or the program's when it shows no one. */
  const wordsFor = (who: Person | undefined): Spoken => speak(core.t, who ? core.languageOf(who) : programLanguage(core));

  /** By role and department, and by program when there are several: someone in two programs is listed in each, as a row of each. */
  async function roster({ say }: Spoken): Promise<RosterGroup[]> {
    const groups: RosterGroup[] = [];
    const programs = core.cores().list.map((c) => c.program);
    for (const role of ["intern", "mentor", "coordinator"] as const) for (const each of programs) {
      const people = (await store.peopleByRole(role)).filter((p) => p.program === each.id);
      const departments = [...new Set(people.map((p) => p.department))].sort((a, b) => (a ?? "").localeCompare(b ?? ""));
      for (const department of departments) {
        const group = say("page.group", { role });
        const where = [department ? (each.departmentName(department) ?? department) : undefined, programs.length > 1 ? each.name : undefined].filter((x) => x !== undefined);
        const label = where.length ? say("page.group_in", { group, department: where.join(", ") }) : group;
        const members = people.filter((p) => p.department === department).sort((a, b) => a.name.localeCompare(b.name));
        groups.push({ role, department, label, people: members.map((p) => ({ id: p.id, name: p.name, email: p.email })) });
      }
    }
    return groups;
  }

  const json = (posted: readonly Posted[], viewer: number, token: string, words: Spoken) =>
    posted.map((p) => ({ id: p.id, rev: p.rev, at: p.at.toISOString(), text: renderText(p.message), html: messageItem(p, viewer, program.timeZone, token, words) }));

  /** Runs what the person asked and keeps both sides in their chat pane; queued messages go out before the answer. */
  async function converse(req: IncomingMessage, res: ServerResponse, who: Person, said: string, reply: Message) {
    const lines = [mailbox.say(who.id, { from: "you", text: said }), mailbox.say(who.id, { from: "steps", text: renderText(reply), message: reply })];
    await dispatcher.kick();
    if (wantsHtml(req)) return redirect(res, `/?person=${who.id}#chat`);
    const token = tokens.issue();
    const words = wordsFor(who);
    send(res, 200, { ok: true, reply: { text: renderText(reply), html: renderMessage(reply, { personId: who.id, key: `r${lines[1]!.id}`, token, say: words.say }) }, lines: lines.map((l) => chatItem(l, who.id, token, words)) });
  }

  add("GET", "/", async (req, res) => {
    const asked = query(req).get("person");
    const viewer = asked && /^\d+$/.test(asked) ? await store.personById(Number(asked)) : undefined;
    const first = viewer ? undefined : (await roster(wordsFor(undefined)))[0]?.people[0];
    const shown = viewer ?? (first ? await store.personById(first.id) : undefined);
    const words = wordsFor(shown);
    const notice = asked && !viewer ? words.say("page.no_such_person", { asked, shown: shown?.name ?? words.say("page.nobody") }) : undefined;
    sendHtml(res, 200, renderPage({ programName: program.name, timeZone: program.timeZone, groups: await roster(words), person: shown, mailbox, clockEnabled: ctx.runDue !== undefined, notice, version: mailbox.version, token: tokens.issue(), words }));
  });

  add("GET", "/playground/app.js", async (_req, res) => {
    res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" });
    res.end(assets.js);
  });
  add("GET", "/playground/app.css", async (_req, res) => {
    res.writeHead(200, { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" });
    res.end(assets.css);
  });

  // The token lets a script post as the page does; only this origin can read it.
  add("GET", "/playground/people", async (_req, res) => send(res, 200, { ok: true, groups: await roster(wordsFor(undefined)), token: tokens.issue() }));

  add("GET", "/playground/inbox", async (req, res) => {
    const parsed = personId.safeParse(query(req).get("personId") ?? undefined);
    if (!parsed.success) throw new HttpError(400, "personId is required: /playground/inbox?personId=<number from /playground/people>");
    const who = await person(parsed.data);
    send(res, 200, { ok: true, version: mailbox.version, personId: who.id, messages: json(mailbox.inbox(who.id), who.id, tokens.issue(), wordsFor(who)) });
  });

  add("GET", "/playground/channel", async (req, res) => {
    // The viewer is optional here: it only decides whom a button in a channel post acts as.
    const asked = query(req).get("personId");
    const parsed = personId.safeParse(asked ?? undefined);
    if (asked !== null && !parsed.success) throw new HttpError(400, "personId must be a roster person's number, or left out");
    const viewer = parsed.success ? await person(parsed.data) : undefined;
    const channels: Channel[] = ["announcements", "coordinators"];
    const token = tokens.issue();
    const words = wordsFor(viewer);
    send(res, 200, { ok: true, version: mailbox.version, ...Object.fromEntries(channels.map((c) => [c, json(mailbox.channel(c), viewer?.id ?? 0, token, words)])) });
  });

  add("POST", "/playground/command", async (req, res) => {
    const body = await readBody(req, commandBody, tokens);
    const who = await person(body.personId);
    await converse(req, res, who, body.text, await answer(core, who, body.text, log));
  });

  add("POST", "/playground/action", async (req, res) => {
    const body = await readBody(req, actionBody, tokens);
    const who = await person(body.personId);
    const action: Action = { action: body.action, value: body.value, personId: who.id, ...(body.reason ? { reason: body.reason } : {}) };
    const said = wordsFor(who).say("page.clicked", { action: body.action, value: body.value, reason: body.reason ?? "" });
    await converse(req, res, who, said, await act(core, action).catch((error: unknown) => errorReply(error, log, core.voiceOf(who))));
  });

  add("POST", "/playground/clock", async (req, res) => {
    const body = await readBody(req, clockBody, tokens);
    // Read at request time: the scheduler may start after the adapters do.
    const runDue = ctx.runDue;
    const words = wordsFor(body.personId ? await person(body.personId) : undefined);
    if (!runDue) throw new HttpError(501, words.say("page.clock_missing"));
    const at = LOCAL_TIME.test(body.at) ? programTime(body.at, program.timeZone) : new Date(body.at);
    const before = mailbox.posted;
    // Moved first, so what falls due is dated, and shown, at that time (and what follows after it).
    ctx.moveClock(at);
    await runDue(at);
    // runDue may already have kicked the dispatcher; counting what reached the panes covers both.
    await dispatcher.drain();
    await dispatcher.idle();
    const delivered = mailbox.posted - before;
    if (wantsHtml(req)) return redirect(res, `/${body.personId ? `?person=${body.personId}` : ""}#clock`);
    send(res, 200, { ok: true, at: at.toISOString(), delivered, said: words.say("page.clock_ran", { at: formatMoment(at, program.timeZone, words.language), delivered }) });
  });
}

/** A datetime-local value has no zone: it means that wall-clock time where the program runs. */
export function programTime(local: string, timeZone: string): Date {
  const [y, mo, d, h, mi, s] = local.split(/[-T:]/).map(Number) as [number, number, number, number, number, number?];
  return new Date(new TZDate(y, mo - 1, d, h, mi, s ?? 0, timeZone).getTime());
}
