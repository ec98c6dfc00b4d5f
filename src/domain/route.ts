import { parseCommand, qualifiedCommand, type Command } from "../commands/grammar.ts";
import { StepsError } from "../errors.ts";
import type { Action, Block, Message } from "../messages.ts";
import type { Person } from "../store.ts";
import type { Core } from "./core.ts";
import { replyFor } from "./replies.ts";
import * as views from "./views.ts";

/** A button click from any platform: the clicker is re-checked here, the value is only an id. */
export async function act(core: Core, action: Action): Promise<Message> {
  const person = await core.cores().store.personById(action.personId);
  if (!person) throw new StepsError("not_on_roster", core.t(core.program.file.program.language, "act.not_on_roster"));
  const say = (key: string) => core.t(core.languageOf(person), key);
  const id = Number(action.value);
  switch (action.action) {
    case "approve":
    case "request_changes":
      if (!Number.isSafeInteger(id) || id <= 0) throw new StepsError("unknown_submission", say("act.out_of_date"));
      return routeCommand(core, person, action.action === "approve" ? { kind: "approve", submissionId: id } : { kind: "changes", submissionId: id, reason: action.reason ?? "" });
    case "publish_badge":
      return routeCommand(core, person, { kind: "badge_publish", playlist: action.value });
    case "choose_program": {
      // The value is the command with its program named, as the question offered it; anything else is not ours.
      const parsed = parseCommand(action.value, core.voiceOf(person).say);
      if (!parsed.ok || (parsed.command.kind !== "done" && parsed.command.kind !== "log") || parsed.command.program === undefined) {
        throw new StepsError("bad_command", say("act.out_of_date"));
      }
      return routeCommand(core, person, parsed.command);
    }
  }
}

/** A person's row in one loaded program, with that program's core. */
interface Seat {
  core: Core;
  person: Person;
}

/** The shortest limit on a button's value among chat platforms; a longer command is offered only as typed text. */
export const MAX_BUTTON_VALUE = 2000;

/**
 * Answers a command for a person who may be in several programs (a row in
 * each, one identity by email): by the program it names, the program its
 * task, playlist or submission belongs to, or each program in turn for what
 * shows (status, pending); when that leaves more than one, the reply asks which.
 */
export async function routeCommand(core: Core, person: Person, command: Command): Promise<Message> {
  const seats = await seatsOf(core, person);
  if (seats.length === 1) return replyFor(seats[0]!.core, seats[0]!.person, command);
  const first = seats[0]!;
  const sayFirst = (key: string, values?: Record<string, string | number>) => first.core.t(first.core.languageOf(first.person), key, values);
  switch (command.kind) {
    case "done":
    case "log": {
      if (command.program !== undefined) {
        const named = seats.find((s) => s.core.program.id === command.program);
        if (!named) throw new StepsError("unknown_program", sayFirst("programs.not_in", { program: command.program, programs: programList(seats) }));
        return replyFor(named.core, named.person, command);
      }
      const interns = seats.filter((s) => s.person.role === "intern");
      const fits = interns.filter((s) => {
        const found = s.core.program.task(command.task);
        return found !== undefined && s.core.program.isOpenTo(found.playlist, s.person.department);
      });
      if (fits.length > 1) return whichProgram(first, command, fits);
      const seat = fits[0] ?? interns[0] ?? first;
      return replyFor(seat.core, seat.person, command);
    }
    case "approve":
    case "changes":
    case "undo": {
      // Submission numbers are unique across programs: the submission says which program.
      const seat = (await seatOfSubmission(core, seats, command.submissionId)) ?? first;
      return replyFor(seat.core, seat.person, command);
    }
    case "badge_publish": {
      // Two programs may name a playlist alike: the badge is the one the person was awarded.
      const having = seats.filter((s) => s.core.program.playlist(command.playlist));
      const awarded = await Promise.all(having.map(async (s) => (await s.core.store.awardsOf(s.person.id)).some((a) => a.playlist === command.playlist)));
      const seat = having.find((_, i) => awarded[i]) ?? having[0] ?? first;
      return replyFor(seat.core, seat.person, command);
    }
    case "tasks": {
      const slug = command.playlist;
      if (slug === undefined) return each(seats, command);
      const seat = seats.find((s) => s.core.program.playlist(slug)) ?? first;
      return replyFor(seat.core, seat.person, command);
    }
    case "revoke": {
      const seat = seats.find((s) => s.person.role === "coordinator" && s.core.program.playlist(command.playlist)) ?? first;
      return replyFor(seat.core, seat.person, command);
    }
    case "status":
    case "badges":
      return each(byRole(seats, ["intern"]), command);
    case "pending":
    case "digest":
      return each(byRole(seats, ["mentor", "coordinator"]), command);
    case "remind":
    case "language": {
      // One person, one choice: it holds in every program they are in.
      const replies = [];
      for (const seat of seats) replies.push(await replyFor(seat.core, seat.person, command));
      return replies[0]!;
    }
    case "help":
      return replyFor(first.core, first.person, command);
  }
}

/** The person's rows in the loaded programs, in load order; a program removed from the configuration keeps its rows but is not offered. */
async function seatsOf(core: Core, person: Person): Promise<Seat[]> {
  const cores = core.cores();
  if (cores.list.length === 1 && cores.list[0]!.program.id === person.program) return [{ core: cores.list[0]!, person }];
  const rows = await cores.store.peopleByEmail(person.email);
  const seats = cores.list.flatMap((c) => rows.filter((r) => r.program === c.program.id).map((r) => ({ core: c, person: r })));
  if (seats.length === 0) throw new StepsError("not_on_roster", core.t(core.languageOf(person), "act.not_on_roster"));
  return seats;
}

async function seatOfSubmission(core: Core, seats: Seat[], submissionId: number): Promise<Seat | undefined> {
  const { store } = core.cores();
  const submission = await store.submission(submissionId);
  const owner = submission && (await store.personById(submission.personId));
  return owner && seats.find((s) => s.core.program.id === owner.program);
}

/** Seats with one of these roles; when there is none, the first seat, whose core then says who may. */
function byRole(seats: Seat[], roles: Person["role"][]): Seat[] {
  const fit = seats.filter((s) => roles.includes(s.person.role));
  return fit.length > 0 ? fit : seats.slice(0, 1);
}

/** One reply per program, each under the program's name. */
function each(seats: Seat[], command: Command): Promise<Message> {
  return underEachProgram(seats, (core, person) => replyFor(core, person, command));
}

/** What a page shows a person (a chat app's home page), for each program they are in, under each program's name. */
export async function forEachProgram(core: Core, person: Person, show: (core: Core, person: Person) => Promise<Message>): Promise<Message> {
  return underEachProgram(await seatsOf(core, person), show);
}

async function underEachProgram(seats: Seat[], show: (core: Core, person: Person) => Promise<Message>): Promise<Message> {
  if (seats.length === 1) return show(seats[0]!.core, seats[0]!.person);
  const replies = await Promise.all(seats.map((s) => show(s.core, s.person)));
  const blocks: Block[] = replies.flatMap((reply, i) => [
    ...(i > 0 ? [{ type: "divider" } as const] : []),
    { type: "header", text: seats[i]!.core.program.name } as const,
    ...reply.blocks,
  ]);
  return { text: replies.map((r, i) => `${seats[i]!.core.program.name}: ${r.text}`).join("\n"), blocks };
}

/** The task is in more than one of the person's programs: ask, with a button per program and the typed form that works everywhere. */
function whichProgram(first: Seat, command: Extract<Command, { kind: "done" | "log" }>, fits: Seat[]): Message {
  const say = (key: string, values: Record<string, string>) => first.core.t(first.core.languageOf(first.person), key, values);
  const typed = fits.map((s) => qualifiedCommand(command, s.core.program.id));
  const commands = new Intl.ListFormat(first.core.languageOf(first.person), { type: "disjunction" }).format(typed.map((t) => `<cmd>${t}</cmd>`));
  const question = say("programs.which", { task: command.task, programs: programList(fits) });
  const buttons: Block[] = typed.every((t) => t.length <= MAX_BUTTON_VALUE)
    ? [{ type: "buttons", buttons: fits.map((s, i) => ({ type: "button", action: "choose_program", label: s.core.program.name, value: typed[i]! })) }]
    : [];
  return views.message(question, { type: "text", text: question }, ...buttons, { type: "context", text: say("programs.which_typed", { commands }) });
}

function programList(seats: Seat[]): string {
  return seats.map((s) => `${s.core.program.name} (\`${s.core.program.id}\`)`).join(", ");
}
