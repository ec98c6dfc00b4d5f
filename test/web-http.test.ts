import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isLoopbackAddress } from "../adapters/local-only.ts";
import web from "../adapters/web/index.ts";
import { createMailbox, webTransport } from "../adapters/web/mailbox.ts";
import { programTime } from "../adapters/web/routes.ts";
import { startServer, type RunningServer } from "../app/server.ts";
import { readEnv } from "../src/config.ts";
import { defaultWords } from "../src/i18n.ts";
import { silentLogger } from "../src/log.ts";
import type { PlatformAdapter } from "../adapters/platform.ts";
import { bootForTest } from "./support/boot.ts";

const { t } = defaultWords();
const CLOCK_MISSING = t("en", "page.clock_missing");
const REFUSED = t("en", "page.refused_remote");
const CROSS_SITE = t("en", "page.refused_cross_site");
const NO_TOKEN = t("en", "page.no_token");
import { rawRequest } from "./support/http.ts";

// The playground's HTTP surface, through the real server on a real database.

let steps: Awaited<ReturnType<typeof bootForTest>>;
let server: RunningServer;
const ids: Record<string, number> = {};

beforeAll(async () => {
  steps = await bootForTest({}, { now: () => new Date("2026-06-22T17:00:00Z") });
  server = await startServer(steps, [web]);
  for (const email of ["ana.torres@example.org", "priya.nair@example.org", "kevin.lam@example.org", "maria.delgado@example.org"]) {
    ids[email.split(".")[0]!] = (await steps.store.personByEmail(email))!.id;
  }
});

afterAll(async () => {
  await server?.close();
  await steps?.close();
});

const tokens = new Map<string, string>();
/** A token as a script gets one; each server signs its own. */
async function tokenOf(base: string): Promise<string> {
  if (!tokens.has(base)) tokens.set(base, ((await (await fetch(`${base}/playground/people`)).json()) as { token: string }).token);
  return tokens.get(base)!;
}

/** Posts as the page does: with its token added to a JSON object or a form (other raw bodies go as they are). */
async function post(path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }, base = server.url) {
  const token = await tokenOf(base);
  const form = headers["content-type"] === "application/x-www-form-urlencoded";
  const sent = typeof body !== "string" ? JSON.stringify({ ...(body as object), token }) : form ? `${body}&token=${encodeURIComponent(token)}` : body;
  return fetch(`${base}${path}`, { method: "POST", headers, body: sent, redirect: "manual" });
}

async function error(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { ok: boolean; error: string };
  expect(body.ok).toBe(false);
  return [response.status, body.error];
}

describe("page and roster", () => {
  it("serves the page with the playground banner, the roster picker and a strict content policy", async () => {
    const response = await fetch(`${server.url}/?person=${ids.ana}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await response.text();
    expect(html).toContain("Playground — not a real chat platform; everything here is local.");
    expect(html).toContain('<label for="person">Acting as</label>');
    expect(html).toContain(`<option value="${ids.ana}" selected>Ana Torres (ana.torres@example.org)</option>`);
    expect(html).toContain('<optgroup label="Interns — Administrative Services">');
    expect(html).toContain("<h2 id=\"chat-title\">Chat as Ana Torres</h2>");
    expect((await fetch(`${server.url}/playground/app.js`)).headers.get("content-type")).toContain("text/javascript");
    expect((await fetch(`${server.url}/playground/app.css`)).headers.get("content-type")).toContain("text/css");
  });

  it("says so when the person asked for is not on the roster", async () => {
    const html = await (await fetch(`${server.url}/?person=999999`)).text();
    expect(html).toMatch(/<p class="notice" role="alert">No one with number 999999 is on the roster; showing [^<]+ instead\.<\/p>/);
  });

  it("lists the roster grouped by role and department", async () => {
    const body = (await (await fetch(`${server.url}/playground/people`)).json()) as { groups: { role: string; department: string | null; label: string; people: { id: number; name: string }[] }[] };
    expect(body.groups.find((g) => g.label === "Interns — Administrative Services")?.people.map((p) => p.name)).toEqual(["Ana Torres", "Kevin Lam"]);
    expect(body.groups.find((g) => g.role === "coordinator")).toMatchObject({ department: null, label: "Coordinators" });
    expect(body.groups.map((g) => g.role)).toEqual([...body.groups.filter((g) => g.role === "intern"), ...body.groups.filter((g) => g.role === "mentor"), ...body.groups.filter((g) => g.role === "coordinator")].map((g) => g.role));
  });
});

describe("commands and buttons", () => {
  it("answers a command, delivers what it queued, and lets the mentor click Approve", async () => {
    const response = await post("/playground/command", { personId: ids.ana, text: "done budget-walkthrough Walked through the general fund" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { reply: { text: string; html: string }; lines: string[] };
    const id = Number(/\(#(\d+)\)/.exec(body.reply.text)![1]);
    expect(body.reply.text).toContain("Recorded Walk through the city budget");
    expect(body.lines).toHaveLength(2);
    expect(body.lines[0]).toContain("done budget-walkthrough Walked through the general fund");

    const inbox = (await (await fetch(`${server.url}/playground/inbox?personId=${ids.priya}`)).json()) as { messages: { id: number; rev: number; text: string; html: string }[] };
    const request = inbox.messages.find((m) => m.text.includes(`(#${id})`) || m.text.includes(`Submission #${id}`))!;
    expect(request.html).toContain(`<button type="submit" name="action" value="approve" data-value="${id}" class="primary">Approve</button>`);

    const clicked = await post("/playground/action", { personId: ids.priya, action: "approve", value: String(id) });
    expect(((await clicked.json()) as { reply: { text: string } }).reply.text).toMatch(/^Approved by Priya Nair/);
    // The request is edited in place: same message, next revision, no buttons.
    const after = (await (await fetch(`${server.url}/playground/inbox?personId=${ids.priya}`)).json()) as typeof inbox;
    const edited = after.messages.find((m) => m.id === request.id)!;
    expect(edited.rev).toBe(request.rev + 1);
    expect(edited.html).not.toContain("<button");
    const anas = (await (await fetch(`${server.url}/playground/inbox?personId=${ids.ana}`)).json()) as typeof inbox;
    expect(anas.messages.at(-1)!.text).toBe(`Priya Nair approved Walk through the city budget (#${id}).`);
  });

  it("answers the core's refusals as replies, not errors", async () => {
    const stale = await post("/playground/action", { personId: ids.priya, action: "approve", value: "999999" });
    expect(stale.status).toBe(200);
    expect(((await stale.json()) as { reply: { text: string } }).reply.text).toBe("There is no submission #999999. Type `pending` to see yours.");
    await post("/playground/command", { personId: ids.kevin, text: "done records-inventory" });
    const id = (await steps.store.submissionsOf(ids.kevin!)).at(-1)!.id;
    const noReason = await post("/playground/action", { personId: ids.priya, action: "request_changes", value: String(id), reason: "   " });
    expect(((await noReason.json()) as { reply: { text: string } }).reply.text).toBe(`Say what to change: \`changes ${id} <reason>\`.`);
    const own = await post("/playground/command", { personId: ids.kevin, text: `approve ${id}` });
    expect(((await own.json()) as { reply: { text: string } }).reply.text).toBe("You cannot approve your own work. Your mentor will review it.");
  });

  it("works without JavaScript: form posts redirect back to the page, which shows the conversation", async () => {
    const response = await post("/playground/command", new URLSearchParams({ personId: String(ids.maria), text: "help" }).toString(), { "content-type": "application/x-www-form-urlencoded" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/?person=${ids.maria}#chat`);
    const html = await (await fetch(`${server.url}/?person=${ids.maria}`)).text();
    expect(html).toContain('<li class="line you"');
    expect(html).toContain("<p>help</p>");

    await post("/playground/command", { personId: ids.ana, text: "done job-posting-review https://example.org/posting" });
    const id = (await steps.store.submissionsOf(ids.ana!)).at(-1)!.id;
    const form = new URLSearchParams({ personId: String(ids.priya), value: String(id), action: "request_changes", reason: "Say which posting" });
    const sentBack = await post("/playground/action", form.toString(), { "content-type": "application/x-www-form-urlencoded" });
    expect([sentBack.status, sentBack.headers.get("location")]).toEqual([303, `/?person=${ids.priya}#chat`]);
    expect(await steps.store.decisionOf(id)).toMatchObject({ decision: "changes_requested", reason: "Say which posting" });
  });

  it("turns bad bodies into 400s that say what is wrong", async () => {
    expect(await error(await post("/playground/command", "{not json"))).toEqual([400, "The request body is not valid JSON."]);
    expect(await error(await post("/playground/command", { personId: ids.ana }))).toEqual([400, 'text: text is required: the command to run, e.g. "help"']);
    expect(await error(await post("/playground/command", { personId: ids.ana, text: "   " }))).toEqual([400, 'text: text is empty: type a command, e.g. "help"']);
    expect(await error(await post("/playground/command", { personId: "abc", text: "help" }))).toEqual([400, "personId: personId must be a roster person's number"]);
    expect(await error(await post("/playground/command", { personId: 1.5, text: "help" }))).toEqual([400, "personId: personId must be a whole number"]);
    expect(await error(await post("/playground/command", { personId: true, text: "help" }))).toEqual([400, "personId: personId must be a roster person's number"]);
    expect(await error(await post("/playground/command", "x", { "content-type": "text/plain" }))).toEqual([415, "Send the body as application/json (or a url-encoded form)."]);
    expect(await error(await post("/playground/command", { personId: ids.ana, text: "x".repeat(20_000) }))).toEqual([413, "The request body is larger than 16 KB."]);
    expect(await error(await post("/playground/action", { personId: ids.priya, action: "delete_everything", value: "1" }))).toEqual([400, "action: action must be approve, request_changes, publish_badge or choose_program"]);
    expect(await error(await post("/playground/action", { personId: ids.priya, action: "approve" }))).toEqual([400, "value: value is required: the id the button carries"]);
    expect(await error(await fetch(`${server.url}/playground/inbox`))).toEqual([400, "personId is required: /playground/inbox?personId=<number from /playground/people>"]);
    expect(await error(await fetch(`${server.url}/playground/channel?personId=x`))).toEqual([400, "personId must be a roster person's number, or left out"]);
  });

  it("answers 404 for someone who is not on the roster", async () => {
    const message = "No one with personId 999999 is on the roster. GET /playground/people lists everyone.";
    expect(await error(await post("/playground/command", { personId: 999999, text: "status" }))).toEqual([404, message]);
    expect(await error(await post("/playground/action", { personId: 999999, action: "approve", value: "1" }))).toEqual([404, message]);
    expect(await error(await fetch(`${server.url}/playground/inbox?personId=999999`))).toEqual([404, message]);
  });
});

describe("clock", () => {
  // The tests here move the program clock; the rest of the file runs at the injected time.
  afterEach(() => steps.moveClock(new Date("2026-06-22T17:00:00Z")));

  it("is refused with the reason while no scheduler runs, and bad times are 400s", async () => {
    const withoutScheduler: PlatformAdapter = { ...web, start: (ctx) => web.start({ ...ctx, runDue: undefined }) };
    const bare = await startServer(steps, [withoutScheduler]);
    try {
      const clock = (body: unknown) => post("/playground/clock", body, undefined, bare.url);
      expect(await error(await clock({ at: "2026-06-22T09:00" }))).toEqual([501, CLOCK_MISSING]);
      expect(await error(await clock({ at: "next tuesday" }))).toEqual([400, "at: at must be a date and time such as 2026-06-22T09:00"]);
      expect(await error(await clock({}))).toEqual([400, "at: at is required: a date and time such as 2026-06-22T09:00"]);
      const html = await (await fetch(bare.url)).text();
      expect(html).toContain('<input type="datetime-local" id="clock-at" name="at" required aria-describedby="clock-help" disabled>');
      expect(html).toContain(CLOCK_MISSING);
    } finally {
      await bare.close();
    }
  });

  it("runs what is due at the chosen time in the program's zone, then delivers it", async () => {
    const asked: Date[] = [];
    const withScheduler: PlatformAdapter = { ...web, start: (ctx) => web.start({ ...ctx, runDue: async (at) => void asked.push(at) }) };
    const scheduled = await startServer(steps, [withScheduler]);
    try {
      const response = await post("/playground/clock", { at: "2026-06-22T09:00" }, undefined, scheduled.url);
      expect(await response.json()).toEqual({ ok: true, at: "2026-06-22T16:00:00.000Z", delivered: 0, said: "Ran what was due by Jun 22, 9:00 AM: 0 messages delivered." });
      await post("/playground/clock", { at: "2026-06-22T09:00:00Z" }, undefined, scheduled.url);
      expect(asked.map((d) => d.toISOString())).toEqual(["2026-06-22T16:00:00.000Z", "2026-06-22T09:00:00.000Z"]);
      expect(await (await fetch(scheduled.url)).text()).toContain('<button type="submit">Run due reminders</button>');
    } finally {
      await scheduled.close();
    }
  });

  it("moves the program clock: what falls due, and what happens after, is dated and shown at the chosen time", async () => {
    const ana = ids.ana!;
    const reminder = { text: "Reminder: budget hearing at 6 PM.", blocks: [{ type: "text" as const, text: "Reminder: budget hearing at 6 PM." }] };
    const withScheduler: PlatformAdapter = { ...web, start: (ctx) => web.start({ ...ctx, runDue: (at) => steps.store.enqueue([{ key: `test-clock:${at.toISOString()}`, recipient: `person:${ana}`, payload: { message: reminder } }]) }) };
    const scheduled = await startServer(steps, [withScheduler]);
    // Delivered through the first web transport registered: the file's main server.
    const inbox = async (personId: number) =>
      ((await (await fetch(`${server.url}/playground/inbox?personId=${personId}`)).json()) as { messages: { at: string; text: string; html: string }[] }).messages.at(-1)!;
    try {
      expect((await post("/playground/clock", { at: "2026-07-21T09:00" }, undefined, scheduled.url)).status).toBe(200);
      const due = await inbox(ana);
      expect([due.text, due.at]).toEqual([reminder.text, "2026-07-21T16:00:00.000Z"]);
      expect(due.html).toContain("Jul 21, 9:00 AM");

      // Afterwards the program goes on from there: a submission and its approval request.
      await post("/playground/command", { personId: ana, text: "done invoice-processing" }, undefined, scheduled.url);
      expect((await steps.store.submissionsOf(ana)).at(-1)!.createdAt.toISOString()).toBe("2026-07-21T16:00:00.000Z");
      const request = await inbox(ids.priya!);
      expect([request.text.split("\n")[0], request.at]).toEqual([expect.stringContaining("Ana Torres completed"), "2026-07-21T16:00:00.000Z"]);
    } finally {
      await scheduled.close();
    }
  });

  it("reads datetime-local values as wall-clock time where the program runs", () => {
    expect(programTime("2026-12-01T08:30", "America/Los_Angeles").toISOString()).toBe("2026-12-01T16:30:00.000Z");
    expect(programTime("2026-07-01T08:30:15", "Europe/Berlin").toISOString()).toBe("2026-07-01T06:30:15.000Z");
  });
});

describe("safety", () => {
  it("refuses requests that came through a proxy unless other machines are allowed", async () => {
    const forwarded = await fetch(`${server.url}/playground/people`, { headers: { "x-forwarded-for": "203.0.113.9" } });
    expect(await error(forwarded)).toEqual([403, REFUSED]);
    const page = await fetch(server.url, { headers: { forwarded: "for=203.0.113.9", accept: "text/html" } });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("only answers on this computer");

    const open = await startServer(await bootedWith({ PLAYGROUND_HOST_OK: "1" }), [web]);
    try {
      expect((await fetch(`${open.url}/playground/people`, { headers: { "x-forwarded-for": "203.0.113.9" } })).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  const port = () => new URL(server.url).port;
  /** A request with exactly these headers (fetch would set Host, Origin and Sec-Fetch-* itself). */
  const raw = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    rawRequest(`${server.url}${path}`, { method, headers: { host: `127.0.0.1:${port()}`, ...headers }, body });
  const formType = { "content-type": "application/x-www-form-urlencoded" };

  it("treats any forwarding header as a request from another machine", async () => {
    for (const header of ["x-real-ip", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "via", "cf-connecting-ip", "true-client-ip"]) {
      const res = await raw("GET", "/playground/people", { [header]: "203.0.113.9" });
      expect([res.status, JSON.parse(res.body).error], header).toEqual([403, REFUSED]);
    }
  });

  it("answers only a loopback Host, and with PLAYGROUND_HOST_OK=1 also the host of PUBLIC_URL", async () => {
    for (const host of ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"]) expect((await raw("GET", "/playground/people", { host: `${host}:${port()}` })).status, host).toBe(200);
    for (const host of ["rebind.example", "steps.test", "192.0.2.2", "localhost.example", "127.0.0.1.nip.io", "user@localhost", ""]) {
      const res = await raw("GET", "/", { host: `${host}:${port()}`, accept: "text/html" });
      expect(res.status, host).toBe(403);
      expect(res.body).toContain(`The Steps playground answers only when opened at localhost: open http://localhost:0/ instead.`);
    }
    // DNS rebinding: the attacker's name now points here, so to the browser this post is same-origin, and the page could read a token.
    const before = (await steps.store.submissionsOf(ids.ana!)).length;
    const token = await tokenOf(server.url);
    const rebound = await raw("POST", "/playground/command", { ...formType, host: `rebind.example:${port()}`, origin: `http://rebind.example:${port()}` }, new URLSearchParams({ personId: String(ids.ana), text: "done invoice-processing", token }).toString());
    expect(rebound.status).toBe(403);
    expect(await steps.store.submissionsOf(ids.ana!)).toHaveLength(before);

    const open = await startServer(await bootedWith({ PLAYGROUND_HOST_OK: "1", PUBLIC_URL: "https://steps.test" }), [web]);
    try {
      const at = (host: string) => rawRequest(`${open.url}/playground/people`, { headers: { host, "x-forwarded-for": "203.0.113.9" } });
      expect((await at("steps.test")).status).toBe(200);
      expect((await at("localhost:3000")).status).toBe(200);
      const other = await at("rebind.example");
      expect([other.status, JSON.parse(other.body).error]).toEqual([403, "The Steps playground answers only when opened at localhost or steps.test: open https://steps.test instead."]);
    } finally {
      await open.close();
    }
  });

  it("refuses cross-site requests on every state-changing route, and runs nothing", async () => {
    const token = await tokenOf(server.url);
    const ana = (await steps.store.personById(ids.ana!))!;
    const { submission } = await steps.core.done(ana, "help-desk-tickets", "Closed five tickets", null);
    const before = (await steps.store.submissionsOf(ana.id)).length;
    // Every POST the playground registers, with a body it would act on.
    const bodies: Record<string, Record<string, string>> = {
      "/playground/command": { personId: String(ana.id), text: "done invoice-processing" },
      "/playground/action": { personId: String(ids.priya), action: "approve", value: String(submission.id) },
      "/playground/clock": { at: "2026-06-22T09:00" },
    };
    const posts = server.routes.filter((r) => r.method === "POST").map((r) => r.path);
    expect(posts.filter((p) => !(p in bodies))).toEqual([]);
    const foreign: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      // Another port of this computer is the same site, but another origin: another local app's page.
      { origin: "http://127.0.0.1:1" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { "sec-fetch-site": "cross-site", origin: `http://127.0.0.1:${port()}` },
    ];
    for (const path of posts) {
      for (const headers of foreign) {
        const res = await raw("POST", path, { ...formType, ...headers }, new URLSearchParams({ ...bodies[path], token }).toString());
        expect([res.status, res.body.includes(CROSS_SITE)], `${path} ${JSON.stringify(headers)}`).toEqual([403, true]);
        const json = await raw("POST", path, { "content-type": "application/json", ...headers }, JSON.stringify({ ...bodies[path], token }));
        expect([json.status, JSON.parse(json.body).error], `${path} ${JSON.stringify(headers)}`).toEqual([403, CROSS_SITE]);
      }
    }
    expect(await steps.store.submissionsOf(ana.id)).toHaveLength(before);
    expect(await steps.store.decisionOf(submission.id)).toBeFalsy();

    // The page's own origin, as a browser sends it, goes through.
    const own = await raw("POST", "/playground/command", { ...formType, origin: `http://127.0.0.1:${port()}`, "sec-fetch-site": "same-origin" }, new URLSearchParams({ ...bodies["/playground/command"], token }).toString());
    expect([own.status, own.headers.location]).toEqual([303, `/?person=${ana.id}#chat`]);
  });

  it("needs the page's token on every post: in each form, and from the script", async () => {
    const page = await (await fetch(`${server.url}/?person=${ids.priya}`)).text();
    const forms = page.match(/<form[^>]*method="post"[\s\S]*?<\/form>/g)!;
    expect(forms.length).toBeGreaterThan(2);
    for (const form of forms) expect(form).toMatch(/<input type="hidden" name="token" value="[\w-]+\.[\w-]+">/);
    expect(page).toMatch(/<body [^>]*data-token="[\w-]+\.[\w-]+"/);
    const token = /name="token" value="([^"]+)"/.exec(page)![1]!;

    const form = (extra: Record<string, string>) => raw("POST", "/playground/command", formType, new URLSearchParams({ personId: String(ids.priya), text: "help", ...extra }).toString());
    const bads: Record<string, string>[] = [{}, { token: "" }, { token: "forged.token" }, { token: `${token}x` }, { token: `${token.split(".")[0]}.${"A".repeat(43)}` }];
    for (const bad of bads) {
      const res = await form(bad);
      expect([res.status, res.body.includes(NO_TOKEN)], JSON.stringify(bad)).toEqual([403, true]);
    }
    expect((await form({ token })).status).toBe(303);

    const script = (body: Record<string, unknown>) => raw("POST", "/playground/command", { "content-type": "application/json" }, JSON.stringify({ personId: ids.priya, text: "help", ...body }));
    const refused = await script({});
    expect([refused.status, JSON.parse(refused.body).error]).toEqual([403, NO_TOKEN]);
    expect((await script({ token: 42 })).status).toBe(403);
    expect((await script({ token })).status).toBe(200);
  });

  it("counts only the loopback interface as this computer", () => {
    expect(["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"].map(isLoopbackAddress)).toEqual([true, true, true, true]);
    expect(["192.0.2.2", "10.0.0.1", "::ffff:192.0.2.2", "fd00::2", "", "128.0.0.1"].map(isLoopbackAddress)).toEqual([false, false, false, false, false, false]);
  });

  it("stays off beside a configured chat platform unless PLAYGROUND=1, and checks its variables", async () => {
    const start = (vars: Record<string, string>, configured: string[]) => web.start({ ...context(vars), configured });
    expect(await start({}, ["slack"])).toBeNull();
    expect(await start({ PLAYGROUND: "0" }, [])).toBeNull();
    expect((await start({ PLAYGROUND: "1" }, ["slack", "teams"]))?.transport?.platform).toBe("web");
    expect((await start({}, []))?.transport).toMatchObject({ platform: "web", reachesEveryone: true });
    await expect(start({ PLAYGROUND: "yes" }, [])).rejects.toThrow("PLAYGROUND must be 1 (on) or 0 (off)");
    await expect(start({ PLAYGROUND_HOST_OK: "true" }, [])).rejects.toThrow("PLAYGROUND_HOST_OK must be 1 (allow other machines) or 0");
  });
});

describe("mailbox", () => {
  it("edits a delivered message in place and shrugs at one that is gone", async () => {
    const mailbox = createMailbox(() => new Date("2026-06-22T17:00:00Z"));
    const transport = webTransport(mailbox, silentLogger);
    const person = (await steps.store.personById(ids.ana!))!;
    const ref = await transport.sendToPerson(person, undefined, { text: "one", blocks: [{ type: "text", text: "one" }] });
    const before = mailbox.version;
    await transport.update(ref, { text: "two", blocks: [{ type: "text", text: "two" }] });
    expect(mailbox.inbox(person.id)).toMatchObject([{ id: ref.id, rev: 2, message: { text: "two" } }]);
    expect(mailbox.version).toBe(before + 1);
    await expect(transport.update({ platform: "web", id: 12345 }, { text: "x", blocks: [] })).resolves.toBeUndefined();
    expect(await transport.sendToChannel("announcements", { text: "hi", blocks: [] })).toEqual({ platform: "web", id: expect.any(Number) });
    expect(mailbox.channel("announcements")).toHaveLength(1);
  });

  it("keeps the most recent 200 messages per box", () => {
    const mailbox = createMailbox(() => new Date());
    for (let i = 0; i < 205; i++) mailbox.post({ channel: "coordinators" }, { text: String(i), blocks: [] });
    expect(mailbox.channel("coordinators")).toHaveLength(200);
    expect(mailbox.channel("coordinators")[0]!.message.text).toBe("5");
    expect(mailbox.edit(1, { text: "x", blocks: [] })).toBe(false);
  });
});

function context(vars: Record<string, string>) {
  return { env: readEnv({ ...vars }), core: steps.core, store: steps.store, dispatcher: steps.dispatcher, inbox: steps.inbox, routes: { add() {} }, log: silentLogger, now: steps.now, moveClock: steps.moveClock, configured: [] as string[] };
}

/** The same database and core, seen with other environment variables. */
async function bootedWith(vars: Record<string, string>) {
  return { ...steps, env: readEnv({ PORT: "0", HOST: "127.0.0.1", ...vars }) };
}
