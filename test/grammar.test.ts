import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commandHelp, parseCommand, type Command } from "../src/commands/grammar.ts";
import { StepsError, type ErrorCode } from "../src/errors.ts";
import { defaultWords, type Values } from "../src/i18n.ts";
import { plainCommand, spellCommands } from "../src/messages.ts";

const { t } = defaultWords();
/** The refusals in English, as most of these tests read them; Spanish ones are tested below. */
const english = (key: string, values?: Values) => t("en", key, values);

function command(text: string): Command {
  const result = parseCommand(text, english);
  if (!result.ok) throw new Error(`expected a command for ${JSON.stringify(text)}, got ${result.error.code}: ${result.error.message}`);
  return result.command;
}

/** The error as a platform where commands are typed as they are shows it. */
function error(text: string): { code: ErrorCode; message: string } {
  const result = parseCommand(text, english);
  if (result.ok) throw new Error(`expected an error for ${JSON.stringify(text)}, got ${JSON.stringify(result.command)}`);
  return { code: result.error.code, message: spellCommands(result.error.message, plainCommand) };
}

describe("parseCommand: commands", () => {
  it.each<[string, Command]>([
    ["done interview-staff", { kind: "done", task: "interview-staff" }],
    ["/steps done interview-staff", { kind: "done", task: "interview-staff" }],
    ["steps done interview-staff", { kind: "done", task: "interview-staff" }],
    ["  STEPS   DONE   Interview-Staff.  ", { kind: "done", task: "interview-staff" }],
    ["done interview_staff", { kind: "done", task: "interview-staff" }],
    ["done “interview-staff”", { kind: "done", task: "interview-staff" }],
    ["done interview-staff, talked to Ana", { kind: "done", task: "interview-staff", note: "talked to Ana" }],
    ["done interview-staff – talked to Ana", { kind: "done", task: "interview-staff", note: "talked to Ana" }],
    ["done interview-staff “it went well”", { kind: "done", task: "interview-staff", note: "it went well" }],
    ["done interview-staff https://docs.example.org/notes", { kind: "done", task: "interview-staff", link: "https://docs.example.org/notes" }],
    [
      "done interview-staff notes at https://docs.example.org/a?b=1. Thanks!",
      { kind: "done", task: "interview-staff", note: "notes at Thanks!", link: "https://docs.example.org/a?b=1" },
    ],
    [
      "done interview-staff see <https://example.org/x|example.org/x> and http://second.example.org",
      { kind: "done", task: "interview-staff", note: "see and http://second.example.org", link: "https://example.org/x" },
    ],
    ["done interview-staff line one\nline two", { kind: "done", task: "interview-staff", note: "line one\nline two" }],
    ["<@U0123ABC> done interview-staff", { kind: "done", task: "interview-staff" }],
    ["<at>Steps</at> done interview-staff", { kind: "done", task: "interview-staff" }],
    ["done\u200b interview-staff\u0007", { kind: "done", task: "interview-staff" }],
    ["log 3 shadow-day", { kind: "log", minutes: 180, task: "shadow-day" }],
    ["log 3h shadow-day", { kind: "log", minutes: 180, task: "shadow-day" }],
    ["log 1.5h shadow-day", { kind: "log", minutes: 90, task: "shadow-day" }],
    ["log 90m shadow-day", { kind: "log", minutes: 90, task: "shadow-day" }],
    ["log 1h30m shadow-day", { kind: "log", minutes: 90, task: "shadow-day" }],
    ["log 2 hours shadow-day", { kind: "log", minutes: 120, task: "shadow-day" }],
    ["log 1.5 h shadow-day", { kind: "log", minutes: 90, task: "shadow-day" }],
    ["log 24h shadow-day", { kind: "log", minutes: 1440, task: "shadow-day" }],
    ["log shadow-day 2h", { kind: "log", minutes: 120, task: "shadow-day" }],
    [
      "log 2h shadow-day filed permits https://example.org/p",
      { kind: "log", minutes: 120, task: "shadow-day", note: "filed permits", link: "https://example.org/p" },
    ],
    ["status", { kind: "status" }],
    ["Status.", { kind: "status" }],
    ["tasks", { kind: "tasks" }],
    ["tasks Onboarding", { kind: "tasks", playlist: "onboarding" }],
    ["pending", { kind: "pending" }],
    ["approve 42", { kind: "approve", submissionId: 42 }],
    ["approve #42", { kind: "approve", submissionId: 42 }],
    ["approve #42.", { kind: "approve", submissionId: 42 }],
    ["approve 9007199254740991", { kind: "approve", submissionId: 9007199254740991 }],
    ["changes 42 add a photo of your notes", { kind: "changes", submissionId: 42, reason: "add a photo of your notes" }],
    ["changes #7 ‘needs a date’", { kind: "changes", submissionId: 7, reason: "needs a date" }],
    ["digest", { kind: "digest" }],
    ["digest full", { kind: "digest", full: true }],
    ["badges", { kind: "badges" }],
    ["badge publish onboarding", { kind: "badge_publish", playlist: "onboarding" }],
    ["Badge Publish Onboarding!", { kind: "badge_publish", playlist: "onboarding" }],
    ["revoke Sam@Example.org onboarding issued by mistake", { kind: "revoke", email: "sam@example.org", playlist: "onboarding", reason: "issued by mistake" }],
    [
      "revoke <mailto:sam@example.org|sam@example.org> onboarding wrong intern",
      { kind: "revoke", email: "sam@example.org", playlist: "onboarding", reason: "wrong intern" },
    ],
    ["remind on", { kind: "remind", on: true }],
    ["remind OFF", { kind: "remind", on: false }],
    ["help", { kind: "help" }],
    ["help Done?", { kind: "help", topic: "done" }],
    ["help badge   publish", { kind: "help", topic: "badge publish" }],
    ["?", { kind: "help" }],
    ["", { kind: "help" }],
    ["   \n\t ", { kind: "help" }],
    ["steps", { kind: "help" }],
    ["/steps", { kind: "help" }],
  ])("%j", (text, expected) => {
    expect(command(text)).toEqual(expected);
  });

  it("accepts a note of exactly 2,000 characters", () => {
    const note = "a".repeat(2000);
    expect(command(`done interview-staff ${note}`)).toEqual({ kind: "done", task: "interview-staff", note });
  });
});

describe("parseCommand: errors", () => {
  it.each<[string, ErrorCode, string]>([
    ["dnoe interview-staff", "bad_command", "Did you mean `done`? Type `help` for all commands."],
    ["aprove 42", "bad_command", "Did you mean `approve`? Type `help` for all commands."],
    ["stat", "bad_command", "Did you mean `status`? Type `help` for all commands."],
    ["badgs", "bad_command", "Did you mean `badges`? Type `help` for all commands."],
    ["xyzzy", "bad_command", "I don't know `xyzzy`. Type `help` for all commands."],
    ["interview-staff", "bad_command", "I don't know `interview-staff`. Type `help` for all commands."],
    ["done", "bad_command", "Say which task: `done <task>`, e.g. `done interview-staff`."],
    ["done ???", "bad_command", "`???` isn't a task name. Names look like `interview-staff`; type `tasks` to see them."],
    ["done café", "bad_command", "`café` isn't a task name. Names look like `interview-staff`; type `tasks` to see them."],
    ["log", "bad_command", "Say how long and which task: `log <hours> <task>`, e.g. `log 2h field-hours`."],
    ["log 2h", "bad_command", "Say which task: `log <hours> <task>`, e.g. `log 2h field-hours`."],
    ["log 0 shadow-day", "bad_hours", "Log more than 0 minutes, e.g. `log 30m field-hours`."],
    ["log 0h0m shadow-day", "bad_hours", "Log more than 0 minutes, e.g. `log 30m field-hours`."],
    ["log 0.001h shadow-day", "bad_hours", "Log more than 0 minutes, e.g. `log 30m field-hours`."],
    ["log 25h shadow-day", "bad_hours", "One entry can be at most 24 hours. Log each day separately, e.g. `log 8h field-hours`."],
    ["log 1441m shadow-day", "bad_hours", "One entry can be at most 24 hours. Log each day separately, e.g. `log 8h field-hours`."],
    ["log -2h shadow-day", "bad_hours", "`-2h` isn't an amount of time. Use hours or minutes, e.g. `log 2h field-hours` or `log 90m field-hours`."],
    ["log lots shadow-day", "bad_hours", "`lots` isn't an amount of time. Use hours or minutes, e.g. `log 2h field-hours` or `log 90m field-hours`."],
    ["log 1h75m shadow-day", "bad_hours", "`1h75m` isn't an amount of time. Use hours or minutes, e.g. `log 2h field-hours` or `log 90m field-hours`."],
    ["status please", "bad_command", "`status` doesn't take anything more. Type `status`."],
    ["pending now", "bad_command", "`pending` doesn't take anything more. Type `pending`."],
    ["digest x", "bad_command", "Type `digest` for this week's summary, or `digest full` for every line of it."],
    ["badges x", "bad_command", "`badges` doesn't take anything more. Type `badges`."],
    ["tasks career readiness", "bad_command", "Give just one playlist after `tasks`: `tasks <playlist>`."],
    ["approve", "bad_command", "Say which submission: `approve <number>`, e.g. `approve 42`. Type `pending` to see the numbers."],
    ["approve 0", "bad_command", "`0` isn't a submission number. Use the number from the request, e.g. `approve 42`; type `pending` to see them."],
    ["approve #-3", "bad_command", "`#-3` isn't a submission number. Use the number from the request, e.g. `approve 42`; type `pending` to see them."],
    ["approve 1.5", "bad_command", "`1.5` isn't a submission number. Use the number from the request, e.g. `approve 42`; type `pending` to see them."],
    [
      "approve 9007199254740992",
      "bad_command",
      "`9007199254740992` isn't a submission number. Use the number from the request, e.g. `approve 42`; type `pending` to see them.",
    ],
    ["approve 42 nice work", "bad_command", "`approve` takes only the submission number, e.g. `approve 42`. To ask for changes, use `changes 42 <reason>`."],
    ["changes", "bad_command", "Say which submission and why: `changes <number> <reason>`, e.g. `changes 42 add a photo of your notes`."],
    ["changes abc fix it", "bad_command", "`abc` isn't a submission number. Use the number from the request, e.g. `changes 42`; type `pending` to see them."],
    ["changes 42", "reason_required", "Say what to change so your intern knows what to fix, e.g. `changes 42 add a photo of your notes`."],
    ["changes #42 “ ”", "reason_required", "Say what to change so your intern knows what to fix, e.g. `changes 42 add a photo of your notes`."],
    ["badge", "bad_command", "To see your badges, type `badges`. To make a badge page public, type `badge publish <playlist>`."],
    ["badge onboarding", "bad_command", "To see your badges, type `badges`. To make a badge page public, type `badge publish <playlist>`."],
    ["badge publish", "bad_command", "Say which playlist: `badge publish <playlist>`, e.g. `badge publish steps`."],
    ["badge publish onboarding now", "bad_command", "Give just one playlist after `badge publish`: `badge publish <playlist>`."],
    [
      "revoke sam@example.org",
      "bad_command",
      "Say whose badge, which playlist and why: `revoke <email> <playlist> <reason>`, e.g. `revoke sam@example.org steps issued by mistake`.",
    ],
    [
      "revoke sam onboarding oops",
      "bad_command",
      "`sam` isn't an email address. Start with the intern's email, e.g. `revoke sam@example.org steps issued by mistake`.",
    ],
    [
      "revoke sam@example.org onboarding",
      "reason_required",
      "Say why the badge is being revoked; the intern will see it. `revoke <email> <playlist> <reason>`, e.g. `revoke sam@example.org steps issued by mistake`.",
    ],
    ["remind", "bad_command", "Say `remind on` or `remind off`."],
    ["remind maybe", "bad_command", "Say `remind on` or `remind off`."],
    ["remind on please", "bad_command", "Say `remind on` or `remind off`."],
  ])("%j", (text, code, message) => {
    expect(error(text)).toEqual({ code, message });
  });

  it("refuses a note over 2,000 characters and says the limit", () => {
    expect(error(`done interview-staff ${"a".repeat(2001)}`)).toEqual({
      code: "bad_command",
      message: "Your note is 2,001 characters; the limit is 2,000. Shorten it, or put the long version in a doc and send its link.",
    });
  });

  it("refuses a long reason the same way", () => {
    expect(error(`changes 4 ${"b".repeat(2500)}`).message).toBe(
      "Your reason is 2,500 characters; the limit is 2,000. Shorten it, or put the long version in a doc and send its link.",
    );
  });

  it("refuses a pasted essay before parsing it", () => {
    expect(error(`done interview-staff ${"word ".repeat(1000)}`)).toEqual({
      code: "bad_command",
      message: "That message is 5,020 characters; commands must be under 4,000. Shorten your note or send a link instead.",
    });
  });

  it("marks commands for each platform to spell, and leaves what the person typed as typed", () => {
    const result = parseCommand("xyzzy", english);
    expect(!result.ok && result.error.message).toBe("I don't know `xyzzy`. Type <cmd>help</cmd> for all commands.");
  });

  it("shortens a long unknown word in the reply", () => {
    expect(error(`${"z".repeat(60)} x`).message).toBe(`I don't know \`${"z".repeat(40)}…\`. Type \`help\` for all commands.`);
  });

  it("puts the suggestion in details for adapters", () => {
    const result = parseCommand("dnoe x", english);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.details).toEqual({ input: "dnoe", suggestions: ["done"] });
  });
});

describe("commandHelp", () => {
  it("documents every verb once, with at least one role", () => {
    const verbs = commandHelp.map((entry) => defaultWords().t("en", entry.usage).split(" ")[0]);
    expect(verbs).toEqual(["done", "log", "status", "tasks", "pending", "approve", "changes", "digest", "badges", "badge", "undo", "revoke", "remind", "language", "help"]);
    for (const entry of commandHelp) expect(entry.roles.length).toBeGreaterThan(0);
  });

  it("has usages that parse once placeholders are filled in", () => {
    const filled: Record<string, string> = {
      "<task>": "interview-staff",
      "[note or link]": "https://example.org",
      "<hours>": "2h",
      "[note]": "a note",
      "[playlist]": "onboarding",
      "<number>": "42",
      "<reason>": "add a photo",
      "<playlist>": "onboarding",
      "<email>": "sam@example.org",
      "on|off": "on",
      "[command]": "done",
      "[full]": "full",
      "[en|es]": "es",
      "<tarea>": "interview-staff",
      "[nota o enlace]": "https://example.org",
      "<horas>": "2h",
      "[nota]": "una nota",
      "[lista]": "onboarding",
      "<número>": "42",
      "<motivo>": "añade una foto",
      "<lista>": "onboarding",
      "sí|no": "sí",
      "[comando]": "hecho",
      "[completo]": "completo",
      "[es|en]": "en",
    };
    const words = defaultWords();
    for (const lang of words.languages) {
      for (const { usage } of commandHelp) {
        const text = words.t(lang, usage).replace(/<[^>]+>|\[[^\]]+\]|on\|off|sí\|no/g, (placeholder) => filled[placeholder] ?? placeholder);
        expect(parseCommand(text, english).ok, text).toBe(true);
      }
    }
  });
});

// ── properties ────────────────────────────────────────────────────────────

const ERROR_CODES: ErrorCode[] = ["bad_command", "bad_hours", "reason_required"];
const VERBS = ["done", "log", "status", "tasks", "pending", "approve", "changes", "digest", "badges", "badge", "undo", "revoke", "remind", "help", "steps", "/steps"];

const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: fc.constantFrom("\u0000", "\u0007", "\u001b", "\r", "\n", "\t", "\u200b", "\ufeff", "\u2028", "“", "”", "‘", "’", " ", "#", "-", ".", "<", ">", "|", "@", "h", "m", "1", "0"), maxLength: 200 }),
  fc.tuple(fc.constantFrom(...VERBS), fc.string({ unit: "grapheme", maxLength: 200 })).map(([verb, rest]) => `${verb} ${rest}`),
  fc.tuple(fc.constantFrom(...VERBS), fc.constantFrom(...VERBS), fc.string({ unit: "binary", maxLength: 50 })).map((parts) => parts.join(" ")),
  fc.tuple(fc.constantFrom(...VERBS), fc.string({ unit: "binary-ascii", minLength: 3000, maxLength: 6000 })).map(([verb, rest]) => `${verb} x ${rest}`),
);

describe("parseCommand properties", () => {
  it("never throws, and every refusal is a StepsError with a message", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = parseCommand(text, english);
        if (result.ok) {
          expect(typeof result.command.kind).toBe("string");
        } else {
          expect(result.error).toBeInstanceOf(StepsError);
          expect(ERROR_CODES).toContain(result.error.code);
          expect(result.error.message.trim().length).toBeGreaterThan(0);
          expect(result.error.message.length).toBeLessThan(400);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("only ever returns well-formed commands", () => {
    const slug = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
    fc.assert(
      fc.property(anyText, (text) => {
        const result = parseCommand(text, english);
        if (!result.ok) return;
        const c = result.command;
        if (c.kind === "done" || c.kind === "log") {
          expect(c.task).toMatch(slug);
          if (c.note !== undefined) expect([...c.note].length).toBeLessThanOrEqual(2000);
          if (c.note !== undefined) expect(c.note).toBe(c.note.trim());
          if (c.link !== undefined) expect(c.link).toMatch(/^https?:\/\//i);
        }
        if (c.kind === "log") expect(c.minutes > 0 && c.minutes <= 1440 && Number.isInteger(c.minutes)).toBe(true);
        if (c.kind === "approve" || c.kind === "changes") expect(Number.isSafeInteger(c.submissionId) && c.submissionId > 0).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  const slug = fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 4 }).map((parts) => parts.join("-"));
  const words = fc
    .array(fc.stringMatching(/^[A-Za-z0-9éñü.,!?;()]{1,12}$/), { minLength: 1, maxLength: 12 })
    .map((list) => list.join(" "))
    .filter((text) => !/^[-–—:|"'`]/.test(text));
  const link = fc.stringMatching(/^[a-z0-9/_=-]{0,30}$/).map((path) => `https://example.org/${path}`.replace(/[-/_=]+$/, ""));
  const email = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,10}$/), fc.stringMatching(/^[a-z0-9]{1,10}$/)).map(([user, host]) => `${user}@${host}.org`);
  const id = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

  const validCommand: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ kind: fc.constant("done" as const), task: slug, note: words, link }, { requiredKeys: ["kind", "task"] }),
    fc.record(
      { kind: fc.constant("log" as const), minutes: fc.integer({ min: 1, max: 1440 }), task: slug, note: words, link },
      { requiredKeys: ["kind", "minutes", "task"] },
    ),
    fc.constant({ kind: "status" as const }),
    fc.record({ kind: fc.constant("tasks" as const), playlist: slug }, { requiredKeys: ["kind"] }),
    fc.constant({ kind: "pending" as const }),
    fc.record({ kind: fc.constant("approve" as const), submissionId: id }),
    fc.record({ kind: fc.constant("changes" as const), submissionId: id, reason: words }),
    fc.constant({ kind: "digest" as const }),
    fc.constant({ kind: "badges" as const }),
    fc.record({ kind: fc.constant("badge_publish" as const), playlist: slug }),
    fc.record({ kind: fc.constant("revoke" as const), email, playlist: slug, reason: words }),
    fc.record({ kind: fc.constant("remind" as const), on: fc.boolean() }),
    fc.record({ kind: fc.constant("help" as const), topic: fc.constantFrom("done", "log", "badge publish", "remind") }, { requiredKeys: ["kind"] }),
  );

  /** Writes a command the way a person might type it. */
  function format(c: Command, style: { prefix: string; gap: string; upper: boolean; hash: boolean; hoursStyle: number }): string {
    const verb = (word: string) => (style.upper ? word.toUpperCase() : word);
    const duration = (minutes: number) =>
      style.hoursStyle === 0 || minutes < 60 || minutes % 60 === 0
        ? minutes % 60 === 0 && style.hoursStyle !== 0
          ? `${minutes / 60}h`
          : `${minutes}m`
        : `${Math.floor(minutes / 60)}h${minutes % 60}m`;
    const id = (n: number) => (style.hash ? `#${n}` : `${n}`);
    const parts = ((): (string | undefined)[] => {
      switch (c.kind) {
        case "done":
          return [verb("done"), c.task, c.note, c.link];
        case "log":
          return [verb("log"), duration(c.minutes), c.task, c.note, c.link];
        case "tasks":
          return [verb("tasks"), c.playlist];
        case "approve":
          return [verb("approve"), id(c.submissionId)];
        case "changes":
          return [verb("changes"), id(c.submissionId), c.reason];
        case "badge_publish":
          return [verb("badge"), verb("publish"), c.playlist];
        case "revoke":
          return [verb("revoke"), c.email, c.playlist, c.reason];
        case "remind":
          return [verb("remind"), c.on ? "on" : "off"];
        case "help":
          return [verb("help"), c.topic];
        default:
          return [verb(c.kind)];
      }
    })();
    return style.prefix + parts.filter((part) => part !== undefined).join(style.gap);
  }

  it("round-trips every valid command however it is typed", () => {
    const style = fc.record({
      prefix: fc.constantFrom("", "/steps ", "steps ", "Steps\t", "  "),
      gap: fc.constantFrom(" ", "  ", "\t", " \u00a0"),
      upper: fc.boolean(),
      hash: fc.boolean(),
      hoursStyle: fc.integer({ min: 0, max: 1 }),
    });
    fc.assert(
      fc.property(validCommand, style, (c, s) => {
        const text = format(c, s);
        expect(parseCommand(text, english), text).toEqual({ ok: true, command: c });
      }),
      { numRuns: 2000 },
    );
  });
});
