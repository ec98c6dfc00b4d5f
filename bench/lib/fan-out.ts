import type { Steps } from "../../app/boot.ts";

/** Runs what is due at the program's instant and times it until the dispatcher is idle; throws unless `expected` messages were queued. */
export async function timedFanOut(steps: Steps, expected: number): Promise<number> {
  const start = performance.now();
  const due = await steps.runDue(steps.now());
  if (due.queued !== expected) throw new Error(`run-due queued ${due.queued}, expected ${expected}`);
  await steps.dispatcher.idle();
  return (performance.now() - start) / 1000;
}
