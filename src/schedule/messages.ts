import type { Message } from "../messages.ts";
import type { Person, Submission } from "../store.ts";
import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";
import { formatMoment } from "../time.ts";
import { formatLocalDay, localDayOf, shiftDay, type ScheduledEvent } from "./occurrences.ts";

/** `sentAt` is when the reminder goes out: the day-before and the hour-before reminders say how far off the event is from then. */
export function reminderMessage(event: ScheduledEvent, start: Date, timeZone: string, sentAt: Date): Message {
  const when = formatMoment(start, timeZone);
  const sentence = whenSentence(event.title, start, sentAt, timeZone);
  return {
    text: event.place ? `Reminder: ${sentence} Where: ${event.place}.` : `Reminder: ${sentence}`,
    blocks: [
      { type: "header", text: `Reminder: ${event.title}` },
      { type: "text", text: sentence },
      { type: "fields", fields: [{ label: "When", value: when }, ...(event.place ? [{ label: "Where", value: event.place }] : [])] },
      { type: "context", text: "Type <cmd>remind off</cmd> to stop reminders." },
    ],
  };
}

/** How far off the event is, in the program's time zone: "in 1 hour", "tomorrow at 6:00 PM". */
function whenSentence(title: string, start: Date, sentAt: Date, timeZone: string): string {
  const minutes = Math.round((start.getTime() - sentAt.getTime()) / 60_000);
  const time = format(new TZDate(start, timeZone), "h:mm a");
  const day = formatLocalDay(localDayOf(start, timeZone));
  const today = localDayOf(sentAt, timeZone);
  if (minutes === 1) return `${title} starts in 1 minute.`;
  if (minutes > 0 && minutes < 60) return `${title} starts in ${minutes} minutes.`;
  if (minutes === 60) return `${title} starts in 1 hour.`;
  if (minutes > 60 && minutes <= 6 * 60 && minutes % 60 === 0) return `${title} starts in ${minutes / 60} hours.`;
  if (day === formatLocalDay(today)) return `${title} is today at ${time}.`;
  if (day === formatLocalDay(shiftDay(today, 1))) return `${title} is tomorrow at ${time}.`;
  return `${title} is on ${format(new TZDate(start, timeZone), "EEEE, MMM d")} at ${time}.`;
}

export function nudgeMessage(waiting: { submission: Submission; intern: Person | undefined; days: number }[]): Message {
  const lines = waiting.map((w) => `• #${w.submission.id} ${w.intern?.name ?? "an intern"} · ${w.submission.task} · ${w.days} days`);
  return {
    text: `${waiting.length} ${waiting.length === 1 ? "submission has" : "submissions have"} waited over 48 hours for your approval`,
    blocks: [
      { type: "header", text: `Waiting over 48 hours for your approval (${waiting.length})` },
      { type: "text", text: lines.join("\n") },
      { type: "context", text: "Type <cmd>pending</cmd> to review them, or <cmd>approve <number></cmd>." },
    ],
  };
}
