import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapters } from "../app/adapters.ts";
import { IVY, badgeServer, type BadgeServer } from "./support/badges.ts";
import { startFakeSlack } from "./support/fake-slack.ts";
import { SECRET } from "./support/slack.ts";
import { PREVIEW_PATH } from "../adapters/email/preview.ts";

// Every page and document Steps serves, whichever adapter wrote it and whatever
// the status, says: no type sniffing, no framing, no referrer to other sites.

let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let t: BadgeServer;
/** Real documents behind the prefix routes, which a made-up path would only show as a 404. */
const documents: Record<string, string[]> = {};

beforeAll(async () => {
  slack = await startFakeSlack();
  // Every adapter there is, each configured: Slack, Teams (local), the playground and the badge pages.
  t = await badgeServer({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_API_URL: slack.apiUrl, TEAMS: "1", PLAYGROUND: "1" }, adapters);
  const award = await t.earn(IVY, "Met the clerk", null);
  expect(await t.say(IVY, "badge publish civic")).toContain("badge page is now public");
  const jwks = (await (await fetch(`${t.url}/issuer/jwks.json`)).json()) as { keys: { kid: string }[] };
  documents["/badges/*"] = ["", ".json", ".jwt", "/revocations"].map((suffix) => `/badges/${award.id}${suffix}`);
  documents["/achievements/*"] = ["/achievements/civic", "/achievements/civic/image"];
  documents["/issuer/keys/*"] = [new URL(jwks.keys[0]!.kid).pathname];
});

afterAll(async () => {
  await t?.close();
  await slack?.close();
});

/** The one page another may frame: the playground's Email pane frames the email previews, from this server only. */
const FRAMED_BY_PLAYGROUND = new Set([PREVIEW_PATH]);

function expectSecurityHeaders(res: Response, what: string, path = "") {
  expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(res.headers.get("content-security-policy"), what).toMatch(FRAMED_BY_PLAYGROUND.has(path) ? /(^|; )frame-ancestors 'self'($|;)/ : /(^|; )frame-ancestors 'none'($|;)/);
  // same-origin: the playground's page, whose own form posts must carry its Origin.
  expect(["no-referrer", "same-origin"], what).toContain(res.headers.get("referrer-policy"));
}

describe("security headers", () => {
  it("are on every response of every registered route, GET and POST, errors included", async () => {
    expect([...t.server.adapters].sort()).toEqual(["badges", "email", "slack", "teams", "web"]);
    const routes = t.server.routes;
    expect(new Set(routes.map((r) => r.method))).toEqual(new Set(["GET", "POST"]));
    const seen: string[] = [];
    for (const route of routes) {
      const prefix = route.path.endsWith("*") ? route.path.slice(0, -1) : undefined;
      // A prefix route is tried with a made-up path and with the real documents it serves.
      const paths = prefix ? [`${prefix}x`, ...(documents[route.path] ?? [])] : [route.path];
      for (const path of paths) {
        for (const accept of ["text/html", "application/json"]) {
          const init: RequestInit = route.method === "POST" ? { method: "POST", headers: { accept, "content-type": "application/json" }, body: "{}" } : { headers: { accept } };
          const res = await fetch(`${t.url}${path}`, { ...init, redirect: "manual" });
          await res.arrayBuffer();
          expectSecurityHeaders(res, `${route.method} ${path} (${res.status})`, path);
          seen.push(`${route.method} ${path} ${res.status}`);
        }
      }
    }
    // The real documents were served, not only refusals and 404s.
    for (const path of Object.values(documents).flat()) expect(seen, path).toContain(`GET ${path} 200`);
    for (const path of ["/", "/healthz", "/issuer", "/issuer/jwks.json", "/playground/app.js"]) expect(seen, path).toContain(`GET ${path} 200`);
  });

  it("are on the answers to paths and methods no route serves", async () => {
    for (const [method, path] of [["GET", "/nope"], ["POST", "/healthz"], ["PUT", "/"], ["DELETE", "/issuer"]] as const) {
      const res = await fetch(`${t.url}${path}`, { method });
      expect(res.status).toBe(404);
      expectSecurityHeaders(res, `${method} ${path}`);
    }
  });
});
