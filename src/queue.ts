import type { Logger } from "./log.ts";

// What the outbox dispatcher and the inbox share: both claim due rows of a
// table for a lease (db/store.ts), work them off, and retry with backoff.

export interface Pump {
  /**
   * Drains soon without waiting; overlapping kicks share one run and one
   * more pass, so a burst of changes costs a couple of claims, not one each.
   */
  kick(): Promise<number>;
  /** Resolves once nothing is in flight: tests and the CLI wait on this. */
  idle(): Promise<void>;
}

/** Runs drain (which returns how many items it handled) on kicks; a failed drain is logged and waits for the next kick. */
export function pump(name: string, drain: () => Promise<number>, log: Logger): Pump {
  let running: Promise<number> | null = null;
  let again = false;
  return {
    kick() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        let n = 0;
        do {
          again = false;
          n += await drain();
        } while (again);
        return n;
      })()
        .catch((error) => {
          log.error(`${name} failed`, { error: String(error) });
          return 0;
        })
        .finally(() => {
          running = null;
        });
      return running;
    },
    async idle() {
      while (running) await running;
    },
  };
}

/** When to try an item again after its nth attempt failed: what the platform asked, else doubling from 2 s up to 15 minutes. */
export function retryDelay(attempts: number, retryAfterMs?: number): number {
  return retryAfterMs ?? Math.min(15 * 60_000, 2 ** attempts * 1_000);
}
