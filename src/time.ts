import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";

/** A clock the core reads instead of Date.now(), so tests and the playground can move time. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** "Jun 17, 2:05 PM" in the program's time zone: what people see in messages. */
export function formatMoment(at: Date, timeZone: string): string {
  return format(new TZDate(at, timeZone), "MMM d, h:mm a");
}

export function formatDay(at: Date, timeZone: string): string {
  return format(new TZDate(at, timeZone), "MMM d, yyyy");
}
