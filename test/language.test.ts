import { describe, expect, it } from "vitest";
import { createStore } from "../db/store.ts";
import { resolvePerson } from "../src/chat.ts";
import { createCore } from "../src/domain/core.ts";
import { importRoster } from "../src/domain/roster.ts";
import { createProgram } from "../src/program/program.ts";
import { programFileSchema } from "../src/program/schema.ts";
import { parseRoster } from "../src/roster/csv.ts";
import { resetDb } from "./support/db.ts";
import { harness } from "./support/harness.ts";
import { rosterCsv, testProgram } from "./support/program.ts";

describe("a person's language", () => {
  it("`language es` changes it and answers in the new language; `idioma en` changes it back", async () => {
    const h = await harness();
    expect(await h.say("ana@example.org", "language")).toBe(
      "Steps writes to you in English. To change it, type one of: `language en` (English) or `language es` (español).",
    );
    expect(await h.say("ana@example.org", "language es")).toBe("Listo: ahora Steps te escribe en español.");
    expect((await h.person("ana@example.org")).language).toBe("es");
    expect(await h.say("ana@example.org", "language")).toContain("Steps te escribe en español.");
    expect(await h.say("ana@example.org", "idioma en")).toBe("Done: Steps now writes to you in English.");
    expect(await h.say("ana@example.org", "language fr")).toContain("Steps does not speak `fr` yet.");
    expect(await h.say("ana@example.org", "language english please")).toContain("Say which language by its code");
  });

  it("the core's refusals are in the person's language too", async () => {
    const h = await harness();
    await h.say("ana@example.org", "idioma es");
    expect(await h.say("ana@example.org", "hecho safety-wlak")).toBe("No hay ninguna tarea `safety-wlak`. ¿Quisiste decir `safety-walk`?");
    expect(await h.say("ana@example.org", "hecho safety-walk")).toMatch(/^¡Anotado! Safety walk \(#\d+\)\. Max Mentor lo revisará\./);
    expect(await h.say("ana@example.org", "hecho safety-walk")).toMatch(/^Safety walk ya espera aprobación \(#\d+\)\. No hace falta enviarla otra vez\.$/);
    expect(await h.say("ana@example.org", "pendientes")).toBe("Solo mentores y coordinadores pueden revisar trabajos.");
    expect(await h.say("max@example.org", "estado")).toBe("Only interns can see intern progress.");
  });

  it("comes from the roster's optional language column, which a later roster without it keeps", async () => {
    const h = await harness();
    const withLanguage = rosterCsv.replace("mentor_email\n", "mentor_email,language\n").replace(/\n(?=.)/g, "\n").split("\n").map((l, i) => (i === 0 || l === "" ? l : `${l},${l.startsWith("ana@") ? "es" : ""}`)).join("\n");
    await importRoster(h.store, h.program, withLanguage);
    expect((await h.person("ana@example.org")).language).toBe("es");
    expect((await h.person("ben@example.org")).language).toBeNull();
    await importRoster(h.store, h.program, rosterCsv);
    expect((await h.person("ana@example.org")).language).toBe("es");
    const bad = parseRoster(withLanguage.replace(",es\n", ",spanish\n"), h.program);
    expect(bad.ok ? [] : bad.errors.map((e) => e.message)).toEqual(['language "spanish" must be a language code such as en or es.']);
  });

  it("someone not on the roster is told so in their platform's language, else the program's", async () => {
    const h = await harness();
    await expect(resolvePerson(h.core, "test", "U-NEW", async () => ({ email: "new@example.org", locale: "es-MX" }))).rejects.toThrow(
      "Todavía no estás en la lista de este programa. Pide a tu coordinador que te añada y vuelve a intentarlo.",
    );
    await expect(resolvePerson(h.core, "test", "U-NEW2", async () => ({ email: "new2@example.org", locale: "fr-FR" }))).rejects.toThrow(
      "You are not on this program's roster yet. Ask your coordinator to add you, then try again.",
    );
    await h.close();
  });

  it("else the platform's locale, which never overrides a choice; else the program's language", async () => {
    const h = await harness();
    await resolvePerson(h.core, "test", "U-ANA", async () => ({ email: "ana@example.org", locale: "es-MX" }));
    expect((await h.person("ana@example.org")).language).toBe("es");
    await h.say("ben@example.org", "language en");
    await resolvePerson(h.core, "test", "U-BEN", async () => ({ email: "ben@example.org" }), undefined, "es-ES");
    expect((await h.person("ben@example.org")).language).toBe("en");

    const db = await resetDb();
    const store = createStore(db.db);
    const file = programFileSchema.parse({ ...testProgram().file, program: { ...testProgram().file.program, language: "es" } });
    const program = createProgram(file);
    await importRoster(store, program, rosterCsv);
    const core = createCore({ program, store, now: () => new Date("2026-06-16T17:00:00Z"), baseUrl: "https://steps.test" });
    const cal = (await store.personByEmail("cal@example.org"))!;
    expect(core.languageOf(cal)).toBe("es");
    expect(core.languageOf({ ...cal, language: "fr" })).toBe("es");
    expect(core.languageOf({ ...cal, language: "en" })).toBe("en");
  });
});
