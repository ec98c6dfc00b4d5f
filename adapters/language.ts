import type { IncomingMessage } from "node:http";
import type { Core } from "../src/domain/core.ts";
import { SOURCE_LANGUAGE, type Translate, type Values } from "../src/i18n.ts";

// Pages and emails speak one language each: the reader's. These helpers pick it
// and bind the catalogs' words to it, so renderers take one `say` and stay pure.

/** Words in one language, from the catalogs. */
export type Say = (key: string, values?: Values) => string;

export interface Spoken {
  /** The language code, for `<html lang>`. */
  language: string;
  say: Say;
}

export function speak(t: Translate, language: string): Spoken {
  return { language, say: (key, values) => t(language, key, values) };
}

/** One entry of Accept-Language with a weight above zero; anything malformed is skipped, as browsers expect. */
const RANGE = /^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?))?\s*$/;

/**
 * The catalog language a browser asks for, in its order of preference
 * (RFC 9110 weights; equal weights keep the header's order), or undefined
 * when it names none Steps speaks. "es-MX" is served Spanish: tags are
 * canonicalised by Intl and matched on their language.
 */
export function acceptedLanguage(header: string | undefined, languages: readonly string[]): string | undefined {
  const ranges = (header ?? "")
    .split(",")
    .map((part, order) => {
      const match = RANGE.exec(part);
      return match ? { tag: match[1]!, q: match[2] === undefined ? 1 : Number(match[2]), order } : undefined;
    })
    .filter((r): r is { tag: string; q: number; order: number } => r !== undefined && r.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const { tag } of ranges) {
    if (tag === "*") return undefined;
    let language: string;
    try {
      language = new Intl.Locale(Intl.getCanonicalLocales(tag)[0]!).language;
    } catch {
      continue;
    }
    if (languages.includes(language)) return language;
  }
  return undefined;
}

/** The language of a request's reader: what their browser asks for, else `otherwise`. */
export function readerLanguage(req: IncomingMessage, languages: readonly string[], otherwise: string): string {
  return acceptedLanguage(req.headers["accept-language"], languages) ?? otherwise;
}

/** The program file's language when Steps speaks it: for a reader the page cannot name. */
export function programLanguage(core: Pick<Core, "program" | "languages">): string {
  const language = core.program.file.program.language;
  return core.languages.includes(language) ? language : SOURCE_LANGUAGE;
}
