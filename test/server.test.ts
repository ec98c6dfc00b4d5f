import { afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../app/server.ts";
import type { AddressInfo } from "node:net";
import { answer } from "../src/chat.ts";
import { listenHost, readEnv } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { bootForTest } from "./support/boot.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("server", () => {
  it("answers /healthz with 200 while the database answers and 503 when it does not", async () => {
    const steps = await bootForTest();
    const server: RunningServer = await startServer(steps, []);
    cleanups.push(() => steps.close().catch(() => {}), () => server.close());
    const ok = await fetch(`${server.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, database: steps.db.kind });
    await steps.db.close();
    const down = await fetch(`${server.url}/healthz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ok: false, error: "database unavailable" });
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
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
