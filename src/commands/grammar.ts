import { StepsError, type ErrorCode } from "../errors.ts";
import type { Values } from "../i18n.ts";
import type { Role } from "../program/program.ts";
import { closest } from "../suggest.ts";

/**
 * The one command language. Every chat platform (as a slash command
 * `/steps done x`, or a message `done x`, maybe after the word `steps`) and
 * the CLI hand their raw text here, so an intern learns one set of words and
 * every platform answers the same way.
 * Parsing knows nothing about the program: whether a task exists is the
 * core's question, so slugs are only checked for shape.
 */
export type Command =
  /** `program`: typed as `done early-learning/field-hours`, for a person in several programs. */
  | { kind: "done"; task: string; program?: string; note?: string; link?: string }
  | { kind: "log"; minutes: number; task: string; program?: string; note?: string; link?: string }
  | { kind: "status" }
  | { kind: "tasks"; playlist?: string }
  | { kind: "pending" }
  | { kind: "approve"; submissionId: number }
  | { kind: "changes"; submissionId: number; reason: string }
  | { kind: "undo"; submissionId: number }
  | { kind: "digest"; full?: boolean }
  | { kind: "badges" }
  | { kind: "badge_publish"; playlist: string }
  | { kind: "revoke"; email: string; playlist: string; reason: string }
  | { kind: "remind"; on: boolean }
  /** Without a language: which one Steps speaks to the person, and which it can. */
  | { kind: "language"; language?: string }
  | { kind: "help"; topic?: string };

export type ParseResult = { ok: true; command: Command } | { ok: false; error: StepsError };

/** Real names to show in examples: the loaded program's, or the sample program's where no program is at hand. */
export interface Examples {
  task: string;
  /** An hours task, if the program has one. */
  hoursTask?: string;
  playlist: string;
}

/** Slugs of programs/summer-steps.yml, for texts written before any program is loaded (parse errors, a platform's static command list). */
export const SAMPLE_EXAMPLES: Examples = { task: "interview-staff", hoursTask: "field-hours", playlist: "steps" };

export interface CommandHelp {
  /** What a person types after `help` to read about it (in English; the Spanish verbs are aliases). */
  name: string;
  /** Catalog keys: how it is typed, what it does, and an example with the program's names ({task}, {hoursTask}, {playlist}). */
  usage: string;
  summary: string;
  example: string;
  /** The example names an hours task, so it is left out for a program without one. */
  needsHoursTask?: boolean;
  roles: Role[];
}

export const commandHelp: CommandHelp[] = [
  { name: "done", usage: "help.usage.done", summary: "help.summary.done", example: "help.example.done", roles: ["intern"] },
  { name: "log", usage: "help.usage.log", summary: "help.summary.log", example: "help.example.log", needsHoursTask: true, roles: ["intern"] },
  { name: "status", usage: "help.usage.status", summary: "help.summary.status", example: "help.example.status", roles: ["intern"] },
  { name: "tasks", usage: "help.usage.tasks", summary: "help.summary.tasks", example: "help.example.tasks", roles: ["intern", "mentor", "coordinator"] },
  { name: "pending", usage: "help.usage.pending", summary: "help.summary.pending", example: "help.example.pending", roles: ["mentor", "coordinator"] },
  { name: "approve", usage: "help.usage.approve", summary: "help.summary.approve", example: "help.example.approve", roles: ["mentor", "coordinator"] },
  { name: "changes", usage: "help.usage.changes", summary: "help.summary.changes", example: "help.example.changes", roles: ["mentor", "coordinator"] },
  { name: "digest", usage: "help.usage.digest", summary: "help.summary.digest", example: "help.example.digest", roles: ["mentor", "coordinator"] },
  { name: "badges", usage: "help.usage.badges", summary: "help.summary.badges", example: "help.example.badges", roles: ["intern"] },
  { name: "badge publish", usage: "help.usage.badge_publish", summary: "help.summary.badge_publish", example: "help.example.badge_publish", roles: ["intern"] },
  { name: "undo", usage: "help.usage.undo", summary: "help.summary.undo", example: "help.example.undo", roles: ["intern"] },
  { name: "revoke", usage: "help.usage.revoke", summary: "help.summary.revoke", example: "help.example.revoke", roles: ["coordinator"] },
  { name: "remind", usage: "help.usage.remind", summary: "help.summary.remind", example: "help.example.remind", roles: ["intern", "mentor", "coordinator"] },
  { name: "language", usage: "help.usage.language", summary: "help.summary.language", example: "help.example.language", roles: ["intern", "mentor", "coordinator"] },
  { name: "help", usage: "help.usage.help", summary: "help.summary.help", example: "help.example.help", roles: ["intern", "mentor", "coordinator"] },
];

/** A command's example in a language, naming a program's tasks; undefined where the program has nothing to show it with. */
export function commandExample(help: CommandHelp, e: Examples, say: (key: string, values: Values) => string): string | undefined {
  if (help.needsHoursTask && e.hoursTask === undefined) return undefined;
  return say(help.example, { task: e.task, hoursTask: e.hoursTask ?? "", playlist: e.playlist });
}

/**
 * The Spanish words for each verb. The English ones always work too, so a
 * person who switches language, or reads an English guide, is never stuck.
 */
// A Map, not an object: a typed word is never looked up among an object's inherited keys ("__proto__").
export const VERB_ALIASES: ReadonlyMap<string, string> = new Map([
  ["hecho", "done"],
  ["registrar", "log"],
  ["estado", "status"],
  ["tareas", "tasks"],
  ["pendientes", "pending"],
  ["aprobar", "approve"],
  ["cambios", "changes"],
  ["resumen", "digest"],
  ["insignias", "badges"],
  ["insignia", "badge"],
  ["deshacer", "undo"],
  ["revocar", "revoke"],
  ["recordatorios", "remind"],
  ["idioma", "language"],
  ["ayuda", "help"],
]);

/** A typed verb or help topic in English, whichever language it was typed in ("ayuda hecho" → "done"). */
export function englishVerb(word: string): string {
  return VERB_ALIASES.get(word) ?? word;
}

const VERBS = ["done", "log", "status", "tasks", "pending", "approve", "changes", "digest", "badges", "badge", "undo", "revoke", "remind", "language", "help"];

/** Commands are short; anything longer is a paste gone wrong, and refusing early keeps parsing cheap. */
const MAX_INPUT = 4000;
export const MAX_NOTE = 2000;
export const MAX_MINUTES = 24 * 60;

/** `say`: the catalog in the person's language, so a refusal reads in it. */
export function parseCommand(text: string, say: (key: string, values?: Values) => string): ParseResult {
  try {
    return { ok: true, command: parse(text) };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, error: new StepsError(error.code, say(error.key, error.values), error.details) };
    throw error;
  }
}

/**
 * A refusal while parsing, by catalog key: the words are chosen once, in
 * parseCommand, so the many small parsing steps need not carry the language.
 */
class Refused extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly key: string,
    readonly values: Values = {},
    readonly details?: Record<string, unknown>,
  ) {
    super(key);
  }
}

function parse(raw: string): Command {
  const text = stripPrefix(clean(raw));
  if (text.length > MAX_INPUT) fail("grammar.too_long", { length: text.length, max: MAX_INPUT });
  const [word, rest] = take(text);
  if (word === "") return { kind: "help" };
  if (word === "?") return help(rest);
  const verb = englishVerb(trimPunctuation(word.toLowerCase()));
  switch (verb) {
    case "done":
      return done(rest);
    case "log":
      return log(rest);
    case "digest":
      return digest(rest);
    case "status":
    case "pending":
    case "badges":
      nothingAfter(verb, rest);
      return { kind: verb };
    case "tasks":
      return tasks(rest);
    case "approve":
      return approve(rest);
    case "changes":
      return changes(rest);
    case "undo":
      return undo(rest);
    case "badge":
      return badge(rest);
    case "revoke":
      return revoke(rest);
    case "remind":
      return remind(rest);
    case "language":
      return language(rest);
    case "help":
      return help(rest);
    default:
      return unknownVerb(verb, word);
  }
}

function done(rest: string): Command {
  const [word, after] = take(rest);
  if (word === "") fail("grammar.done.no_task");
  return { kind: "done", ...qualifiedTask(word), ...noteAndLink(after) };
}

function log(rest: string): Command {
  let [first, afterFirst] = take(rest);
  if (first === "") fail("grammar.log.nothing");
  let [second, afterSecond] = take(afterFirst);
  // "log 2 hours shadow-day": the unit is part of the amount, not the task.
  if (/^\d*\.?\d+$/.test(first) && UNIT_WORDS.has(second.toLowerCase())) {
    first = `${first}${second}`;
    [second, afterSecond] = take(afterSecond);
  }
  let minutes = parseDuration(first);
  let taskWord = second;
  // "log shadow-day 2h" is a common slip; accept it when the order is unambiguous.
  if (minutes === undefined && second !== "") {
    const swapped = parseDuration(second);
    if (swapped !== undefined) [minutes, taskWord] = [swapped, first];
  }
  if (minutes === undefined) fail("grammar.log.not_time", { word: show(first) }, "bad_hours");
  if (minutes <= 0) fail("grammar.log.zero", {}, "bad_hours");
  if (minutes > MAX_MINUTES) fail("grammar.log.too_long", {}, "bad_hours");
  if (taskWord === "") fail("grammar.log.no_task");
  return { kind: "log", minutes, ...qualifiedTask(taskWord), ...noteAndLink(afterSecond) };
}

function digest(rest: string): Command {
  const word = trimPunctuation(rest.toLowerCase());
  if (word === "") return { kind: "digest" };
  if (word === "full" || word === "completo") return { kind: "digest", full: true };
  fail("grammar.digest.usage");
}

function tasks(rest: string): Command {
  const [word, after] = take(rest);
  if (word === "") return { kind: "tasks" };
  if (after !== "") fail("grammar.tasks.one_playlist");
  return { kind: "tasks", playlist: slug(word, "playlist") };
}

function approve(rest: string): Command {
  const [word, after] = take(rest);
  if (word === "") fail("grammar.approve.no_number");
  const submissionId = submissionNumber(word, "approve");
  // Approving with a comment would silently drop the comment, so refuse rather than guess.
  if (after !== "") fail("grammar.approve.only_number");
  return { kind: "approve", submissionId };
}

function undo(rest: string): Command {
  const [word, after] = take(rest);
  if (word === "") fail("grammar.undo.no_number");
  const submissionId = submissionNumber(word, "undo");
  if (after !== "") fail("grammar.undo.one_number");
  return { kind: "undo", submissionId };
}

function changes(rest: string): Command {
  const [word, after] = take(rest);
  if (word === "") fail("grammar.changes.nothing");
  const submissionId = submissionNumber(word, "changes");
  const reason = text(after, "reason");
  if (reason === undefined) fail("grammar.changes.no_reason", { id: submissionId }, "reason_required");
  return { kind: "changes", submissionId, reason };
}

function badge(rest: string): Command {
  const [word, after] = take(rest);
  if (!["publish", "publicar"].includes(trimPunctuation(word.toLowerCase()))) {
    fail("grammar.badge.usage");
  }
  const [playlist, extra] = take(after);
  if (playlist === "") fail("grammar.badge.no_playlist");
  if (extra !== "") fail("grammar.badge.one_playlist");
  return { kind: "badge_publish", playlist: slug(playlist, "playlist") };
}

function revoke(rest: string): Command {
  const [emailWord, afterEmail] = take(rest);
  const [playlistWord, afterPlaylist] = take(afterEmail);
  if (emailWord === "" || playlistWord === "") fail("grammar.revoke.nothing");
  const email = emailAddress(emailWord);
  const playlist = slug(playlistWord, "playlist");
  const reason = text(afterPlaylist, "reason");
  if (reason === undefined) fail("grammar.revoke.no_reason", {}, "reason_required");
  return { kind: "revoke", email, playlist, reason };
}

const SWITCH: ReadonlyMap<string, boolean> = new Map([["on", true], ["off", false], ["sí", true], ["si", true], ["no", false]]);

function remind(rest: string): Command {
  const [word, after] = take(rest);
  const value = trimPunctuation(word.toLowerCase());
  const on = SWITCH.get(value);
  if (on === undefined || after !== "") fail("grammar.remind.usage");
  return { kind: "remind", on };
}

function language(rest: string): Command {
  const [word, after] = take(rest);
  const code = trimPunctuation(word.toLowerCase());
  if (code === "") return { kind: "language" };
  if (!/^[a-z]{2,3}$/.test(code) || after !== "") fail("grammar.language.usage");
  return { kind: "language", language: code };
}

function help(rest: string): Command {
  const topic = trimPunctuation(rest.toLowerCase().replace(/\s+/g, " "));
  return topic === "" ? { kind: "help" } : { kind: "help", topic };
}

function unknownVerb(verb: string, typed: string): never {
  const [suggestion] = closest(verb, VERBS, 1);
  const hint = suggestion === "badge" ? "badges" : suggestion;
  const details = { input: verb, suggestions: hint ? [hint] : [] };
  if (hint) fail("grammar.did_you_mean", { verb: hint }, "bad_command", details);
  fail("grammar.unknown", { word: show(typed) }, "bad_command", details);
}

// ── words ─────────────────────────────────────────────────────────────────

/**
 * Undo what chat clients and phones do to text: smart quotes, invisible
 * characters, control bytes from pastes, CRLF.
 */
function clean(raw: string): string {
  return raw
    .normalize("NFC")
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, "")
    .replace(/\r\n?/g, "\n")
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, " ")
    .trim();
}

/** A leading mention, `/steps` or `steps` is how people address the bot, not part of the command. */
function stripPrefix(text: string): string {
  return text
    .replace(/^(?:<@[A-Z0-9]+(?:\|[^>]*)?>|<at>[^<]*<\/at>)\s*/i, "")
    .replace(/^\/?steps(?=\s|$)\s*/i, "");
}

/** The first whitespace-separated word and the rest, both trimmed. */
function take(text: string): [string, string] {
  const match = /^(\S*)\s*/.exec(text.trimStart());
  const word = match?.[1] ?? "";
  return [word, text.trimStart().slice(match?.[0].length ?? 0).trimEnd()];
}

/** A command of one word, with words after it: said in the words of the person's language (its usage in help). */
function nothingAfter(verb: "status" | "pending" | "badges", rest: string): void {
  if (rest !== "") fail("grammar.nothing_after", { verb });
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function slug(word: string, what: "task" | "playlist" | "program"): string {
  const value = trimPunctuation(unquote(word).toLowerCase()).replace(/_/g, "-");
  if (!SLUG.test(value)) {
    fail("grammar.not_a_name", { word: show(word), what });
  }
  return value;
}

/** `field-hours`, or `early-learning/field-hours`: the task in that program. */
function qualifiedTask(word: string): { task: string; program?: string } {
  const at = word.indexOf("/");
  if (at < 0) return { task: slug(word, "task") };
  return { program: slug(word.slice(0, at), "program"), task: slug(word.slice(at + 1), "task") };
}

/** The command as typed with its program named, e.g. `done early-learning/field-hours https://… note`: what works on every platform. */
export function qualifiedCommand(command: Extract<Command, { kind: "done" | "log" }>, program: string): string {
  const amount = command.kind === "log" ? ` ${command.minutes % 60 === 0 ? `${command.minutes / 60}h` : `${command.minutes}m`}` : "";
  const extra = [command.link, command.note].filter((x) => x !== undefined).join(" ");
  return `${command.kind}${amount} ${program}/${command.task}${extra ? ` ${extra}` : ""}`;
}

function submissionNumber(word: string, verb: string): number {
  const digits = trimPunctuation(unquote(word)).replace(/^#/, "");
  const id = /^\d+$/.test(digits) ? Number(digits) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) {
    fail("grammar.not_a_number", { word: show(word), verb });
  }
  return id;
}

function emailAddress(word: string): string {
  // Some chat apps turn typed addresses into <mailto:a@b.org|a@b.org>.
  const mailto = /^<mailto:([^|>]+)(?:\|[^>]*)?>$/i.exec(word);
  const value = trimPunctuation(unquote(mailto?.[1] ?? word)).toLowerCase();
  if (!/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(value)) {
    fail("grammar.not_an_email", { word: show(word) });
  }
  return value;
}

/** Free text after the arguments; undefined when there is none. */
function text(rest: string, what: "note" | "reason"): string | undefined {
  const value = unquote(rest.replace(/^[-–—:|]+\s*/, "").trim()).trim();
  if (value === "") return undefined;
  const length = [...value].length;
  if (length > MAX_NOTE) fail("grammar.text_too_long", { what, length, max: MAX_NOTE });
  return value;
}

/** The first http(s) URL becomes the evidence link; what is left is the note. */
function noteAndLink(rest: string): { note?: string; link?: string } {
  // Some chat apps wrap URLs as <https://…> or <https://…|label>; other platforms and the CLI send bare URLs.
  const pattern = /<(https?:\/\/[^\s|>]+)(?:\|[^>]*)?>|https?:\/\/[^\s<>]+/i;
  const match = pattern.exec(rest);
  let link: string | undefined;
  let remaining = rest;
  if (match) {
    const url = match[1] ?? trimUrl(match[0]);
    if (isUrl(url)) {
      link = url;
      const end = match.index + match[0].length;
      remaining = `${rest.slice(0, match.index).trimEnd()} ${rest.slice(end).trimStart()}`.trim();
    }
  }
  const note = text(remaining, "note");
  return { ...(note !== undefined && { note }), ...(link !== undefined && { link }) };
}

function isUrl(candidate: string): boolean {
  try {
    const url = new URL(candidate);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** A sentence ending in a link ("see https://x.org/doc.") should not keep the full stop. */
function trimUrl(url: string): string {
  let end = url.length;
  while (end > 0 && ".,;:!?'\")]".includes(url[end - 1]!)) {
    // Keep a closing parenthesis that belongs to the URL, as in Wikipedia links.
    if (url[end - 1] === ")" && url.slice(0, end - 1).includes("(")) break;
    end--;
  }
  return url.slice(0, end);
}

/** Trailing punctuation is sentence noise ("done interview-staff."). A loop, not a regex, so long runs stay linear. */
function trimPunctuation(word: string): string {
  let end = word.length;
  while (end > 0 && ".,;:!?)]}'\"`".includes(word[end - 1]!)) end--;
  return word.slice(0, end);
}

function unquote(value: string): string {
  const first = value[0];
  const last = value[value.length - 1];
  if (value.length >= 2 && first !== undefined && `"'\``.includes(first) && first === last) return value.slice(1, -1);
  if (first !== undefined && `"'\``.includes(first)) return value.slice(1);
  return value;
}

const UNIT_WORDS = new Set(["h", "hr", "hrs", "hour", "hours", "m", "min", "mins", "minute", "minutes"]);

/** `3`, `3h`, `1.5h`, `90m`, `1h30m` (and spelled-out units) as whole minutes; undefined if it is not a duration. */
export function parseDuration(word: string): number | undefined {
  const value = trimPunctuation(word.toLowerCase());
  const hours = /^(\d{1,4}(?:\.\d{1,4})?|\.\d{1,4})(?:h|hr|hrs|hour|hours)?$/.exec(value);
  if (hours) return Math.round(Number(hours[1]) * 60);
  const minutes = /^(\d{1,5})(?:m|min|mins|minute|minutes)$/.exec(value);
  if (minutes) return Number(minutes[1]);
  const both = /^(\d{1,4})(?:h|hr|hrs)(\d{1,2})(?:m|min|mins)?$/.exec(value);
  if (both && Number(both[2]) < 60) return Number(both[1]) * 60 + Number(both[2]);
  return undefined;
}

function show(word: string): string {
  const short = [...word].length > 40 ? `${[...word].slice(0, 40).join("")}…` : word;
  return `\`${short.replace(/`/g, "'")}\``;
}

function fail(key: string, values: Values = {}, code: ErrorCode = "bad_command", details?: Record<string, unknown>): never {
  throw new Refused(code, key, values, details);
}
