import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import teamsAdapter from "../adapters/teams/index.ts";
import { NOT_LOCAL, SERVICE_URL_NOT_LOCAL } from "../adapters/teams/settings.ts";
import { startServer } from "../app/server.ts";
import { readEnv } from "../src/config.ts";
import { bootForTest } from "./support/boot.ts";
import { nonLoopbackAddress, rawRequest } from "./support/http.ts";
import { cardOf, teamsActivity, teamsRig, type TeamsRig } from "./support/teams.ts";

// TEAMS=1 without an app id: nothing authenticates /api/messages, so only this
// computer may post to it, and Steps calls back only addresses on this computer.

let t: TeamsRig;
beforeAll(async () => {
  // HOST=0.0.0.0: the refusals must hold even when the operator opens the port. The fake connector
  // listens on every interface too, so it would record a call to any of this machine's addresses.
  t = await teamsRig({ HOST: "0.0.0.0" }, { connectorHost: "0.0.0.0" });
});
afterAll(async () => {
  await t.close();
});
beforeEach(() => {
  t.connector.calls.length = 0;
});

const port = () => (t.server.server.address() as AddressInfo).port;

/** Posts an activity with exactly these headers and this source address, then lets the inbox and the outbox settle. */
async function send(activity: Record<string, unknown>, o: { host?: string; headers?: Record<string, string>; from?: string } = {}) {
  const host = o.host ?? "127.0.0.1";
  const res = await rawRequest(`http://${host}:${port()}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", host: `${host}:${port()}`, ...o.headers },
    body: JSON.stringify(activity),
    localAddress: o.from,
  });
  await t.steps.inbox.idle();
  await t.steps.dispatcher.idle();
  return res;
}

/** Nothing happened: no call to any connector, nothing recorded for that person. */
async function untouched(email: string) {
  expect(t.connector.calls).toEqual([]);
  const person = (await t.steps.store.personByEmail(email))!;
  expect(await t.steps.store.submissionsOf(person.id)).toEqual([]);
  expect(await t.steps.store.identitiesOf([person.id])).toEqual([]);
}

describe("local Teams mode (TEAMS=1, no app id)", () => {
  it("listens only on this computer when HOST is unset, and on every interface with an app id", async () => {
    // A Steps of its own, started with other settings: a second Teams adapter on the rig's would take over its inbox work.
    const steps = await bootForTest();
    const listening = async (vars: Record<string, string>) => {
      const server = await startServer({ ...steps, env: readEnv({ PORT: "0", ...vars }) }, [teamsAdapter], { retryEveryMs: 3_600_000 });
      const { address } = server.server.address() as AddressInfo;
      await server.close();
      return address;
    };
    try {
      expect(await listening({ TEAMS: "1" })).toBe("127.0.0.1");
      expect(await listening({ MICROSOFT_APP_ID: "app-1", MICROSOFT_APP_PASSWORD: "secret" })).toBe("0.0.0.0");
    } finally {
      await steps.close();
    }
  });

  it("refuses a request from another machine, through a proxy, to another host name, or from a web page", async () => {
    t.member("ana", "ana@example.org");
    const activity = () => teamsActivity(t.connector, { from: "29:ana", text: "done safety-walk" });
    const refused: { host?: string; headers?: Record<string, string>; from?: string }[] = [
      { headers: { "x-forwarded-for": "203.0.113.9" } },
      { headers: { "x-real-ip": "203.0.113.9" } },
      { headers: { forwarded: "for=203.0.113.9" } },
      { headers: { "x-forwarded-host": "steps.example.org" } },
      // DNS rebinding: a name the attacker controls, resolved to this computer.
      { headers: { host: "rebind.example" } },
      { headers: { origin: "https://evil.example" } },
      { headers: { "sec-fetch-site": "cross-site" } },
    ];
    // A connection to another address of this machine comes from that address, as another machine's would.
    const address = nonLoopbackAddress();
    if (address) refused.push({ host: address, from: address });
    for (const o of refused) {
      const res = await send(activity(), o);
      expect([res.status, res.body], JSON.stringify(o)).toEqual([403, NOT_LOCAL]);
    }
    await untouched("ana@example.org");

    // The same activity from this computer goes through.
    expect((await send(activity())).status).toBe(200);
    expect(cardOf(t.connector.calls.find((c) => c.kind === "reply")!).fallbackText).toMatch(/^Recorded Safety walk/);
  });

  it("accepts only a serviceUrl on this computer, and makes no request elsewhere", async () => {
    t.member("ben", "ben@example.org");
    const activity = (text: string) => teamsActivity(t.connector, { from: "29:ben", text });
    const { port: connectorPort } = new URL(t.connector.url);
    const address = nonLoopbackAddress();
    const urls = [
      // 0.0.0.0 reaches this machine, but not as the loopback interface.
      `http://0.0.0.0:${connectorPort}`,
      `http://127.0.0.1@0.0.0.0:${connectorPort}`,
      `http://127.0.0.1.nip.io:${connectorPort}`,
      `http://localhost.example:${connectorPort}`,
      "file:///etc/passwd",
      ...(address ? [`http://${address}:${connectorPort}`] : []),
    ];
    for (const serviceUrl of urls) {
      const res = await send({ ...activity("done safety-walk"), serviceUrl });
      expect([res.status, res.body], serviceUrl).toEqual([403, SERVICE_URL_NOT_LOCAL]);
    }
    // Not an address at all: not an activity.
    expect((await send({ ...activity("done safety-walk"), serviceUrl: "not a url" })).status).toBe(400);
    const { serviceUrl: _, ...none } = activity("done safety-walk");
    expect((await send(none)).status).toBe(400);
    await untouched("ben@example.org");

    for (const host of ["127.0.0.1", "localhost"]) {
      const res = await send({ ...activity("status"), serviceUrl: `http://${host}:${connectorPort}` });
      expect(res.status, host).toBe(200);
    }
    expect(t.connector.messages().map((c) => c.kind)).toEqual(["reply", "reply"]);
  });
});
