import cron from "node-cron";
import type { Steps } from "./boot.ts";

/**
 * Every running instance ticks once a minute; the outbox's unique keys make
 * several instances ticking together send each message once.
 */
export function startScheduler(steps: Pick<Steps, "runDue" | "now" | "log">): { stop(): Promise<void> } {
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
  return {
    async stop() {
      await task.destroy();
    },
  };
}
