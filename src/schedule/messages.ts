import type { Voice } from "../i18n.ts";
import type { Message } from "../messages.ts";
import type { Person, Submission } from "../store.ts";
import { formatLocalDay, localDayOf, shiftDay, type ScheduledEvent } from "./occurrences.ts";

/** `sentAt` is when the reminder goes out: the day-before and the hour-before reminders say how far off the event is from then. */
export function reminderMessage(event: ScheduledEvent, start: Date, sentAt: Date, v: Voice): Message {
  // A calendar's event may have no title.
  const title = event.title ? v.local({ title: event.title, translations: event.translations }, "title") : v.say("reminder.untitled");
  const sentence = whenSentence(title, start, sentAt, v);
  const place = { sentence, place: event.place, hasPlace: event.place ? "yes" : "no" };
  return {
    text: v.say("reminder.summary", place),
    blocks: [
      { type: "header", text: v.say("reminder.header", { event: title }) },
      { type: "text", text: sentence },
      { type: "fields", fields: [{ label: v.say("field.when"), value: v.moment(start) }, ...(event.place ? [{ label: v.say("field.where"), value: event.place }] : [])] },
      { type: "context", text: v.say("reminder.stop") },
    ],
  };
}

/** How far off the event is, in the program's time zone: "in 1 hour", "tomorrow at 6:00 PM". */
function whenSentence(event: string, start: Date, sentAt: Date, v: Voice): string {
  const minutes = Math.round((start.getTime() - sentAt.getTime()) / 60_000);
  const at = { event, time: v.time(start), hour: v.hour(start), day: v.weekday(start), minutes, hours: minutes / 60 };
  // Days are compared in the program's time zone: "tomorrow" is the program's tomorrow.
  const timeZone = v.timeZone;
  const day = formatLocalDay(localDayOf(start, timeZone));
  const today = localDayOf(sentAt, timeZone);
  if (minutes > 0 && minutes < 60) return v.say("reminder.when", { ...at, when: "minutes" });
  if (minutes >= 60 && minutes <= 6 * 60 && minutes % 60 === 0) return v.say("reminder.when", { ...at, when: "hours" });
  if (day === formatLocalDay(today)) return v.say("reminder.when", { ...at, when: "today" });
  if (day === formatLocalDay(shiftDay(today, 1))) return v.say("reminder.when", { ...at, when: "tomorrow" });
  return v.say("reminder.when", { ...at, when: "later" });
}

export function nudgeMessage(waiting: { submission: Submission; intern: Person | undefined; days: number }[], v: Voice): Message {
  const lines = waiting.map(
    (w) => `• ${v.say("nudge.line", { id: w.submission.id, intern: w.intern?.name ?? v.say("nudge.unknown_intern"), slug: w.submission.task, days: w.days })}`,
  );
  return {
    text: v.say("nudge.summary", { count: waiting.length }),
    blocks: [
      { type: "header", text: v.say("nudge.header", { count: waiting.length }) },
      { type: "text", text: lines.join("\n") },
      { type: "context", text: v.say("nudge.hint") },
    ],
  };
}
