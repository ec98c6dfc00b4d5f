import type { Core } from "../../../src/domain/core.ts";
import type { Person } from "../../../src/store.ts";

/**
 * A fresh personal link for an intern without chat, sent to the address on the
 * roster and nowhere else: the email transport adds the link to every email to
 * such an intern, so this message only says why it came.
 */

/**
 * How many links an intern may ask for in a day (UTC), however often the
 * button is pressed: the form sends only to the roster's address, and this
 * bounds what someone pressing it for them can fill that inbox with.
 */
export const REQUESTS_PER_DAY = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

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
 * Queues the email with a new link. `intern`: asked from the new-link form,
 * at most REQUESTS_PER_DAY times a day (each takes the day's next free outbox
 * key, so every instance counts the same). `coordinator`: always sent. False
 * when nothing was queued (not an intern reached by email, or the day's
 * requests are used up).
 */
export async function queueWorkLink(core: Core, person: Person, by: "intern" | "coordinator"): Promise<boolean> {
  if (!(await reachedByEmailOnly(core, person))) return false;
  const at = core.now().getTime();
  const keys =
    by === "intern"
      ? Array.from({ length: REQUESTS_PER_DAY }, (_, n) => `work-link:${person.id}:${Math.floor(at / DAY_MS)}:${n + 1}`)
      : [`work-link:${person.id}:coordinator:${at}`];
  const say = (k: string) => core.t(core.languageOf(person), k);
  const message = {
    text: say("email.work_link.sent_header"),
    blocks: [
      { type: "header" as const, text: say("email.work_link.sent_header") },
      { type: "text" as const, text: say(by === "intern" ? "email.work_link.sent_asked" : "email.work_link.sent_by_coordinator") },
    ],
  };
  for (const key of keys) {
    if ((await core.store.enqueue([{ key, recipient: `person:${person.id}`, payload: { message } }])) > 0) {
      core.queued();
      return true;
    }
  }
  return false;
}
