import type { Core } from "../../../src/domain/core.ts";
import type { Person } from "../../../src/store.ts";

/**
 * A fresh personal link for an intern without chat, sent to the address on the
 * roster and nowhere else: the email transport adds the link to every email to
 * such an intern, so this message only says why it came.
 */

/** How often an intern may ask for a new link: one email per window, however often they press the button. */
export const REQUEST_WINDOW_MS = 10 * 60_000;

/**
 * Whether Steps writes to this intern by email and not in chat: their contact
 * is email, or no chat platform reached them and email took over (their
 * latest identity is the address). Only they carry a personal link.
 */
export async function reachedByEmailOnly(core: Core, person: Person): Promise<boolean> {
  if (person.role !== "intern" || person.contact === "both") return false;
  if (person.contact === "email") return true;
  const [latest] = await core.store.identitiesOf([person.id]);
  return latest?.platform === "email";
}

/**
 * Queues the email with a new link. `intern`: the intern asked from a link
 * page, at most once per window (the outbox key is the window, so any
 * instance refuses a second). `coordinator`: always sent. False when nothing
 * was queued (not an intern reached by email, or asked already in the window).
 */
export async function queueWorkLink(core: Core, person: Person, by: "intern" | "coordinator"): Promise<boolean> {
  if (!(await reachedByEmailOnly(core, person))) return false;
  const at = core.now().getTime();
  const key = by === "intern" ? `work-link:${person.id}:${Math.floor(at / REQUEST_WINDOW_MS)}` : `work-link:${person.id}:coordinator:${at}`;
  const say = (k: string) => core.t(core.languageOf(person), k);
  const message = {
    text: say("email.work_link.sent_header"),
    blocks: [
      { type: "header" as const, text: say("email.work_link.sent_header") },
      { type: "text" as const, text: say(by === "intern" ? "email.work_link.sent_asked" : "email.work_link.sent_by_coordinator") },
    ],
  };
  const queued = await core.store.enqueue([{ key, recipient: `person:${person.id}`, payload: { message } }]);
  if (queued > 0) core.queued();
  return queued > 0;
}
