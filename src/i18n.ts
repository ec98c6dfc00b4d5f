import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { IntlMessageFormat } from "intl-messageformat";
import { z } from "zod";
import { packageFile } from "./files.ts";
import { formatDay, formatMoment, formatTime, formatWeekday, hourOf } from "./time.ts";

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

/** Words for one reader in their language, e.g. the coordinator at the terminal. */
export type Say = (key: string, values?: Values) => string;

/** English from the shipped catalogs, for a caller with no reader's language to go by (start-up, logs). */
export function inEnglish(): Say {
  const { t } = defaultWords();
  return (key, values) => t(SOURCE_LANGUAGE, key, values);
}

/** The languages people may choose: those with a catalog. */
export function languagesOf(catalogs: Catalogs): string[] {
  return Object.keys(catalogs).sort();
}

/**
 * A Translate over the catalogs. A key missing in a language falls back to
 * English (the catalog test keeps that from shipping); a key missing in
 * English is a bug, and throws. `texts` (a program's own wording, checked by
 * checkTexts) win over the catalogs, language by language.
 */
export function translator(catalogs: Catalogs, texts: Catalogs = {}): Translate {
  const compiled = new Map<string, IntlMessageFormat>();
  return (language, key, values = {}) => {
    const found = [texts[language], catalogs[language], texts[SOURCE_LANGUAGE], catalogs[SOURCE_LANGUAGE]].findIndex((c) => c?.[key] !== undefined);
    if (found < 0) throw new Error(`no text for ${key}`);
    const lang = found < 2 ? language : SOURCE_LANGUAGE;
    const source = (found % 2 === 0 ? texts : catalogs)[lang]![key]!;
    const id = `${found}\u0000${lang}\u0000${key}`;
    let format = compiled.get(id);
    if (!format) {
      format = new IntlMessageFormat(source, lang, undefined, { ignoreTag: true });
      compiled.set(id, format);
    }
    return String(format.format(values));
  };
}

/**
 * What is wrong with a program's own texts (`texts:` in the program file), each
 * with its path: a language Steps has no catalog for, a key no catalog has, or
 * a message that is not valid ICU.
 */
export function checkTexts(texts: Catalogs, catalogs: Catalogs, say: Say): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  const languages = languagesOf(catalogs);
  for (const [language, messages] of Object.entries(texts)) {
    if (!catalogs[language]) {
      problems.push({ path: [language], message: say("program_file.texts_no_catalog", { language, languages: languages.join(", ") }) });
      continue;
    }
    for (const [key, text] of Object.entries(messages)) {
      if (catalogs[SOURCE_LANGUAGE]![key] === undefined) {
        problems.push({ path: [language, key], message: say("program_file.texts_unknown", { key, source: SOURCE_LANGUAGE }) });
        continue;
      }
      let ast: unknown[];
      try {
        ast = new IntlMessageFormat(text, language, undefined, { ignoreTag: true }).getAst();
      } catch (error) {
        problems.push({ path: [language, key], message: say("program_file.texts_invalid", { reason: error instanceof Error ? error.message : String(error), language }) });
        continue;
      }
      // Steps passes only the values the catalog's message names: any other would fail when the text is written.
      const known = new Set(valuesOf(new IntlMessageFormat(catalogs[SOURCE_LANGUAGE]![key]!, SOURCE_LANGUAGE, undefined, { ignoreTag: true }).getAst()));
      const unknown = [...new Set(valuesOf(ast))].filter((name) => !known.has(name));
      if (unknown.length) {
        const offered = [...known].map((n) => `{${n}}`).join(", ");
        problems.push({ path: [language, key], message: say("program_file.texts_values", { unknown: unknown.map((n) => `{${n}}`).join(", "), count: known.size, offered }) });
      }
    }
  }
  return problems;
}

/** What the core needs to speak: the catalogs' words and the languages they offer. */
export interface Words {
  t: Translate;
  languages: readonly string[];
}

export function wordsOf(catalogs: Catalogs, texts: Catalogs = {}): Words {
  return { t: translator(catalogs, texts), languages: languagesOf(catalogs) };
}

/**
 * The values an ICU message reads, wherever they are (inside plural, select
 * and tags too). Elements are read by shape: a literal (type 0) and `#` carry
 * no value name; a plural or select has options; a tag has children.
 */
function valuesOf(elements: unknown[]): string[] {
  return elements.flatMap((element): string[] => {
    const e = element as { type: number; value?: unknown; options?: Record<string, { value: unknown[] }>; children?: unknown[] };
    if (e.options) return [String(e.value), ...Object.values(e.options).flatMap((o) => valuesOf(o.value))];
    if (e.children) return valuesOf(e.children);
    return e.type !== 0 && typeof e.value === "string" ? [e.value] : [];
  });
}

/** The catalogs that ship with Steps, with a program's own texts over them. */
export function defaultWords(texts: Catalogs = {}): Words {
  return wordsOf(loadCatalogs(), texts);
}

/** The language Steps writes to a person in: their own if Steps speaks it, else the program's, else English. */
export function languageFor(chosen: string | null, languages: readonly string[], programLanguage: string): string {
  if (chosen && languages.includes(chosen)) return chosen;
  return languages.includes(programLanguage) ? programLanguage : SOURCE_LANGUAGE;
}

/** Words in one language, with the program's time zone for dates: all a view needs to speak to one person. */
export interface Voice {
  language: string;
  /** The program's time zone, in which every date and "today" is read. */
  timeZone: string;
  say(key: string, values?: Values): string;
  /** "Jun 17, 2:05 PM" / "17 jun, 14:05". */
  moment(at: Date): string;
  /** "Jun 17, 2026" / "17 jun 2026". */
  day(at: Date): string;
  /** "6:00 PM" / "18:00". */
  time(at: Date): string;
  /** The hour of `time` on a 24-hour clock, 18 for both: passed as `hour` where words agree with the time ("a la 1:00", "a las 18:00"). */
  hour(at: Date): number;
  /** "Wednesday, Jun 17" / "miércoles, 17 jun". */
  weekday(at: Date): string;
  /** A name from the program file in this language: its translation when the file gives one, else as the file writes it. */
  local<K extends string>(item: Translatable<K>, field: K): string;
  /** "1.5" / "1,5". */
  number(n: number): string;
  /** "a, b and c" / "a, b y c". */
  list(items: string[], type?: "conjunction" | "disjunction"): string;
}

/** Something from the program file whose texts may be translated (see src/program/schema.ts). */
export type Translatable<K extends string> = { [P in K]: string } & { translations?: Partial<Record<K, Record<string, string>>> | undefined };

export function voice(t: Translate, language: string, timeZone: string): Voice {
  return {
    language,
    timeZone,
    say: (key, values) => t(language, key, values),
    moment: (at) => formatMoment(at, timeZone, language),
    day: (at) => formatDay(at, timeZone, language),
    time: (at) => formatTime(at, timeZone, language),
    hour: (at) => hourOf(at, timeZone),
    weekday: (at) => formatWeekday(at, timeZone, language),
    local: (item, field) => item.translations?.[field]?.[language] ?? item[field],
    number: (n) => new Intl.NumberFormat(language).format(n),
    list: (items, type = "conjunction") => new Intl.ListFormat(language, { type }).format(items),
  };
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
