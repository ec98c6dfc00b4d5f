import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import email from "../adapters/email/index.ts";
import { unsubscribeLinks } from "../adapters/email/unsubscribe.ts";
import { acceptedLanguage } from "../adapters/language.ts";
import web from "../adapters/web/index.ts";
import { main, terminalLanguage } from "../app/main.ts";
import { startServer, type RunningServer } from "../app/server.ts";
import { bootForTest } from "./support/boot.ts";
import { launchChromium } from "./support/browser.ts";
import { copyPgliteTemplate, freshDb } from "./support/db.ts";
import { IVY, badgeServer, type BadgeServer } from "./support/badges.ts";
import { startSmtp, type Smtp } from "./support/smtp.ts";
import { until } from "./support/wait.ts";

// Pages, emails and the command line speak their reader's language: a Spanish
// intern's playground, a badge page opened by a Spanish browser, an email to a
// Spanish mentor over real SMTP, a coordinator's terminal set to Spanish.

describe("which language a browser asks for", () => {
  const languages = ["en", "es"];

  it("takes the most wanted language Steps speaks, by weight, then by order", () => {
    expect(acceptedLanguage("es-MX,es;q=0.9,en;q=0.8", languages)).toBe("es");
    expect(acceptedLanguage("fr-CA, fr;q=0.9, es;q=0.5, en;q=0.4", languages)).toBe("es");
    expect(acceptedLanguage("en;q=0.5, es;q=0.8", languages)).toBe("es");
    expect(acceptedLanguage("ES_mx".replace("_", "-"), languages)).toBe("es");
    expect(acceptedLanguage("en-US, es", languages)).toBe("en");
  });

  it("names none for an empty, unknown, refused (q=0), wildcard or malformed header", () => {
    for (const header of [undefined, "", "fr, de;q=0.5", "es;q=0", "*", "es;q=2", "es;q=abc", ";;;,", "x-klingon-really-long-tag-here", "e$"]) {
      expect(acceptedLanguage(header, languages), String(header)).toBeUndefined();
    }
  });
});

describe("the playground and email for a Spanish speaker", () => {
  let clock = new Date("2026-06-22T17:00:00Z");
  let smtp: Smtp;
  let steps: Awaited<ReturnType<typeof bootForTest>>;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    smtp = await startSmtp();
    steps = await bootForTest({ SMTP_URL: smtp.url, EMAIL_FROM: "steps@city.example.org", PLAYGROUND: "1" }, { now: () => clock });
    server = await startServer(steps, [web, email]);
    browser = await launchChromium();
    // Isaiah reads Steps in Spanish, and so does his mentor Daniel, who gets it by email.
    const isaiah = (await steps.store.personByEmail("isaiah.grant@example.org"))!;
    const daniel = (await steps.store.personById(isaiah.mentorId!))!;
    await steps.store.setLanguage(isaiah.id, "es");
    await steps.store.setLanguage(daniel.id, "es");
    await steps.db.db.execute(sql`update people set contact = 'email' where id = ${daniel.id}`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await steps?.close();
    await smtp?.close();
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(8_000);
    await page.goto(url);
    return page;
  }

  it("shows a Spanish person's playground in Spanish, page and replies, and an English person's in English", async () => {
    const isaiah = (await steps.store.personByEmail("isaiah.grant@example.org"))!;
    const page = await open(`${server.url}/?person=${isaiah.id}`);
    expect(await page.getAttribute("html", "lang")).toBe("es");
    await page.getByRole("heading", { name: "Chat como Isaiah Grant" }).waitFor();
    await page.getByText("Zona de pruebas: no es una plataforma de chat real").waitFor();
    expect(await page.getByRole("button", { name: "Cambiar de persona" }).isVisible()).toBe(true);
    expect(await page.getByLabel("Actúas como").isVisible()).toBe(true);
    expect(await page.locator("#dms .empty").innerText()).toContain("Todavía no hay mensajes directos");

    // Typed with the script: the reply and the name it is under come back in Spanish.
    await page.getByLabel("Comando").fill("idioma");
    await page.getByLabel("Comando").press("Enter");
    await page.locator(".transcript .line.you .who", { hasText: "Tú" }).waitFor();
    await page.locator(".transcript").getByText("Steps te escribe en español.").waitFor();
    await page.close();

    // Anyone whose language is English keeps the English page.
    const coordinator = (await steps.store.peopleByRole("coordinator"))[0]!;
    const english = await open(`${server.url}/?person=${coordinator.id}`);
    expect(await english.getAttribute("html", "lang")).toBe("en");
    await english.getByRole("button", { name: "Switch person" }).waitFor();
    await english.close();
  });

  it("says a number that names no one in the language of the person shown instead", async () => {
    const html = await (await fetch(`${server.url}/?person=99999`, { headers: { accept: "text/html" } })).text();
    // The first person of the roster is shown: an English intern of the sample roster.
    expect(html).toMatch(/No one with number 99999 is on the roster; showing [^<]+ instead\./);
  });

  it("asks a Spanish person in Spanish before it stops their reminders, and says so in Spanish", async () => {
    const isaiah = (await steps.store.personByEmail("isaiah.grant@example.org"))!;
    const key = await steps.store.initSetting("email:unsubscribe-key", "unused: the adapter made it at start-up");
    const url = new URL(await unsubscribeLinks(Buffer.from(key, "base64url"), server.url).url(isaiah));
    const ask = await (await fetch(url)).text();
    expect(ask).toContain('<html lang="es">');
    expect(ask).toContain("¿Dejar de recibir recordatorios y avisos de Steps?");
    const done = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    const page = await done.text();
    expect(done.status).toBe(200);
    expect(page).toContain("Recordatorios desactivados");
    expect(page).toContain("<code>recordatorios sí</code>");
    expect((await steps.store.personById(isaiah.id))!.remindersOff).toBe(true);
    // A damaged link names no one: the browser's language.
    expect(await (await fetch(new URL("/email/unsubscribe?t=x", server.url), { headers: { "accept-language": "en" } })).text()).toContain("This unsubscribe link is damaged");
  });

  it("refuses, in the browser's language, a request through a proxy or a post without the page's token", async () => {
    const proxied = await fetch(server.url, { headers: { accept: "text/html", "accept-language": "es-US,es;q=0.9", "x-forwarded-for": "203.0.113.9" } });
    expect(proxied.status).toBe(403);
    const page = await proxied.text();
    expect(page).toContain('<html lang="es">');
    expect(page).toContain("La zona de pruebas de Steps solo responde en esta computadora (localhost)");
    const tokenless = await fetch(`${server.url}/playground/command`, { method: "POST", headers: { "content-type": "application/json", "accept-language": "es" }, body: JSON.stringify({ personId: 1, text: "ayuda" }) });
    expect(tokenless.status).toBe(403);
    expect(((await tokenless.json()) as { error: string }).error).toMatch(/^Esta petición no lleva un código válido de la zona de pruebas: recarga la página/);
  });

  it("emails a Spanish mentor in Spanish over SMTP, and the link it carries opens a Spanish page", async () => {
    const isaiah = (await steps.store.personByEmail("isaiah.grant@example.org"))!;
    const daniel = (await steps.store.personById(isaiah.mentorId!))!;
    const task = steps.program.file.playlists.find((p) => steps.program.isOpenTo(p, isaiah.department))!.tasks.find((t) => t.requirement === "once")!;
    await steps.core.done(isaiah, task.slug, "Notas de la entrevista", null);
    await steps.dispatcher.drain();
    await until("Daniel gets the request by email", () => smtp.to(daniel.email).length === 1);
    const [mail] = smtp.to(daniel.email);
    expect(mail!.html).toContain('<html lang="es">');
    expect(mail!.text).toContain(`${steps.program.name}, enviado por Steps.`);
    expect(mail!.html).toContain(", enviado por Steps.");

    const link = /href="([^"]*\/email\/link\?[^"]*)"/.exec(mail!.html as string)![1]!.replaceAll("&amp;", "&");
    const confirm = await fetch(new URL(new URL(link).pathname + new URL(link).search, server.url));
    const page = await confirm.text();
    expect(confirm.status).toBe(200);
    expect(page).toContain('<html lang="es">');
    expect(page).toContain(`Vas a aprobar`);
    expect(page).toContain("<dt>Pasante</dt>");
    expect(page).toContain(`¿No eres ${daniel.name}?`);

    // A damaged link names no one: the page follows the browser, here English.
    const broken = await fetch(new URL("/email/link?t=nonsense", server.url), { headers: { "accept-language": "en-GB,en;q=0.9" } });
    expect(broken.status).toBe(400);
    expect(await broken.text()).toContain("This link does not work");
    // Asking for a new link names no one either: the form and its answer follow the browser.
    const form = await (await fetch(new URL("/email/new-link", server.url), { headers: { "accept-language": "es-MX" } })).text();
    expect(form).toContain('<html lang="es">');
    expect(form).toContain("¿Necesitas un enlace nuevo?");
    const asked = await fetch(new URL("/email/new-link", server.url), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "accept-language": "es" }, body: "email=nadie%40example.org" });
    expect(await asked.text()).toContain("Revisa tu correo");
    const roto = await fetch(new URL("/email/link?t=nonsense", server.url), { headers: { "accept-language": "es-419" } });
    const text = await roto.text();
    expect(text).toContain('<html lang="es">');
    expect(text).toContain("Este enlace no funciona");
  });
});

describe("badge pages in the viewer's language", () => {
  let t: BadgeServer;
  beforeAll(async () => {
    t = await badgeServer();
  });
  afterAll(async () => t?.close());

  const get = async (path: string, language?: string) => {
    const res = await fetch(new URL(path, t.url), { headers: language === undefined ? {} : { "accept-language": language } });
    return { status: res.status, vary: res.headers.get("vary"), html: await res.text() };
  };

  it("answers a Spanish browser in Spanish and an English one in English; without a header, in the intern's language", async () => {
    const award = await t.earn(IVY, "Entrevisté a la secretaria municipal", "https://example.org/notas");
    const hidden = await get(`/badges/${award.id}`, "es-MX,es;q=0.9");
    expect(hidden.html).toContain('<html lang="es">');
    expect(hidden.html).toContain("todavía no la ha hecho pública");
    expect(hidden.html).toContain("<code>insignia publicar &#60;lista&#62;</code>");

    await t.say(IVY, "badge publish civic");
    const es = await get(`/badges/${award.id}`, "es-MX,es;q=0.9,en;q=0.5");
    expect(es.status).toBe(200);
    expect(es.vary).toBe("Accept-Language");
    expect(es.html).toContain('<html lang="es">');
    expect(es.html).toMatch(/Otorgada a <strong>[^<]+<\/strong> por /);
    expect(es.html).toContain("<h2>Evidencias</h2>");
    expect(es.html).toMatch(/Aprobado por [^<]+ el \d+ jun 2026/);
    expect(es.html).toContain("Agregar a tu perfil de LinkedIn");

    const en = await get(`/badges/${award.id}`, "en-US");
    expect(en.html).toContain('<html lang="en">');
    expect(en.html).toContain("<h2>Evidence</h2>");
    expect(en.html).toMatch(/Approved by [^<]+ on Jun \d+, 2026/);

    // No header, or only languages Steps does not speak: the intern's own language.
    const ivy = await t.person(IVY);
    await t.steps.store.setLanguage(ivy.id, "es");
    expect((await get(`/badges/${award.id}`)).html).toContain('<html lang="es">');
    expect((await get(`/badges/${award.id}`, "fr-FR, de;q=0.5")).html).toContain("<h2>Requisitos</h2>");
    expect((await get(`/badges/${award.id}`, "es;q=0, en")).html).toContain('<html lang="en">');
  });

  it("says a missing badge in the browser's language", async () => {
    const missing = await get("/badges/AAAAAAAAAAAAAAAAAAAAAAAA", "es");
    expect(missing.status).toBe(404);
    expect(missing.html).toContain("Insignia no encontrada");
    expect((await get("/badges/AAAAAAAAAAAAAAAAAAAAAAAA", "en")).html).toContain("Badge not found");
  });
});

describe("the command line in the terminal's language", () => {
  const run = async (args: string[], system: Record<string, string>) => {
    const out: string[] = [];
    const code = await main(args, (s) => out.push(s), system);
    return { code, out: out.join("\n") };
  };

  it("reads LC_ALL, then LC_MESSAGES, then LANG, and falls back to English", () => {
    expect(terminalLanguage({ LANG: "es_MX.UTF-8" }, ["en", "es"])).toBe("es");
    expect(terminalLanguage({ LC_ALL: "en_US.UTF-8", LANG: "es_ES.UTF-8" }, ["en", "es"])).toBe("en");
    expect(terminalLanguage({ LC_ALL: "", LC_MESSAGES: "es", LANG: "en_US" }, ["en", "es"])).toBe("es");
    for (const system of [{}, { LANG: "C" }, { LANG: "POSIX" }, { LANG: "fr_FR.UTF-8" }, { LANG: "C.UTF-8" }]) expect(terminalLanguage(system, ["en", "es"]), JSON.stringify(system)).toBe("en");
  });

  /** Runs `body` with Steps's environment set to a throw-away database holding the sample program and roster. */
  const withSteps = async (body: (dataDir: string) => Promise<void>) => {
    const dataDir = mkdtempSync(join(tmpdir(), "steps-i18n-cli-"));
    const vars: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: "error", PUBLIC_URL: "http://steps.test" };
    let dropDb = async () => {};
    if (process.env.DATABASE_URL) {
      const db = await freshDb();
      vars.DATABASE_URL = db.url!;
      vars.ROSTER_FILE = "programs/summer-steps-roster.csv";
      dropDb = db.close;
    } else {
      copyPgliteTemplate(join(dataDir, "db"));
    }
    const saved = { ...process.env };
    Object.assign(process.env, vars);
    try {
      await body(dataDir);
    } finally {
      process.env = saved;
      await dropDb();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };

  it("`steps as` frames what is sent in the terminal's language; the messages stay in each person's", async () => {
    await withSteps(async () => {
      const { code, out } = await run(["as", "isaiah.grant@example.org", "done interview-staff Met the finance director"], { LANG: "es_MX.UTF-8" });
      expect(code).toBe(0);
      // Isaiah's reply is in his language (the program's, English); the line that frames Daniel's request is the terminal's.
      expect(out).toMatch(/^Recorded Interview a city staff member \(#\d+\)/);
      expect(out).toContain("→ mensaje directo para Daniel Cho <daniel.cho@example.org>");
    });
  });

  it("`steps roster import` lists the bad rows in the terminal's language and imports nothing", async () => {
    await withSteps(async (dataDir) => {
      const csv = join(dataDir, "bad-roster.csv");
      writeFileSync(
        csv,
        "email,name,role,department,mentor_email\nana.ruiz@example.org,Ana Ruiz,intren,fire,daniel.cho@example.org\nleo@example,Leo Park,intern,fyre,nobody@example.org\nsofia.lee@example.org,Sofia Lee,mentor,fire,\n",
      );
      const es = await run(["roster", "import", csv], { LANG: "es_MX.UTF-8" });
      expect(es).toEqual({
        code: 1,
        out: [
          "La lista tiene 2 filas con errores; no se ha importado nada.",
          'línea 2: role "intren" debe ser intern, mentor o coordinator. ¿Querías decir intern?',
          'línea 3: email "leo@example" no es una dirección de email.',
          'línea 3: department "fyre" no está en el programa. ¿Querías decir fire? Usa uno de estos: administrative-services, city-managers-office, economic-development-housing, community-development, fire, parks-recreation, police, public-works.',
          "línea 3: mentor nobody@example.org no está en este archivo ni en la lista. Añade una fila para esa persona con role mentor.",
        ].join("\n"),
      });
      const en = await run(["roster", "import", csv], { LANG: "en_US.UTF-8" });
      expect(en.code).toBe(1);
      expect(en.out.split("\n").slice(0, 3)).toEqual([
        "The roster has 2 bad rows; nothing was imported.",
        'line 2: role "intren" must be intern, mentor or coordinator. Did you mean intern?',
        'line 3: email "leo@example" is not an email address.',
      ]);
      // Sofia's row is good, and still she was not imported.
      expect((await run(["as", "sofia.lee@example.org", "help"], {})).out).toMatch(/^sofia\.lee@example\.org is not on the roster\./);
    });
  });

  it("`steps config check` says a program file's mistakes in the terminal's language, each with its line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "steps-i18n-config-"));
    try {
      const file = join(dir, "broken.yml");
      const sample = readFileSync("programs/summer-steps.yml", "utf8");
      writeFileSync(file, sample.replace("time_zone: America/Los_Angeles", "time_zone: Mars/Olympus").replace("  start: 2026-06-15\n", "  start: 2026-06-15\n  colour: green\n").replace("end: 2026-08-07", "end: 2026-05-01"));
      const es = await run(["config", "check", file], { LANG: "es_MX.UTF-8" });
      expect(es).toEqual({
        code: 1,
        out: [
          `${file}:10 program.time_zone: no es una zona horaria IANA, p. ej. America/Los_Angeles`,
          `${file}:12 program.colour: clave desconocida "colour"`,
          `${file}:13 program.end: termina antes de que empiece el programa`,
        ].join("\n"),
      });
      const en = await run(["config", "check", file], { LC_ALL: "C" });
      expect(en.out.split("\n")).toEqual([
        `${file}:10 program.time_zone: not an IANA time zone, e.g. America/Los_Angeles`,
        `${file}:12 program.colour: unknown key "colour"`,
        `${file}:13 program.end: ends before the program starts`,
      ]);
      expect((await run(["config", "check", join(dir, "none.yml")], { LANG: "es_ES.UTF-8" })).out).toBe(`${join(dir, "none.yml")} no hay ningún archivo de programa en ${join(dir, "none.yml")}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("`steps config check` lists a program's bad roster rows in the terminal's language", async () => {
    const dir = mkdtempSync(join(tmpdir(), "steps-i18n-config-"));
    try {
      const file = join(dir, "program.yml");
      writeFileSync(file, readFileSync("programs/summer-steps.yml", "utf8").replace(/^program:\n/m, "program:\n  roster: roster.csv\n"));
      writeFileSync(join(dir, "roster.csv"), "email,name,role,department,mentor_email\nmaria.delgado@example.org,Maria Delgado,coordinator,,\nmaria.delgado@example.org,María Delgado,coordinator,,\n");
      const es = await run(["config", "check", file], { LANG: "es_MX.UTF-8" });
      expect(es.code).toBe(1);
      expect(es.out.split("\n").at(-1)).toBe(`${join(dir, "roster.csv")}:3 maria.delgado@example.org ya está en la línea 2. Deja una sola fila por persona.`);
      const en = await run(["config", "check", file], {});
      expect(en.out.split("\n").at(-1)).toBe(`${join(dir, "roster.csv")}:3 maria.delgado@example.org is already on line 2. Keep one row per person.`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says a time without an offset, and an unknown command, in Spanish or English", async () => {
    const es = await run(["run-due", "--at", "2026-06-29T08:00"], { LANG: "es_MX.UTF-8" });
    expect(es).toEqual({ code: 2, out: "2026-06-29T08:00 no tiene diferencia con UTC, así que podría ser cualquiera de varios instantes. Añádela, p. ej. steps run-due --at 2026-06-29T08:00-07:00 (hora de verano del Pacífico de EE. UU.) o --at 2026-06-29T08:00Z (UTC)." });
    const en = await run(["run-due", "--at", "2026-06-29T08:00"], { LANG: "en_US.UTF-8" });
    expect(en.out).toBe("2026-06-29T08:00 has no UTC offset, so it could be any of several instants. Add one, e.g. steps run-due --at 2026-06-29T08:00-07:00 (US Pacific summer time) or --at 2026-06-29T08:00Z (UTC).");

    const unknown = await run(["serv"], { LC_ALL: "es_ES.UTF-8" });
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/^Steps no tiene el comando "serv"\. Los comandos son:\n\nUso: steps <comando>\n/);
    expect((await run(["roster", "import", "no/such/roster.csv"], { LANG: "es_ES.UTF-8" })).out).toMatch(/^No hay ningún archivo de lista en .*no\/such\/roster\.csv\. Revisa la ruta/);
    expect((await run(["roster", "import", "no/such/roster.csv"], {})).out).toMatch(/^There is no roster file at .*no\/such\/roster\.csv\. Check the path/);
  });
});
