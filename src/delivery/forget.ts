import type { Store } from "../store.ts";

/**
 * How long a sent message keeps its text (its payload: names, what was decided). A sent row is read
 * later only for its key (enqueue skips a key already there: an approval request, a reminder's
 * occurrence, the day's "email me a new link" keys that make the limit of 3) and its delivery refs
 * (a later item edits the messages under a key prefix: an approval request decided or withdrawn
 * months later, an award message edited when Credly issues the badge after a retry, a click on an
 * old request card): both are kept for good, as is the row. Its text is read only when it is sent.
 * Jobs keep theirs (an award id and an action, no text): the digest tells a failed try from one done
 * later by the later row's payload. Failed rows, which the digest lists (scoped by their payload's
 * program), are left as they are.
 * 90 days is far beyond every window in which a message's text is read (sent and retried: hours),
 * and leaves time to answer "what did Steps send me, and when?" over a program's term.
 */
export const SENT_TEXT_KEPT_DAYS = 90;

/** Texts emptied per run: the first run on an outbox that kept months of texts is no single huge write, and the next minute's takes more. */
export const FORGET_BATCH = 1000;

/** Empties the payload of up to FORGET_BATCH messages sent over SENT_TEXT_KEPT_DAYS ago, by the clock that marked them sent; returns how many. */
export function forgetSentMessages(store: Store, now: Date): Promise<number> {
  return store.forgetTextSentBefore(new Date(now.getTime() - SENT_TEXT_KEPT_DAYS * 24 * 60 * 60 * 1000), FORGET_BATCH);
}
