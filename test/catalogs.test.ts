import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, TYPE, type MessageFormatElement } from "@formatjs/icu-messageformat-parser";
import { describe, expect, it } from "vitest";
import { languagesOf, loadCatalogs, translator } from "../src/i18n.ts";
import { formatDay, formatMoment } from "../src/time.ts";

const root = join(import.meta.dirname, "..");

/** The values a message reads, wherever they are (inside plural and select options too). */
function argumentsOf(elements: MessageFormatElement[]): string[] {
  return elements.flatMap((e): string[] => {
    if (e.type === TYPE.literal || e.type === TYPE.pound) return [];
    if (e.type === TYPE.plural || e.type === TYPE.select) return [e.value, ...Object.values(e.options).flatMap((o) => argumentsOf(o.value))];
    if (e.type === TYPE.tag) return argumentsOf(e.children);
    return [e.value];
  });
}
const catalogs = loadCatalogs();

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [readFileSync(join(dir, e.name), "utf8")] : [],
  );
}

describe("message catalogs", () => {
  it("ships English and Spanish", () => {
    expect(languagesOf(catalogs)).toEqual(["en", "es"]);
  });

  it("every catalog has every key another has", () => {
    const all = new Set(Object.values(catalogs).flatMap((c) => Object.keys(c)));
    const missing = Object.entries(catalogs).flatMap(([lang, c]) => [...all].filter((k) => !(k in c)).map((k) => `${lang}: ${k}`));
    expect(missing).toEqual([]);
  });

  it("every key is used in the code, written out whole so it can be found", () => {
    const code = ["src", "adapters", "app"].flatMap((d) => sources(join(root, d))).join("\n");
    const unused = Object.keys(catalogs.en!).filter((k) => !code.includes(`"${k}"`));
    expect(unused).toEqual([]);
  });

  it("every message compiles in every language and names the same values as the English one", () => {
    const names = (text: string) => [...new Set(argumentsOf(parse(text, { ignoreTag: true })))].sort();
    const t = translator(catalogs);
    const problems: string[] = [];
    for (const [lang, catalog] of Object.entries(catalogs)) {
      for (const [key, text] of Object.entries(catalog)) {
        if (JSON.stringify(names(text)) !== JSON.stringify(names(catalogs.en![key]!))) problems.push(`${lang} ${key}: values ${names(text)} vs ${names(catalogs.en![key]!)}`);
        const values = Object.fromEntries(names(catalogs.en![key]!).map((n) => [n, 1]));
        try {
          t(lang, key, values);
        } catch (error) {
          problems.push(`${lang} ${key}: ${String(error)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("a missing key falls back to English; a key English lacks is a bug", () => {
    const t = translator({ en: { "a.b": "Hello {name}" }, es: {} });
    expect(t("es", "a.b", { name: "Ana" })).toBe("Hello Ana");
    expect(() => t("en", "a.c")).toThrow(/no text for a.c/);
  });

  it("plural and select are the catalog's: no sentence is assembled in code", () => {
    const t = translator({ en: { "x.y": "{n, plural, one {# badge} other {# badges}} for {role, select, intern {you} other {them}}" }, es: { "x.y": "{n, plural, one {# insignia} other {# insignias}}" } });
    expect(t("en", "x.y", { n: 1, role: "intern" })).toBe("1 badge for you");
    expect(t("es", "x.y", { n: 3 })).toBe("3 insignias");
  });

  it("dates are written in the person's language and the program's time zone", () => {
    const at = new Date("2026-06-17T21:05:00Z");
    expect(formatMoment(at, "America/Los_Angeles")).toBe("Jun 17, 2:05 PM");
    expect(formatMoment(at, "America/Los_Angeles", "es")).toBe("17 jun, 14:05");
    expect(formatDay(at, "America/New_York", "es")).toBe("17 jun 2026");
  });
});
