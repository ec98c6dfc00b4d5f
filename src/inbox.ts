import { coalesce } from "./delivery/coalesce.ts";
import type { Core } from "./domain/core.ts";
import type { Logger } from "./log.ts";
import type { Message } from "./messages.ts";
import { pump, retryDelay } from "./queue.ts";
import type { InboxItem, Store } from "./store.ts";
import type { Clock } from "./time.ts";

/**
 * Every request a platform sends (a command, a click, an event) is recorded
 * here before it is acknowledged, and worked off afterwards by whichever
 * instance claims it, as the outbox's messages are sent. A request's change
 * commits together with its answer (InboxJob.once), so an attempt after a
 * crash answers without changing anything a second time.
 */

export interface InboxJob {
  key: string;
  /** What the adapter recorded; it validates it again. */
  payload: unknown;
  /**
   * Runs fn, the request's change, in one transaction with storing its
   * answer, and returns the answer; once an attempt got that far, later ones
   * get its answer back without running fn.
   */
  once(fn: (core: Core) => Promise<Message>): Promise<Message>;
}

/** Works off one recorded request; throws to have it tried again later. */
export type InboxHandler = (job: InboxJob) => Promise<void>;

export interface InboxOptions {
  store: Store;
  now: Clock;
  log: Logger;
  /** The core working inside the given transaction. */
  coreIn: (tx: Store) => Core;
  /** Called after a request's change commits: the messages it queued can go out. */
  onChanged?: () => void;
  maxAttempts?: number;
  leaseMs?: number;
  /** Requests worked on at once. */
  concurrency?: number;
}

/** How long a claimed request is ours; renewed while we work on it, so another instance takes over only a dead one's. */
export const INBOX_LEASE_MS = 15_000;
/** How often every instance looks for requests to retry, or left by an instance that died. */
export const INBOX_BEAT_MS = 5_000;

/**
 * How long a finished request (done, or failed for good) is kept. Its key only has to outlive the
 * platforms' redeliveries, which come within minutes (an event retried over about 5 minutes, an
 * unacknowledged envelope or activity sent again at once), and its own retries end within about
 * 17 minutes. The payload is the platform's whole request (names, what was typed), so it goes soon
 * after: a week leaves an operator time to look into a request logged as failed for good, and is
 * still far beyond any redelivery.
 */
export const INBOX_KEPT_DAYS = 7;

/** Deletes requests finished over INBOX_KEPT_DAYS ago, by the clock that marked them finished; returns how many. */
export function forgetFinishedRequests(store: Store, now: Date): Promise<number> {
  return store.inboxDeleteFinishedBefore(new Date(now.getTime() - INBOX_KEPT_DAYS * 24 * 60 * 60 * 1000));
}

/** Another attempt at the same request stored its answer first. */
class Superseded extends Error {}

export type Inbox = ReturnType<typeof createInbox>;

export function createInbox(options: InboxOptions) {
  const { store, now, log } = options;
  // About 17 minutes of retries with the doubling backoff: inside the 30 minutes a platform's reply address (a response URL) stays valid.
  const maxAttempts = options.maxAttempts ?? 10;
  const leaseMs = options.leaseMs ?? INBOX_LEASE_MS;
  const concurrency = options.concurrency ?? 8;
  const handlers = new Map<string, InboxHandler>();
  // Requests finishing while one mark is being written share the next: one statement for many under load.
  const markDone = coalesce((ids: number[]) => store.inboxDone(ids, now()));

  function jobOf(item: InboxItem): InboxJob {
    return {
      key: item.key,
      payload: item.payload,
      async once(fn) {
        if (item.reply) return item.reply;
        const reply = await store.transaction(async (tx) => {
          const answer = await fn(options.coreIn(tx));
          if (!(await tx.inboxAnswer(item.id, answer))) throw new Superseded();
          return answer;
        });
        item.reply = reply;
        options.onChanged?.();
        return reply;
      },
    };
  }

  async function work(item: InboxItem): Promise<void> {
    try {
      await handlers.get(item.handler)!(jobOf(item));
      await markDone(item.id);
    } catch (error) {
      // Its change rolled back; the attempt that stored its answer first also answers.
      if (error instanceof Superseded) return log.info("inbox request done by another attempt", { key: item.key });
      const text = error instanceof Error ? error.message : String(error);
      if (item.attempts >= maxAttempts) {
        log.error("inbox request failed for good", { key: item.key, attempts: item.attempts, error: text });
        return store.inboxFailed(item.id, text, now());
      }
      const backoff = retryDelay(item.attempts);
      log.warn("inbox request will be retried", { key: item.key, error: text, inMs: backoff });
      await store.inboxRetry(item.id, text, new Date(now().getTime() + backoff));
    }
  }

  /** Works off everything due now; returns how many requests were handled. */
  async function drain(): Promise<number> {
    let total = 0;
    while (handlers.size > 0) {
      const batch = await store.inboxClaim([...handlers.keys()], now(), concurrency, leaseMs);
      if (batch.length === 0) break;
      const working = new Set(batch.map((item) => item.id));
      const renew = setInterval(() => {
        store.inboxRenew([...working], new Date(now().getTime() + leaseMs)).catch((error: unknown) => log.warn("inbox lease not renewed", { error: String(error) }));
      }, leaseMs / 3);
      try {
        await Promise.all(
          batch.map((item) =>
            work(item)
              // The database went away meanwhile: the lease runs out and the request is claimed again.
              .catch((error: unknown) => log.error("inbox request left for a later attempt", { key: item.key, error: String(error) }))
              .finally(() => working.delete(item.id)),
          ),
        );
      } finally {
        clearInterval(renew);
      }
      total += batch.length;
    }
    return total;
  }

  const runs = pump("inbox", drain, log);

  return {
    /** The adapter that works off the requests it records under this name. */
    register(name: string, handler: InboxHandler) {
      handlers.set(name, handler);
    },
    /**
     * Records a request before it is acknowledged: one insert, and false when
     * its key was recorded before. Throws when the database cannot take it:
     * then it must not be acknowledged.
     */
    async record(handler: string, key: string, payload: unknown): Promise<boolean> {
      const added = await store.inboxAdd({ key, handler, payload, at: now() });
      if (added) void runs.kick();
      return added;
    },
    drain,
    kick: runs.kick,
    idle: runs.idle,
  };
}
