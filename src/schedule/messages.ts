import type { Message } from "../messages.ts";
import type { Person, Submission } from "../store.ts";
import { formatMoment } from "../time.ts";
import type { ScheduledEvent } from "./occurrences.ts";

export function reminderMessage(event: ScheduledEvent, start: Date, timeZone: string): Message {
  const when = formatMoment(start, timeZone);
  return {
    text: `Reminder: ${event.title}, ${when}${event.place ? ` at ${event.place}` : ""}`,
    blocks: [
      { type: "header", text: `Reminder: ${event.title}` },
      { type: "fields", fields: [{ label: "When", value: when }, ...(event.place ? [{ label: "Where", value: event.place }] : [])] },
      { type: "context", text: "Type <cmd>remind off</cmd> to stop reminders." },
    ],
  };
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
