import { performance } from "node:perf_hooks";

export interface Run {
  count: number;
  seconds: number;
  perSecond: number;
  latenciesMs: number[];
}

/** Runs fn over every item with at most `concurrency` in flight, timing each call and the whole run. */
export async function runConcurrent<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<Run> {
  const latenciesMs: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const t = performance.now();
        await fn(item);
        latenciesMs.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { count: items.length, seconds, perSecond: items.length / seconds, latenciesMs };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function latencySummary(run: Run): string {
  return `${run.perSecond.toFixed(0).padStart(6)}/s  p50 ${percentile(run.latenciesMs, 50).toFixed(1)} ms  p99 ${percentile(run.latenciesMs, 99).toFixed(1)} ms  (${run.count} in ${run.seconds.toFixed(2)} s)`;
}
