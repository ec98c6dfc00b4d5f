import { parentPort, workerData } from "node:worker_threads";
import { readEnv } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { adapters } from "./adapters.ts";
import { boot } from "./boot.ts";
import { OUTBOX_BEAT_MS, startAdapters } from "./server.ts";
import type { FromWorker, ToWorker } from "./work-thread.ts";

// The work thread's side of app/work-thread.ts: a Steps instance that receives
// nothing from a platform, runs the jobs adapters offload to it, and delivers
// the outbox like any other instance.

const port = parentPort!;
const say = (message: FromWorker) => port.postMessage(message);
const env = readEnv((workerData as { env: Record<string, string | undefined> }).env);
const log = createLogger(env.LOG_LEVEL);

try {
  const steps = await boot(env, log);
  const running = await startAdapters(steps, adapters, { add: () => {} }, { worker: true });
  const timer = setInterval(() => void steps.dispatcher.kick(), OUTBOX_BEAT_MS);
  const inFlight = new Set<Promise<void>>();
  port.on("message", async (message: ToWorker) => {
    if (message.type === "close") {
      clearInterval(timer);
      await Promise.all(inFlight);
      for (const r of running) await r.adapter.close?.();
      await steps.close();
      port.close();
      return;
    }
    const adapter = running.find((r) => r.name === message.adapter)?.adapter;
    if (!adapter?.work) return log.error("work thread: no adapter takes this job", { adapter: message.adapter });
    const done = adapter.work(message.job).catch((error: unknown) => log.error(`${message.adapter} work failed`, { error: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });
  say({ type: "ready" });
} catch (error) {
  say({ type: "failed", error: error instanceof Error ? error.message : String(error) });
}
