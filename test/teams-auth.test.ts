import { createHmac } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import teamsAdapter from "../adapters/teams/index.ts";
import { readTeamsEnv } from "../adapters/teams/settings.ts";
import { readEnv } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { teamsActivity, teamsRig, type TeamsRig } from "./support/teams.ts";

/** A well-formed token signed with a key the attacker chose: botbuilder must not accept it. */
function forgedToken(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const body = `${part({ alg: "HS256", typ: "JWT", kid: "attacker" })}.${part({ aud: "app-1", exp: Math.floor(Date.now() / 1000) + 600, ...claims })}`;
  return `${body}.${createHmac("sha256", "guess").update(body).digest("base64url")}`;
}

describe("Teams with an app id: botbuilder authenticates every request", () => {
  let t: TeamsRig;
  beforeAll(async () => {
    t = await teamsRig({ TEAMS: "0", MICROSOFT_APP_ID: "app-1", MICROSOFT_APP_PASSWORD: "secret" });
    t.member("ana", "ana@example.org");
  });
  afterAll(async () => {
    await t.close();
  });

  it("refuses a request without a token, or with a forged one, and records nothing", async () => {
    // botbuilder logs each refusal to the console; keep the test output readable.
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    const activity = () => teamsActivity(t.connector, { from: "29:ana", text: "done safety-walk" });
    const headers: Record<string, string>[] = [
      {},
      { authorization: "Bearer not-a-token" },
      { authorization: `Bearer ${forgedToken({ iss: "https://attacker.example" })}` },
      { authorization: `Basic ${Buffer.from("app-1:secret").toString("base64")}` },
    ];
    for (const h of headers) {
      const res = await t.post(activity(), h);
      expect(res.status, JSON.stringify(h)).toBe(401);
    }
    quiet.mockRestore();
    expect(t.connector.calls).toEqual([]);
    const ana = (await t.steps.store.personByEmail("ana@example.org"))!;
    expect(await t.steps.store.submissionsOf(ana.id)).toEqual([]);
    expect(await t.steps.store.identitiesOf([ana.id])).toEqual([]);
  });

  it("answers any body, without a token or with a forged one, with a 4xx, and keeps serving (property)", async () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    const body = fc.oneof(
      fc.jsonValue().map((v) => ({ body: JSON.stringify(v), type: "application/json" })),
      fc.record({ type: fc.constantFrom("message", "invoke", "conversationUpdate"), text: fc.string({ maxLength: 20 }), serviceUrl: fc.oneof(fc.constant(t.connector.url), fc.string({ maxLength: 20 })) }).map((v) => ({ body: JSON.stringify(v), type: "application/json" })),
      fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 6 }).map((d) => ({ body: new URLSearchParams(d).toString(), type: "application/x-www-form-urlencoded" })),
      fc.uint8Array({ maxLength: 300 }).map((b) => ({ body: Buffer.from(b).toString("utf8"), type: "application/octet-stream" })),
    );
    const authorization = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
      fc.constant(`Bearer ${forgedToken({ iss: "https://api.botframework.com" })}`),
    );
    try {
      await fc.assert(
        fc.asyncProperty(body, authorization, async ({ body, type }, auth) => {
          const headers: Record<string, string> = { "content-type": type };
          if (auth !== undefined) headers.authorization = auth;
          const res = await fetch(`${t.server.url}/api/messages`, { method: "POST", body, headers });
          await res.arrayBuffer();
          expect(res.status >= 400 && res.status < 500, `${res.status} for ${auth ?? "no token"}: ${body.slice(0, 200)}`).toBe(true);
          expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
        }),
        { numRuns: 100 },
      );
    } finally {
      quiet.mockRestore();
    }
    expect(t.connector.calls).toEqual([]);
  }, 120_000);
});

describe("Teams settings", () => {
  const env = (vars: Record<string, string>) => readEnv({ ...vars });

  it("is on with an app id, or TEAMS=1 for local testing, and off otherwise", () => {
    expect(teamsAdapter.configured(env({ MICROSOFT_APP_ID: "x" }))).toBe(true);
    expect(teamsAdapter.configured(env({ TEAMS: "1" }))).toBe(true);
    expect(teamsAdapter.configured(env({}))).toBe(false);
  });

  it("names each missing or wrong setting", () => {
    expect(() => readTeamsEnv(env({ MICROSOFT_APP_ID: "x" }))).toThrow("MICROSOFT_APP_PASSWORD: is required with MICROSOFT_APP_ID");
    expect(() => readTeamsEnv(env({ MICROSOFT_APP_ID: "x", MICROSOFT_APP_PASSWORD: "p", MICROSOFT_APP_TYPE: "SingleTenant" }))).toThrow(
      "MICROSOFT_APP_TENANT_ID: is required when MICROSOFT_APP_TYPE is SingleTenant",
    );
    expect(() => readTeamsEnv(env({ MICROSOFT_APP_TYPE: "Personal" }))).toThrow("MICROSOFT_APP_TYPE");
    expect(readTeamsEnv(env({ MICROSOFT_APP_ID: "x", MICROSOFT_APP_TYPE: "UserAssignedMSI", MICROSOFT_APP_TENANT_ID: "t" }))).toMatchObject({ MICROSOFT_APP_TYPE: "UserAssignedMSI" });
  });

  it("warns at start-up that requests are not authenticated without an app id", async () => {
    const lines: string[] = [];
    const t = await teamsRig({}, { log: createLogger("warn", (l) => lines.push(l)) });
    await t.close();
    expect(lines.some((l) => l.includes("requests to /api/messages are NOT authenticated"))).toBe(true);
  });
});
