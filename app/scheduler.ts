import cron from "node-cron";
import type { Steps } from "./boot.ts";

/**
 * Every running instance ticks once a minute; the outbox's unique keys make
 * several instances ticking together send each message once.
 */
export function startScheduler(steps: Pick<Steps, "runDue" | "now" | "log">): { nextRun(): Date | null; stop(): Promise<void> } {
  const task = cron.schedule(
    "* * * * *",
    async () => {
      try {
        await steps.runDue(steps.now());
      } catch (error) {
        steps.log.error("scheduled run failed", { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    },
    // A slow run (a big fan-out on a slow database) is not started twice over.
    { name: "steps-run-due", noOverlap: true },
  );
  steps.log.info("scheduler started", { nextRun: task.getNextRun()?.toISOString() });
  return {
    nextRun: () => (task.getStatus() === "destroyed" ? null : task.getNextRun()),
    async stop() {
      await task.destroy();
    },
  };
}
