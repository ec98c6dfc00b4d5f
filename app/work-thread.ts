import { readdirSync, readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { Worker } from "node:worker_threads";
import type { Env } from "../src/config.ts";
import type { Logger } from "../src/log.ts";

/**
 * The work after an ack, in a thread of its own. A command's work (the
 * database, the reply, the mentor's message) costs several milliseconds of
 * CPU; on the thread that acks, every request arriving meanwhile waits for it
 * (bench/slack.ts). The work thread is a second Steps instance in this process
 * (app/worker.ts): its own database pool, core, adapters and dispatcher, as
 * two servers on one database are, so it needs PostgreSQL. It runs at the
 * lowest priority: under load, acks stay fast and replies wait.
 */
export interface WorkThread {
  /** Hands a job to the thread's instance of that adapter; false once the thread is gone. */
  offload(adapter: string, job: unknown): boolean;
  /** Finishes the jobs handed over, then stops the thread. */
  close(): Promise<void>;
}

export type FromWorker = { type: "ready" } | { type: "failed"; error: string };
export type ToWorker = { type: "job"; adapter: string; job: unknown } | { type: "close" };

/** WORK_THREAD, else on with PostgreSQL: PGlite keeps its database inside one thread. */
export function wantsWorkThread(env: Env): boolean {
  return env.WORK_THREAD ? env.WORK_THREAD === "on" : Boolean(env.DATABASE_URL);
}

export async function startWorkThread(env: Env, log: Logger): Promise<WorkThread> {
  if (!env.DATABASE_URL) throw new Error("WORK_THREAD=on needs PostgreSQL (DATABASE_URL): PGlite keeps its database inside one thread.");
  // Built, the worker is JavaScript beside this file. From the sources (tests), a
  // worker thread does not inherit the loader that lets this process import
  // TypeScript: it registers tsx's before importing worker.ts.
  const built = !import.meta.url.endsWith(".ts");
  const entry = new URL(built ? "./worker.js" : "./worker.ts", import.meta.url).href;
  const bootstrap = built
    ? `import(${JSON.stringify(entry)});`
    : `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { env: env.raw } });
  let alive = true;
  await new Promise<void>((resolve, reject) => {
    worker.once("message", (m: FromWorker) => (m.type === "ready" ? resolve() : reject(new Error(`work thread did not start: ${m.error}`))));
    worker.once("error", reject);
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  worker.on("error", (error) => log.error("work thread failed; work after the ack now runs on the serving thread", { error: error.stack ?? error.message }));
  worker.on("exit", () => (alive = false));
  yieldHelperThreads();
  log.info("work after the ack runs in a work thread");
  const post = (message: ToWorker) => worker.postMessage(message);
  return {
    offload(adapter, job) {
      if (!alive) return false;
      post({ type: "job", adapter, job });
      return true;
    },
    async close() {
      if (!alive) return;
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      post({ type: "close" });
      await exited;
    },
  };
}

/**
 * Acks are due within 3 s and the work after them is not: every thread of the
 * process but the serving one goes to the lowest priority, so the serving
 * thread runs first whenever both want a core and the work still has every
 * moment the machine would otherwise idle. That is the work thread (c=1 ack
 * p99 ratio 1.30 at nice 19, 1.53 at nice 10) and V8's helper threads (garbage
 * collection, compilation), which serve both and mostly the work thread: at
 * nice 0 they took cores from the serving thread too (bench/RESULTS.md). Linux
 * only, where the nice value belongs to the thread; elsewhere setpriority
 * would lower the whole process, serving thread included.
 */
function yieldHelperThreads(): void {
  try {
    const self = readlinkSync("/proc/thread-self").split("/").pop();
    for (const tid of readdirSync("/proc/self/task")) if (tid !== self) setPriority(Number(tid), 19);
  } catch {
    // No /proc, or not allowed: the helpers keep their priority.
  }
}
