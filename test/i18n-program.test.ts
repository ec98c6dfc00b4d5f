import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { errorReply } from "../src/chat.ts";
import { progressAmount } from "../src/domain/views.ts";
import { parseCommand } from "../src/commands/grammar.ts";
import { silentLogger } from "../src/log.ts";
import { defaultWords, voice } from "../src/i18n.ts";
import { plainCommand, spellCommands, toPlainText } from "../src/messages.ts";
import { parseProgramFile } from "../src/program/load.ts";
import { createProgram } from "../src/program/program.ts";
import { nudgeMessage, reminderMessage } from "../src/schedule/messages.ts";
import type { Person, Submission } from "../src/store.ts";
import { harness } from "./support/harness.ts";
import { testProgram } from "./support/program.ts";

const { t } = defaultWords();

/** The test program as a coordinator would write it, changed by `edit`, read through the file loader. */
function programText(edit: (file: Record<string, any>) => void): string {
  const file = structuredClone(testProgram().file) as Record<string, any>;
  edit(file);
  return stringify(file);
}

function load(edit: (file: Record<string, any>) => void) {
  const result = parseProgramFile(programText(edit), "program.yml");
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join("\n"));
  return createProgram(result.file);
}

function errors(edit: (file: Record<string, any>) => void) {
  const result = parseProgramFile(programText(edit), "program.yml");
  return result.ok ? [] : result.errors;
}

const translated = (file: Record<string, any>) => {
  file.departments[0].name = { en: "Public Works", es: "Obras públicas" };
  file.playlists[0].title = { en: "STEPS", es: "Lo esencial" };
  file.playlists[0].badge.name = { en: "STEPS Civic Explorer", es: "Exploradora cívica de STEPS" };
  file.playlists[1].tasks[0].title = { en: "Safety walk", es: "Recorrido de seguridad" };
  file.playlists[1].tasks[0].description = { en: "Walk the yard with the safety officer.", es: "Recorre el patio con la persona de seguridad." };
};

describe("program-file translations", () => {
  it("a title, description or badge name may be a map by language; the plain text is the program's language", () => {
    const program = load(translated);
    const task = program.task("safety-walk")!.task;
    expect(task.title).toBe("Safety walk");
    expect(task.translations).toEqual({
      title: { en: "Safety walk", es: "Recorrido de seguridad" },
      description: { en: "Walk the yard with the safety officer.", es: "Recorre el patio con la persona de seguridad." },
    });
    expect(program.playlist("steps")!.badge.name).toBe("STEPS Civic Explorer");
    // Plain texts stay as they were, with nothing beside them.
    expect(program.task("fleet-tour")!.task).not.toHaveProperty("translations");
  });

  it("falls back to the program's language, then to any the file gives", () => {
    const spanish = load((f) => {
      translated(f);
      f.program.language = "es";
      f.playlists[2].title = { en: "Fire only in English" };
    });
    expect(spanish.task("safety-walk")!.task.title).toBe("Recorrido de seguridad");
    expect(spanish.playlist("fire")!.title).toBe("Fire only in English");
    const v = voice(t, "es", spanish.timeZone);
    expect(v.local(spanish.playlist("fire")!, "title")).toBe("Fire only in English");
    expect(v.local(spanish.playlist("steps")!.badge, "name")).toBe("Exploradora cívica de STEPS");
  });

  it("each person reads the titles in their language", async () => {
    const h = await harness({ program: load(translated) });
    await h.say("ana@example.org", "idioma es");
    const tasks = await h.say("ana@example.org", "tareas");
    expect(tasks).toMatch(/^Lo esencial\n/);
    expect(tasks).toContain("safety-walk: Recorrido de seguridad");
    const done = await h.say("ana@example.org", "hecho safety-walk");
    expect(done).toMatch(/^¡Anotado! Recorrido de seguridad \(#\d+\)\. Max Mentor lo revisará\./);
    expect(done).toContain("Recorrido de seguridad (safety-walk): 0/1 (0%) · 1 esperando aprobación");
    // Max reads his approval request in English, with the English title.
    const [request] = await h.inbox("max@example.org");
    expect(request).toContain("Ana Intern completed Safety walk. Approve it, or send it back with a reason.");
    expect(await h.say("ben@example.org", "tasks")).toContain("safety-walk: Safety walk");
    await h.say("cora@example.org", "idioma es");
    expect(await h.say("cora@example.org", "resumen")).toContain("Obras públicas: avance medio de sus 2 pasantes");
    expect(await h.say("max@example.org", "digest")).toContain("Public Works: average progress of its 2 interns");
    await h.close();
  });

  it("refuses an empty map, a key that is not a language, and a wrong type, each at its place", () => {
    expect(errors((f) => (f.playlists[0].tasks[0].title = {}))).toContainEqual(
      expect.objectContaining({ path: "playlists[0].tasks[0].title", message: "give the text in at least one language, e.g. { en: …, es: … }" }),
    );
    expect(errors((f) => (f.playlists[0].title = { english: "STEPS" }))).toContainEqual(expect.objectContaining({ path: "playlists[0].title" }));
    expect(errors((f) => (f.playlists[0].badge.name = 3))).toContainEqual(
      expect.objectContaining({ path: "playlists[0].badge.name", message: "use a text, or a map of texts by language: { en: …, es: … }" }),
    );
  });
});

describe("a program's own texts", () => {
  const own = (file: Record<string, any>) => {
    file.texts = { en: { "done.recorded": "Got it: {task} (#{id}). {approvers, select, one {{approver}} other {The coordinators}} will take a look." } };
  };

  it("override the catalog's in that language only", async () => {
    const h = await harness({ program: load(own) });
    expect(await h.say("ben@example.org", "done safety-walk")).toMatch(/^Got it: Safety walk \(#\d+\)\. Max Mentor will take a look\./);
    await h.say("ana@example.org", "idioma es");
    expect(await h.say("ana@example.org", "hecho safety-walk")).toMatch(/^¡Anotado! Safety walk/);
    await h.close();
  });

  it("are checked when the file is read: a key no catalog has, a broken message, a language Steps does not speak", () => {
    const found = errors((f) => {
      f.texts = {
        en: { "done.recordd": "Got it.", "remind.on": "Reminders {on", "done.recorded": "Got {task} from {intern}." },
        fr: { "remind.on": "Rappels activés." },
      };
    });
    expect(found.map((e) => ({ path: e.path, message: e.message.replace(/\(.*\)/, "(…)") }))).toEqual([
      { path: "texts.en.done.recordd", message: 'no text "done.recordd" in the catalogs; copy the key from locales/en.json' },
      { path: "texts.en.remind.on", message: "not a valid ICU message (…); keep the {names} and braces of locales/en.json" },
      { path: "texts.en.done.recorded", message: "Steps gives this text no {intern}; it may use {task}, {id}, {approvers}, {approver}" },
      { path: "texts.fr", message: 'Steps has no catalog for "fr"; use one of en, es' },
    ]);
    expect(found.every((e) => typeof e.line === "number")).toBe(true);
  });
});

describe("an unexpected failure", () => {
  it("is logged and answered vaguely in the reader's language", () => {
    const logged: string[] = [];
    const log = { ...silentLogger, error: (message: string) => void logged.push(message) };
    const reply = errorReply(new Error("database unavailable"), log, voice(t, "es", "America/Los_Angeles"));
    expect(reply.text).toBe("Steps no pudo hacerlo ahora mismo. No se perdió nada; inténtalo de nuevo en un minuto.");
    expect(logged).toEqual(["command failed"]);
  });
});

describe("the grammar's refusals in Spanish", () => {
  const es = (key: string, values?: Record<string, string | number | Date>) => t("es", key, values);
  const refusal = (text: string) => {
    const result = parseCommand(text, es);
    if (result.ok) throw new Error(`expected a refusal for ${text}`);
    return { code: result.error.code, message: spellCommands(result.error.message, plainCommand) };
  };

  it.each([
    ["hecho", "bad_command", "Di qué tarea: `hecho <tarea>`, por ejemplo `hecho interview-staff`."],
    ["dnoe x", "bad_command", "¿Quisiste decir `hecho`? Escribe `ayuda` para ver todos los comandos."],
    ["xyzzy", "bad_command", "No conozco `xyzzy`. Escribe `ayuda` para ver todos los comandos."],
    ["estado ya", "bad_command", "`estado` no lleva nada más. Escribe solo `estado`."],
    ["registrar 25h field-hours", "bad_hours", "Cada registro puede tener como máximo 24 horas. Registra cada día por separado, por ejemplo `registrar 8h field-hours`."],
    ["aprobar abc", "bad_command", "`abc` no es un número de entrega. Usa el número que sale en la solicitud, por ejemplo `aprobar 42`; escribe `pendientes` para verlos."],
    ["cambios 42", "reason_required", "Di qué hay que cambiar para que tu pasante sepa qué corregir, por ejemplo `cambios 42 añade una foto de tus notas`."],
    ["recordatorios quizás", "bad_command", "Escribe `recordatorios sí` o `recordatorios no`."],
  ])("%j", (text, code, message) => {
    expect(refusal(text)).toEqual({ code, message });
  });

  it("writes numbers the Spanish way and keeps the details for adapters", () => {
    expect(refusal(`hecho x ${"a".repeat(2001)}`).message).toBe(
      "Tu nota tiene 2001 caracteres; el límite es 2000. Acórtala, o pon la versión larga en un documento y manda el enlace.",
    );
    const result = parseCommand("dnoe x", es);
    expect(!result.ok && result.error.details).toEqual({ input: "dnoe", suggestions: ["done"] });
  });

  it("reach a Spanish speaker through the core", async () => {
    const h = await harness();
    await h.say("ana@example.org", "idioma es");
    expect(await h.say("ana@example.org", "registrar")).toBe("Di cuánto tiempo y qué tarea: `registrar <horas> <tarea>`, por ejemplo `registrar 2h field-hours`.");
    expect(await h.say("ben@example.org", "registrar")).toBe("Say how long and which task: `log <hours> <task>`, e.g. `log 2h field-hours`.");
    // Numbers as each language writes them.
    expect(await h.say("ana@example.org", "registrar 90m field-hours")).toMatch(/^¡Anotado! 1,5 h en Field hours \(#\d+\)\./);
    expect(await h.say("ana@example.org", "estado")).toContain("Field hours (field-hours): 0/20 h (0%) · 1,5 h esperando aprobación");
    expect((await h.inbox("max@example.org")).at(-1)).toContain("Hours: 1.5");
    expect(progressAmount("hours", 7.5, 20, voice(t, "es", "UTC"))).toBe("7,5/20 h (37%)");
    expect(progressAmount("hours", 7.5, 20, voice(t, "en", "UTC"))).toBe("7.5/20 h (37%)");
    await h.close();
  });
});

describe("reminders and nudges in the reader's language", () => {
  const program = testProgram();
  const event = { slug: "council", title: "City Council meeting", translations: { title: { es: "Reunión del Concejo" } }, place: "Council Chambers", reminders: [], audience: "everyone" as const, starts: () => [] };
  const start = new Date("2026-06-18T01:00:00Z");

  it("say how far off the event is, with the time as each language writes it", () => {
    const dayBefore = new Date("2026-06-17T16:00:00Z");
    expect(toPlainText(reminderMessage(event, start, dayBefore, voice(t, "en", program.timeZone)))).toBe(
      "Reminder: City Council meeting\nCity Council meeting is today at 6:00 PM.\nWhen: Jun 17, 6:00 PM\nWhere: Council Chambers\nType `remind off` to stop reminders.",
    );
    expect(toPlainText(reminderMessage(event, start, new Date("2026-06-16T16:00:00Z"), voice(t, "es", program.timeZone)))).toBe(
      "Recordatorio: Reunión del Concejo\nReunión del Concejo es mañana a las 18:00.\nCuándo: 17 jun, 18:00\nDónde: Council Chambers\nEscribe `recordatorios no` para dejar de recibirlos.",
    );
    expect(reminderMessage(event, start, new Date("2026-06-18T00:00:00Z"), voice(t, "es", program.timeZone)).blocks[1]).toEqual({ type: "text", text: "Reunión del Concejo empieza en 1 hora." });
    expect(reminderMessage({ ...event, title: "" }, start, new Date("2026-06-18T00:30:00Z"), voice(t, "es", program.timeZone)).blocks[1]).toEqual({ type: "text", text: "Un evento empieza en 30 minutos." });
  });

  it("say the hour as Spanish does: a la 1:00, a las 13:00 and every other hour", () => {
    const when = (start: Date, sentAt: Date, language = "es") => reminderMessage(event, start, sentAt, voice(t, language, program.timeZone)).blocks[1];
    const sentence = (text: string) => ({ type: "text", text });
    // 1:15 in the morning in the program's time zone (Los Angeles, UTC-7 in June).
    const oneish = new Date("2026-06-18T08:15:00Z");
    expect(when(oneish, new Date("2026-06-18T07:00:00Z"))).toEqual(sentence("Reunión del Concejo es hoy a la 1:15."));
    expect(when(oneish, new Date("2026-06-17T16:00:00Z"))).toEqual(sentence("Reunión del Concejo es mañana a la 1:15."));
    expect(when(oneish, new Date("2026-06-15T16:00:00Z"))).toEqual(sentence("Reunión del Concejo es el jueves, 18 jun a la 1:15."));
    // On the 24-hour clock Spanish writes, 13:05 is plural, as are 0:30 and 2:00.
    expect(when(new Date("2026-06-18T20:05:00Z"), new Date("2026-06-17T16:00:00Z"))).toEqual(sentence("Reunión del Concejo es mañana a las 13:05."));
    expect(when(new Date("2026-06-18T07:30:00Z"), new Date("2026-06-17T16:00:00Z"))).toEqual(sentence("Reunión del Concejo es mañana a las 0:30."));
    expect(when(new Date("2026-06-18T09:00:00Z"), new Date("2026-06-17T16:00:00Z"))).toEqual(sentence("Reunión del Concejo es mañana a las 2:00."));
    // English has one form for every hour.
    expect(when(oneish, new Date("2026-06-17T16:00:00Z"), "en")).toEqual(sentence("City Council meeting is tomorrow at 1:15 AM."));
    expect(when(new Date("2026-06-18T20:05:00Z"), new Date("2026-06-17T16:00:00Z"), "en")).toEqual(sentence("City Council meeting is tomorrow at 1:05 PM."));
  });

  it("count waiting submissions with the right plural", () => {
    const waiting = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ submission: { id: i + 1, task: "safety-walk" } as Submission, intern: { name: "Ana Intern" } as Person, days: 1 }));
    expect(nudgeMessage(waiting(1), voice(t, "en", program.timeZone)).text).toBe("1 submission has waited over 48 hours for your approval");
    expect(nudgeMessage(waiting(2), voice(t, "es", program.timeZone)).text).toBe("2 entregas llevan más de 48 horas esperando tu aprobación");
    expect(toPlainText(nudgeMessage(waiting(1), voice(t, "es", program.timeZone)))).toContain("• #1 Ana Intern · safety-walk · 1 día");
  });
});
