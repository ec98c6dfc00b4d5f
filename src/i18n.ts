import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { IntlMessageFormat } from "intl-messageformat";
import { z } from "zod";
import { packageFile } from "./files.ts";

/**
 * The words people read live in catalogs, one JSON file per language
 * (locales/en.json, locales/es.json), keyed by a dotted name, written in ICU
 * MessageFormat so plurals and choices are the translator's, not the code's.
 * `<cmd>…</cmd>` stays in the text as it is (tags are not parsed): each
 * renderer spells the command for its platform (see spellCommands).
 */
export type Values = Record<string, string | number | Date>;

/** Words in a person's language: passed in as a dependency, so tests and programs can bring their own catalogs. */
export type Translate = (language: string, key: string, values?: Values) => string;

export type Catalogs = Record<string, Record<string, string>>;

/** The language every catalog is checked against and every missing text falls back to. */
export const SOURCE_LANGUAGE = "en";

const catalogSchema = z.record(z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, "keys are dotted names"), z.string().min(1));

/** Reads every locales/<language>.json that ships with the package. */
export function loadCatalogs(dir = packageFile("locales")): Catalogs {
  const catalogs: Catalogs = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const parsed = catalogSchema.safeParse(JSON.parse(readFileSync(join(dir, file), "utf8")));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
    catalogs[file.slice(0, -".json".length)] = parsed.data;
  }
  if (!catalogs[SOURCE_LANGUAGE]) throw new Error(`no ${SOURCE_LANGUAGE}.json in ${dir}`);
  return catalogs;
}

/** The languages people may choose: those with a catalog. */
export function languagesOf(catalogs: Catalogs): string[] {
  return Object.keys(catalogs).sort();
}

/**
 * A Translate over the catalogs. A key missing in a language falls back to
 * English (the catalog test keeps that from shipping); a key missing in
 * English is a bug, and throws.
 */
export function translator(catalogs: Catalogs): Translate {
  const compiled = new Map<string, IntlMessageFormat>();
  return (language, key, values = {}) => {
    const lang = catalogs[language]?.[key] !== undefined ? language : SOURCE_LANGUAGE;
    const source = catalogs[lang]?.[key];
    if (source === undefined) throw new Error(`no text for ${key}`);
    const id = `${lang}\u0000${key}`;
    let format = compiled.get(id);
    if (!format) {
      format = new IntlMessageFormat(source, lang, undefined, { ignoreTag: true });
      compiled.set(id, format);
    }
    return String(format.format(values));
  };
}

/** What the core needs to speak: the catalogs' words and the languages they offer. */
export interface Words {
  t: Translate;
  languages: readonly string[];
}

export function wordsOf(catalogs: Catalogs): Words {
  return { t: translator(catalogs), languages: languagesOf(catalogs) };
}

/** The catalogs that ship with Steps. */
export function defaultWords(): Words {
  return wordsOf(loadCatalogs());
}

/** A language's own name in a language: "español" in Spanish, "Spanish" in English. */
export function languageName(code: string, inLanguage: string): string {
  return new Intl.DisplayNames([inLanguage], { type: "language" }).of(code) ?? code;
}

/** The language a platform locale names ("es-MX" → "es"), or undefined for one that is not a language code. */
export function languageOfLocale(locale: string | undefined): string | undefined {
  const base = locale?.trim().toLowerCase().split(/[-_]/)[0];
  return base && /^[a-z]{2,3}$/.test(base) ? base : undefined;
}
