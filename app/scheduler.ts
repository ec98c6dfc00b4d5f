import cron from "node-cron";
import type { Health } from "../adapters/platform.ts";
import type { Steps } from "./boot.ts";

export interface Scheduler extends Health {
  nextRun(): Date | null;
  stop(): Promise<void>;
}

/**
 * Every running instance ticks once a minute; the outbox's unique keys make
 * several instances ticking together send each message once. `every` (a cron
 * expression) lets a test tick each second instead.
 */
export function startScheduler(steps: Pick<Steps, "runDue" | "now" | "log">, options: { every?: string } = {}): Scheduler {
  // What /healthz says: the last run's failure until a run succeeds again.
  let failed: string | undefined;
  const task = cron.schedule(
    options.every ?? "* * * * *",
    async () => {
      const at = steps.now();
      try {
        await steps.runDue(at);
        failed = undefined;
      } catch (error) {
        failed = `the run at ${at.toISOString()} failed (see the log); the next one tries again`;
        steps.log.error("scheduled run failed", { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    },
    // A slow run (a big fan-out on a slow database) is not started twice over.
    { name: "steps-run-due", noOverlap: true },
  );
  steps.log.info("scheduler started", { nextRun: task.getNextRun()?.toISOString() });
  return {
    nextRun: () => (task.getStatus() === "destroyed" ? null : task.getNextRun()),
    health: () => (task.getStatus() === "destroyed" ? "stopped" : (failed ?? "ok")),
    async stop() {
      await task.destroy();
    },
  };
}
