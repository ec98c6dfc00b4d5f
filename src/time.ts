import { TZDate } from "@date-fns/tz";

/** A clock the core reads instead of Date.now(), so tests and the playground can move time. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/**
 * The program's clock: what people are shown (messages, submissions, decisions, awards, digests)
 * follows it. It runs with the injected clock until the playground moves it to another moment,
 * and then keeps running from there.
 */
export interface ProgramClock {
  now: Clock;
  moveTo(at: Date): void;
}

export function programClock(real: Clock): ProgramClock {
  let offset = 0;
  return {
    now: () => new Date(real().getTime() + offset),
    moveTo(at) {
      offset = at.getTime() - real().getTime();
    },
  };
}

/**
 * "Jun 17, 2:05 PM" / "17 jun, 14:05": a moment in the person's language and
 * the program's time zone. Intl writes a narrow no-break space before AM/PM;
 * a plain space reads the same and survives every platform's text.
 */
export function formatMoment(at: Date, timeZone: string, language = "en"): string {
  return dateFormat(language, timeZone, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" }).format(at).replace(/\u202f/g, " ");
}

/** "Jun 17, 2026" / "17 jun 2026". */
export function formatDay(at: Date, timeZone: string, language = "en"): string {
  return dateFormat(language, timeZone, { month: "short", day: "numeric", year: "numeric" }).format(at);
}

/** "6:00 PM" / "18:00". */
export function formatTime(at: Date, timeZone: string, language = "en"): string {
  return dateFormat(language, timeZone, { hour: "numeric", minute: "2-digit" }).format(at).replace(/\u202f/g, " ");
}

/**
 * The hour of the day at that moment in the time zone, on a 24-hour clock (0–23): what words
 * that agree with a time go by, e.g. Spanish "a la 1:00" but "a las 13:00" (a language
 * written on a 12-hour clock tells 1 and 13 apart the same way).
 */
export function hourOf(at: Date, timeZone: string): number {
  return new TZDate(at.getTime(), timeZone).getHours();
}

/** "Wednesday, Jun 17" / "miércoles, 17 jun". */
export function formatWeekday(at: Date, timeZone: string, language = "en"): string {
  return dateFormat(language, timeZone, { weekday: "long", month: "short", day: "numeric" }).format(at);
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** English is written the US way, as the program files are; other languages as their speakers write them. */
function dateFormat(language: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const id = `${language}|${timeZone}|${JSON.stringify(options)}`;
  let format = formats.get(id);
  if (!format) {
    format = new Intl.DateTimeFormat(language === "en" ? "en-US" : language, { ...options, timeZone });
    formats.set(id, format);
  }
  return format;
}
