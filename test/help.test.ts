import { readdirSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { commandList } from "../adapters/teams/package.ts";
import { commandExample, commandHelp, parseCommand, SAMPLE_EXAMPLES } from "../src/commands/grammar.ts";
import { defaultWords } from "../src/i18n.ts";

const words = defaultWords();
import { createCore } from "../src/domain/core.ts";
import { replyFor } from "../src/domain/replies.ts";
import { isStepsError } from "../src/errors.ts";
import { toPlainText, type Message } from "../src/messages.ts";
import { createProgram, type Program, type Role } from "../src/program/program.ts";
import { loadProgramFile } from "../src/program/load.ts";
import type { Person, Store } from "../src/store.ts";

// Help needs only the program: the store is never asked, so these run without a database.
const ROLES: Role[] = ["intern", "mentor", "coordinator"];
const samples = readdirSync("programs").filter((f) => /^summer-steps.*\.yml$/.test(f));
const programs: [string, Program][] = [];

beforeAll(async () => {
  for (const file of samples) {
    const loaded = await loadProgramFile(`programs/${file}`);
    if (!loaded.ok) throw new Error(`${file} does not load`);
    programs.push([file, createProgram(loaded.file)]);
  }
});

const person = (role: Role): Person => ({ id: 1, email: `${role}@example.org`, name: "Sam", role, department: null, mentorId: null }) as Person;

async function help(program: Program, role: Role, topic?: string): Promise<Message> {
  const core = createCore({ program, store: {} as Store, now: () => new Date("2026-06-16T17:00:00Z"), baseUrl: "https://steps.test" });
  return replyFor(core, person(role), { kind: "help", ...(topic !== undefined && { topic }) });
}

async function helpError(program: Program, role: Role, topic: string): Promise<string> {
  try {
    await help(program, role, topic);
  } catch (error) {
    if (isStepsError(error)) return toPlainText({ text: "", blocks: [{ type: "text", text: error.message }] });
    throw error;
  }
  throw new Error(`help ${topic} answered without an error`);
}

const commandsIn = (message: Message) => [...JSON.stringify(message).matchAll(/<cmd>(.*?)<\/cmd>/g)].map((m) => m[1]!);

/** The task or playlist an example command names; placeholders (`<task>`) are not examples. */
function namesIn(command: string): { tasks: string[]; playlists: string[] } {
  const words = command.split(" ");
  const real = (w: string | undefined) => (w && !/[<[]/.test(w) ? [w] : []);
  if (words[0] === "done") return { tasks: real(words[1]), playlists: [] };
  if (words[0] === "log") return { tasks: real(words[2]), playlists: [] };
  if (words[0] === "tasks") return { tasks: [], playlists: real(words[1]) };
  if (words[0] === "badge") return { tasks: [], playlists: real(words[2]) };
  if (words[0] === "revoke") return { tasks: [], playlists: real(words[2]) };
  return { tasks: [], playlists: [] };
}

function expectReal(program: Program, commands: string[]) {
  const names = commands.map(namesIn);
  expect(names.flatMap((n) => n.tasks).filter((t) => !program.task(t))).toEqual([]);
  expect(names.flatMap((n) => n.playlists).filter((p) => !program.playlist(p))).toEqual([]);
}

describe("help", () => {
  it("has a sample program to check against", () => {
    expect(samples).toContain("summer-steps.yml");
  });

  it("every example in help names a real task and playlist of the sample programs", async () => {
    for (const [, program] of programs) {
      for (const role of ROLES) {
        const commands = commandsIn(await help(program, role));
        for (const c of commandHelp.filter((c) => c.roles.includes(role))) commands.push(...commandsIn(await help(program, role, c.name)));
        expect(commands.some((c) => c.startsWith("done ") || c.startsWith("tasks "))).toBe(true);
        expectReal(program, commands);
      }
    }
  });

  it("static texts (parse errors, the Teams command list) name the sample program's tasks", () => {
    const [, program] = programs.find(([f]) => f === "summer-steps.yml")!;
    const errors = ["log", "log 2h", "log lots x", "log 0 x", "log 25h x", "done", "badge publish", "revoke sam"].map((text) => {
      const parsed = parseCommand(text, (key, values) => defaultWords().t("en", key, values));
      return parsed.ok ? "" : parsed.error.message;
    });
    expectReal(program, errors.flatMap((e) => [...e.matchAll(/<cmd>(.*?)<\/cmd>/g)].map((m) => m[1]!)));
    for (const lang of words.languages) expectReal(program, commandHelp.flatMap((c) => commandExample(c, SAMPLE_EXAMPLES, (key, values) => words.t(lang, key, values)) ?? []));
    const listed = commandList().flatMap((c) => /E\.g\. (.*)$/.exec(c.description)?.[1] ?? []);
    expect(listed).toContain("log 1h30m field-hours");
    expectReal(program, listed);
  });

  it("`help <command>` shows that command's usage, what it does and an example from the loaded program", async () => {
    const [, program] = programs.find(([f]) => f === "summer-steps.yml")!;
    expect(toPlainText(await help(program, "intern", "log"))).toBe("`log <hours> <task> [note]`\nLog time on an hours task.\nExample: `log 1h30m initial-training`");
    expect(toPlainText(await help(program, "intern", "badge"))).toContain("Example: `badge publish steps`");
    expect(toPlainText(await help(program, "intern", "done"))).not.toContain("remind");
  });

  it("an unknown command name says so and lists the person's commands", async () => {
    const [, program] = programs.find(([f]) => f === "summer-steps.yml")!;
    expect(await helpError(program, "intern", "fly")).toBe(
      "There is no command `fly`. Your commands are `done`, `log`, `status`, `tasks`, `badges`, `badge publish`, `undo`, `remind`, `language`, `help`.",
    );
  });

  it("lists only what the person's role can do: no `status` or `badges` for mentors and coordinators", async () => {
    const [, program] = programs.find(([f]) => f === "summer-steps.yml")!;
    const first = (m: Message) => commandsIn(m).map((c) => c.split(" ")[0]);
    expect(first(await help(program, "mentor"))).toEqual(["tasks", "pending", "approve", "changes", "digest", "remind", "language", "help", "help", "help"]);
    expect(first(await help(program, "coordinator"))).toContain("revoke");
    expect(first(await help(program, "coordinator"))).not.toContain("status");
    expect(await helpError(program, "mentor", "status")).toBe("`status` is only for interns. Type `help` to see your commands.");
  });
});
