import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";

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

/** "Jun 17, 2:05 PM" in the program's time zone: what people see in messages. */
export function formatMoment(at: Date, timeZone: string): string {
  return format(new TZDate(at, timeZone), "MMM d, h:mm a");
}

export function formatDay(at: Date, timeZone: string): string {
  return format(new TZDate(at, timeZone), "MMM d, yyyy");
}
