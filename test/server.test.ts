import { afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../app/server.ts";
import type { AddressInfo } from "node:net";
import { answer } from "../src/chat.ts";
import { listenHost, readEnv } from "../src/config.ts";
import { startScheduler } from "../app/scheduler.ts";
import { createLogger, silentLogger } from "../src/log.ts";
import type { PlatformAdapter } from "../adapters/platform.ts";
import { bootForTest } from "./support/boot.ts";
import { until } from "./support/wait.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("server", () => {
  it("answers /healthz with each part's state, and 503 only while the database does not answer; HEAD alike without the body", async () => {
    const steps = await bootForTest();
    // The server knows no platform by name: each running adapter reports for itself.
    const pigeon: PlatformAdapter = { name: "pigeon", configured: () => true, start: async () => ({ health: () => "lost at sea; retrying" }) };
    const silent: PlatformAdapter = { name: "silent", configured: () => true, start: async () => ({}) };
    const server: RunningServer = await startServer(steps, [pigeon, silent]);
    cleanups.push(() => steps.close().catch(() => {}), () => server.close());
    const ok = await fetch(`${server.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, parts: { database: "ok", pigeon: "lost at sea; retrying" } });
    const head = await fetch(`${server.url}/healthz`, { method: "HEAD" });
    expect([head.status, await head.text()]).toEqual([200, ""]);
    await steps.db.close();
    const down = await fetch(`${server.url}/healthz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ok: false, parts: { database: "unavailable", pigeon: "lost at sea; retrying" } });
    const headDown = await fetch(`${server.url}/healthz`, { method: "HEAD" });
    expect([headDown.status, await headDown.text()]).toEqual([503, ""]);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/nope`, { method: "HEAD" })).status).toBe(404);
  });

  it("reports the scheduler on /healthz: a failed run until one succeeds again", async () => {
    const steps = await bootForTest();
    const server = await startServer(steps, []);
    cleanups.push(() => steps.close(), () => server.close());
    let failing = true;
    const runs: boolean[] = [];
    // The first run waits until /healthz has been read before any run: it runs every second.
    let firstRead!: () => void;
    const read = new Promise<void>((resolve) => (firstRead = resolve));
    const runDue = async (at: Date) => {
      await read;
      runs.push(failing);
      if (failing) throw new Error("database gone");
      return steps.runDue(at);
    };
    // Every second rather than every minute: the test waits for runs, not for a clock.
    const scheduler = startScheduler({ runDue, now: steps.now, log: silentLogger }, { every: "* * * * * *" });
    cleanups.push(() => scheduler.stop());
    server.watch("scheduler", scheduler);
    const part = async () => ((await (await fetch(`${server.url}/healthz`)).json()) as { parts: { scheduler: string } }).parts.scheduler;
    expect(await part()).toBe("ok");
    firstRead();
    await until("the failed run shows in /healthz", async () => runs.length > 0 && /^the run at .+ failed \(see the log\); the next one tries again$/.test(await part()));
    failing = false;
    await until("a run succeeds and /healthz says ok", async () => runs.includes(false) && (await part()) === "ok");
  });

  it("loads the sample roster on first start and never shows a database error to a person", async () => {
    const logged: string[] = [];
    const steps = await bootForTest({}, { log: createLogger("debug", (l) => logged.push(l)) });
    cleanups.push(() => steps.close().catch(() => {}));
    const coordinators = await steps.store.peopleByRole("coordinator");
    expect(coordinators.length).toBeGreaterThan(0);
    const intern = (await steps.store.peopleByRole("intern"))[0]!;
    await steps.db.close();
    const reply = await answer(steps.core, intern, "status", createLogger("error", (l) => logged.push(l)));
    expect(reply.text).toBe("Steps could not do that just now. Nothing was lost; please try again in a minute.");
    expect(logged.some((l) => l.includes("command failed"))).toBe(true);
  });

  it("listens only on this computer when no chat platform is configured and HOST is unset", async () => {
    const steps = await bootForTest({ HOST: "" });
    const server = await startServer(steps, []);
    cleanups.push(() => steps.close(), () => server.close());
    expect((server.server.address() as AddressInfo).address).toBe("127.0.0.1");
    expect(listenHost(readEnv({}), ["slack"])).toBe("0.0.0.0");
    expect(listenHost(readEnv({ HOST: "0.0.0.0" }), [])).toBe("0.0.0.0");
  });

  it("refuses to start on an invalid program file with the located report", async () => {
    await expect(bootForTest({ PROGRAM_FILE: "test/fixtures/bad-program.yml" })).rejects.toThrow(/bad-program\.yml:\d+ /);
  });
});
