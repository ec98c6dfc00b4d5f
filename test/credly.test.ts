import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import badgesAdapter from "../adapters/badges/index.ts";
import credlyAdapter from "../adapters/credly/index.ts";
import { CREDLY_MAX_ATTEMPTS } from "../adapters/credly/jobs.ts";
import webAdapter from "../adapters/web/index.ts";
import { startServer, type RunningServer } from "../app/server.ts";
import { outbox } from "../db/schema.ts";
import { inEnglish } from "../src/i18n.ts";
import { issueMessage } from "../src/program/load.ts";
import { programFileSchema } from "../src/program/schema.ts";
import { answer } from "../src/chat.ts";
import { createLogger, silentLogger, type Logger } from "../src/log.ts";
import { toPlainText, type Message } from "../src/messages.ts";
import type { Award } from "../src/store.ts";
import { bootForTest } from "./support/boot.ts";
import { credlyHealth, credlyProgram, issuesAt as issues, startCredlyDouble, type CredlyDouble } from "./support/credly.ts";

// Badges issued through Credly, end to end: the whole server (boot, outbox,
// dispatcher, the credly adapter) against a local HTTP double of Credly's API.

const TEMPLATE = "cfaf2910-ea5f-46f1-89a5-db525dad6e58";
const UNKNOWN_TEMPLATE = "0b9a3c6e-1111-4c22-8d33-44e5f6a7b8c9";

const dir = mkdtempSync(join(tmpdir(), "steps-credly-"));
const programFile = join(dir, "program.yml");
const rosterFile = join(dir, "roster.csv");

beforeAll(() => {
  writeFileSync(programFile, credlyProgram({ earlyLearning: TEMPLATE, coaching: UNKNOWN_TEMPLATE }, "2026-08-07"));
  writeFileSync(
    rosterFile,
    [
      "email,name,role,department,mentor_email,first_name,last_name",
      "cora@example.org,Cora Coordinator,coordinator,,,,",
      "max@example.org,Max Mentor,mentor,child-care,,,",
      "ana@example.org,Ana Torres Ruiz,intern,child-care,max@example.org,,",
      "eva@example.org,Eva María López,intern,child-care,max@example.org,Eva María,López",
      "",
    ].join("\n"),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let clock: Date;
let credly: CredlyDouble | undefined;
let stack: Awaited<ReturnType<typeof start>> | undefined;

afterEach(async () => {
  await stack?.close();
  await credly?.close();
  stack = undefined;
  credly = undefined;
});

async function start(vars: Record<string, string>, log: Logger = silentLogger) {
  clock = new Date("2026-06-20T17:00:00Z");
  const steps = await bootForTest({ PROGRAM_FILE: programFile, ROSTER_FILE: rosterFile, ...vars }, { now: () => clock, log });
  const server: RunningServer = await startServer(steps, [badgesAdapter, webAdapter, credlyAdapter], { port: 0 });
  const person = async (email: string) => (await steps.store.personByEmail(email))!;
  const say = async (email: string, text: string) => toPlainText(await answer(steps.core, await person(email), text, silentLogger));
  return {
    steps,
    server,
    person,
    say,
    /** Runs what the outbox holds that is due now, and waits until it is done. */
    async settle() {
      await steps.dispatcher.kick();
      await steps.dispatcher.idle();
    },
    /** The intern earns the playlist's badge: a task done and approved by their mentor. */
    async earn(email: string, task: string, playlist: string): Promise<Award> {
      const intern = await person(email);
      await say(email, `done ${task} Finished it`);
      const submission = (await steps.store.submissionsOf(intern.id)).find((s) => s.task === task && s.status === "pending")!;
      await say("max@example.org", `approve ${submission.id}`);
      return (await steps.store.awardsOf(intern.id)).find((a) => a.playlist === playlist)!;
    },
    award: async (id: string) => (await steps.store.award(id))!,
    async outboxRow(key: string) {
      const [row] = await steps.db.db.select().from(outbox).where(sql`${outbox.key} = ${key}`);
      return row;
    },
    /** Moves the clock past any retry's wait. */
    later() {
      clock = new Date(clock.getTime() + 60 * 60_000);
    },
    async close() {
      await server.close();
      await steps.close();
    },
  };
}

async function withCredly() {
  credly = await startCredlyDouble({ templates: [TEMPLATE] });
  stack = await start({ CREDLY_ORGANIZATION_ID: credly.organizationId, CREDLY_TOKEN: credly.token, CREDLY_API_URL: credly.url });
  return { credly, s: stack };
}

const health = (s: { server: RunningServer }) => credlyHealth(s.server);

describe("Credly", () => {
  it("issues nothing at award; on `badge publish` issues once, with the documented fields and Steps' award id as the reference, and links to it", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    await s.settle();
    // A minor's name and email go to Credly only once they publish.
    expect(credly.requests).toEqual([]);
    expect((await s.award(award.id)).credential).not.toBeNull();

    const reply = await s.say("ana@example.org", "badge publish early-learning");
    expect(reply).toContain("Steps is also sending your name and email to Credly");
    await s.settle();
    expect(credly.unauthorized).toBe(0);
    expect(credly.badges).toHaveLength(1);
    expect(credly.badges[0]).toMatchObject({
      recipient_email: "ana@example.org",
      badge_template_id: TEMPLATE,
      issued_to_first_name: "Ana",
      issued_to_last_name: "Torres Ruiz",
      issuer_earner_id: award.id,
      issued_at: "2026-06-20 17:00:00 +0000",
      locale: "en",
      evidence: [{ type: "UrlEvidence", value: `http://steps.test/badges/${award.id}` }],
    });
    const credlyId = credly.badges[0]!.id;
    expect((await s.award(award.id)).elsewhere).toEqual({ credly: { state: "issued", id: credlyId, url: `https://www.credly.com/badges/${credlyId}/accept` } });

    // The award message is edited to link to the Credly badge; the page links there too.
    const edit = await s.outboxRow(`credly:issued:${award.id}`);
    expect(edit?.status).toBe("sent");
    const edited = toPlainText((edit!.payload as { message: Message }).message);
    expect(edited).toContain(`https://www.credly.com/badges/${credlyId}/accept`);
    // Published by now: nothing left to ask of the intern.
    expect(edited).not.toContain("Publish badge page");
    const first = toPlainText(((await s.outboxRow(`award:${award.id}:intern`))!.payload as { message: Message }).message);
    expect(first).toContain("Publishing also sends your name and email to Credly");
    expect(first).toContain("Publish badge page");
    const page = await (await fetch(`${s.server.url}/badges/${award.id}`)).text();
    expect(page).toContain(`Also issued through <a href="https://www.credly.com/badges/${credlyId}/accept">Credly</a>`);

    expect(await s.say("ana@example.org", "badges")).toContain(`Early Learning Micro-credential on Credly`);
    expect(await s.say("ana@example.org", "badges")).toContain(`https://www.credly.com/badges/${credlyId}/accept`);

    // Publishing again asks nothing more of Credly.
    expect(await s.say("ana@example.org", "badge publish early-learning")).toContain("already public");
    await s.settle();
    expect(issues(credly)).toHaveLength(1);
  });

  it("two publishes at once (a click and a typed command) issue once", async () => {
    const { credly, s } = await withCredly();
    await s.earn("ana@example.org", "initial-training", "early-learning");
    const replies = await Promise.all([s.say("ana@example.org", "badge publish early-learning"), s.say("ana@example.org", "badge publish early-learning")]);
    expect(replies.filter((r) => r.includes("is now public"))).toHaveLength(1);
    expect(replies.filter((r) => r.includes("already public"))).toHaveLength(1);
    await s.settle();
    expect(issues(credly)).toHaveLength(1);
  });

  it("uses the roster's first_name and last_name when given, and writes to Spanish speakers in Spanish", async () => {
    const { credly, s } = await withCredly();
    await s.say("eva@example.org", "language es");
    await s.earn("eva@example.org", "initial-training", "early-learning");
    expect(await s.say("eva@example.org", "insignia publicar early-learning")).toContain("también envía tu nombre y tu correo a Credly");
    await s.settle();
    expect(credly.badges[0]).toMatchObject({ issued_to_first_name: "Eva María", issued_to_last_name: "López", locale: "es-US" });
  });

  it("waits out an outage (503) with backoff, looks before asking again, and issues once", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    credly.failNext(2, 503);
    await s.say("ana@example.org", "badge publish early-learning");
    await s.settle();
    expect(credly.badges).toHaveLength(0);
    const waiting = await s.outboxRow(`credly:issue:${award.id}`);
    expect(waiting).toMatchObject({ status: "queued", attempts: 1 });
    expect(waiting!.lastError).toContain("503");
    expect(await health(s)).toBe("unavailable (503); retrying");
    // Nothing is due before its wait is over.
    await s.settle();
    expect(credly.requests).toHaveLength(1);

    s.later();
    await s.settle(); // the second 503, on the look-up made before asking again
    s.later();
    await s.settle();
    expect(credly.badges).toHaveLength(1);
    expect((await s.outboxRow(`credly:issue:${award.id}`))?.status).toBe("sent");
    expect((await s.award(award.id)).elsewhere?.credly?.state).toBe("issued");
    expect(await health(s)).toBe("ok");
  });

  it("a 429 waits as long as Credly's Retry-After says", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    credly.failNext(1, 429, 120);
    await s.say("ana@example.org", "badge publish early-learning");
    await s.settle();
    const row = await s.outboxRow(`credly:issue:${award.id}`);
    expect(row!.nextAttemptAt.getTime() - clock.getTime()).toBe(120_000);
  });

  it("an issue with no answer through every try is recorded as not issued, listed with what to do, and issued once asked again after Credly is back", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    credly.failNext(1000, 503);
    await s.say("ana@example.org", "badge publish early-learning");
    for (let i = 0; i < CREDLY_MAX_ATTEMPTS; i++) {
      await s.settle();
      s.later();
    }
    expect(await s.outboxRow(`credly:issue:${award.id}`)).toMatchObject({ status: "failed", attempts: CREDLY_MAX_ATTEMPTS });
    expect((await s.award(award.id)).elsewhere?.credly).toEqual({ state: "refused", reason: `no answer from Credly in ${CREDLY_MAX_ATTEMPTS} tries (Credly is unavailable (503: Service Unavailable))` });
    expect(await s.say("cora@example.org", "digest")).toContain("then run `steps credly retry` to ask Credly again");

    credly.failNext(0);
    const before = credly.requests.length;
    expect((await s.steps.core.retryElsewhere("credly")).map((a) => a.id)).toEqual([award.id]);
    await s.settle();
    expect(credly.requests.slice(before).map((r) => r.method)).toEqual(["GET", "POST"]);
    expect(credly.badges).toHaveLength(1);
    expect((await s.award(award.id)).elsewhere?.credly).toMatchObject({ state: "issued", id: credly.badges[0]!.id });
    expect(await s.outboxRow(`credly:issue:${award.id}:retry-1`)).toMatchObject({ status: "sent" });
    expect(await s.say("cora@example.org", "digest")).not.toContain("Badges not issued or revoked elsewhere");
    // Issued: nothing left to ask again.
    expect(await s.steps.core.retryElsewhere("credly")).toEqual([]);
    await s.settle();
    expect(credly.requests.slice(before).map((r) => r.method)).toEqual(["GET", "POST"]);
  });

  it("a badge issued by a try whose answer never came, then recorded as not issued, is revoked at Credly when revoked in Steps", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    // Credly records the badge; its answer is not one, and every look-up after it fails.
    credly.beforeNextAnswer(async () => {
      credly.failNext(1000, 503);
      credly.garbleNextAnswer();
    });
    await s.say("ana@example.org", "badge publish early-learning");
    for (let i = 0; i < CREDLY_MAX_ATTEMPTS; i++) {
      await s.settle();
      s.later();
    }
    expect((await s.award(award.id)).elsewhere?.credly?.state).toBe("refused");
    expect(credly.badges).toHaveLength(1);

    credly.failNext(0);
    await s.say("cora@example.org", "revoke ana@example.org early-learning Entered by mistake");
    await s.settle();
    expect(credly.badges[0]).toMatchObject({ state: "revoked", revocation_reason: "Entered by mistake" });
    expect((await s.award(award.id)).elsewhere?.credly?.state).toBe("revoked");
  });

  it("revoking a badge Credly refused asks Credly nothing more than a look-up", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    credly.failNext(1, 422);
    await s.say("ana@example.org", "badge publish early-learning");
    await s.settle();
    expect((await s.award(award.id)).elsewhere?.credly?.state).toBe("refused");
    const before = credly.requests.length;
    await s.say("cora@example.org", "revoke ana@example.org early-learning Entered by mistake");
    await s.settle();
    expect(credly.requests.slice(before).map((r) => r.method)).toEqual(["GET"]);
    expect((await s.outboxRow(`credly:revoke:${award.id}`))?.status).toBe("sent");
  });

  it("after a lost answer (Credly recorded the badge, the connection dropped) finds it by the award id and issues nothing more", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    credly.dropNextAnswer();
    await s.say("ana@example.org", "badge publish early-learning");
    await s.settle();
    expect(credly.badges).toHaveLength(1);
    expect(credly.requests.map((r) => `${r.method} ${r.path.split("?")[1] ?? ""}`)).toEqual(["POST ", `GET filter=${encodeURIComponent(`issuer_earner_id::${award.id}`)}`]);
    expect((await s.award(award.id)).elsewhere?.credly).toMatchObject({ state: "issued", id: credly.badges[0]!.id });
    expect((await s.outboxRow(`credly:issue:${award.id}`))?.status).toBe("sent");
  });

  it("an answer that is not a badge counts as lost: looked up, and issued once", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    credly.garbleNextAnswer();
    await s.say("ana@example.org", "badge publish early-learning");
    await s.settle();
    expect(credly.badges).toHaveLength(1);
    expect((await s.award(award.id)).elsewhere?.credly).toMatchObject({ state: "issued", id: credly.badges[0]!.id });
  });

  it("a job Steps does not know (a bad payload in the outbox) fails for good with what it was, and nothing is sent", async () => {
    const { credly, s } = await withCredly();
    await s.steps.store.enqueue([{ key: "credly:issue:bogus", recipient: "job:credly", payload: { job: { action: "reissue" } } }]);
    await s.steps.store.enqueue([{ key: "credly:issue:gone", recipient: "job:credly", payload: { job: { action: "issue", award: "no-such-award" } } }]);
    await s.settle();
    expect(await s.outboxRow("credly:issue:bogus")).toMatchObject({ status: "failed", lastError: 'not a Credly job Steps knows: {"action":"reissue"}' });
    expect(await s.outboxRow("credly:issue:gone")).toMatchObject({ status: "failed", lastError: "no award no-such-award" });
    expect(credly.requests).toEqual([]);
  });

  it("an \"already has this badge\" refusal for a badge under Steps' own reference counts as issued", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    // An instance issued it and died before recording so.
    credly.badges.push({ id: "11111111-2222-4333-8444-555555555555", state: "pending", revocation_reason: null, recipient_email: "ana@example.org", badge_template_id: TEMPLATE, issued_at: "2026-06-20 17:00:00 +0000", issued_to_first_name: "Ana", issued_to_last_name: "Torres Ruiz", issuer_earner_id: award.id });
    await s.say("ana@example.org", "badge publish early-learning");
    await s.settle();
    expect(credly.badges).toHaveLength(1);
    expect((await s.award(award.id)).elsewhere?.credly).toMatchObject({ state: "issued", id: "11111111-2222-4333-8444-555555555555" });
  });

  it("an unknown template is a refusal, recorded and listed in the digest with Credly's reason", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "coaching-session", "coaching");
    // self: false, and Credly set up: Steps signs no credential of its own.
    expect(award.credential).toBeNull();
    await s.say("ana@example.org", "badge publish coaching");
    await s.settle();
    expect(credly.badges).toHaveLength(0);
    expect((await s.award(award.id)).elsewhere?.credly).toEqual({ state: "refused", reason: `Invalid or missing Badge Template ID: ${UNKNOWN_TEMPLATE}` });
    expect((await s.outboxRow(`credly:issue:${award.id}`))?.status).toBe("failed");
    const digest = await s.say("cora@example.org", "digest");
    expect(digest).toContain("Badges not issued or revoked elsewhere (1)");
    expect(digest).toContain(`Credly: Credly did not issue Ana Torres Ruiz's Coaching Badge badge: Invalid or missing Badge Template ID: ${UNKNOWN_TEMPLATE}`);
    expect(digest).not.toContain("Messages not delivered");
    const page = await (await fetch(`${s.server.url}/badges/${award.id}`)).text();
    expect(page).toContain("This badge has no credential to verify yet: the program&#39;s coordinators know why.");
  });

  it("self: false: Credly's badge is the only credential, and the page sends verifiers there", async () => {
    const { credly, s } = await withCredly();
    credly.templates.add(UNKNOWN_TEMPLATE);
    const award = await s.earn("ana@example.org", "coaching-session", "coaching");
    await s.say("ana@example.org", "badge publish coaching");
    const waiting = await (await fetch(`${s.server.url}/badges/${award.id}`)).text();
    expect(waiting).toContain("This badge is being issued through another service");
    await s.settle();
    const id = credly.badges[0]!.id;
    const page = await (await fetch(`${s.server.url}/badges/${award.id}`)).text();
    expect(page).toContain(`This badge is issued through <a href="https://www.credly.com/badges/${id}/accept">Credly</a>, where it can be verified.`);
    expect(page).not.toContain("signed credential");
    expect((await fetch(`${s.server.url}/badges/${award.id}.json`)).status).toBe(404);
  });

  it("\"already has this badge\" for a badge that is not Steps' (issued to that email by someone else) is a refusal, listed with its reason", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    credly.badges.push({ id: "99999999-2222-4333-8444-555555555555", state: "accepted", revocation_reason: null, recipient_email: "ana@example.org", badge_template_id: TEMPLATE, issued_at: "2025-06-20 17:00:00 +0000", issued_to_first_name: "Ana", issued_to_last_name: "Torres", issuer_earner_id: "another-system-42" });
    await s.say("ana@example.org", "badge publish early-learning");
    await s.settle();
    expect(credly.badges).toHaveLength(1);
    expect((await s.award(award.id)).elsewhere?.credly).toEqual({ state: "refused", reason: "User already has this badge" });
    expect(await s.say("cora@example.org", "digest")).toContain("Credly did not issue Ana Torres Ruiz's Early Learning Micro-credential badge: User already has this badge");
  });

  it("a look-up answered with badges that are not Steps' (the filter not applied) finds none of them", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    // Same template and email, another system's reference: Credly refuses ours as a duplicate.
    credly.badges.push({ id: "99999999-2222-4333-8444-555555555555", state: "accepted", revocation_reason: null, recipient_email: "ana@example.org", badge_template_id: TEMPLATE, issued_at: "2025-06-20 17:00:00 +0000", issued_to_first_name: "Ana", issued_to_last_name: "Torres", issuer_earner_id: "another-system-42" });
    credly.ignoreFilter = true;
    await s.say("ana@example.org", "badge publish early-learning");
    await s.settle();
    expect(credly.requests.map((r) => r.method)).toEqual(["POST", "GET"]);
    expect((await s.award(award.id)).elsewhere?.credly).toEqual({ state: "refused", reason: "User already has this badge" });
  });

  it("revoking in Steps revokes at Credly too, with the reason", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    await s.say("ana@example.org", "badge publish early-learning");
    await s.settle();
    const reply = await s.say("cora@example.org", "revoke ana@example.org early-learning Hours were logged twice");
    expect(reply).toContain("Steps is revoking it at Credly too");
    await s.settle();
    expect(credly.badges[0]).toMatchObject({ state: "revoked", revocation_reason: "Hours were logged twice" });
    expect(credly.requests.at(-1)).toMatchObject({ method: "PUT", path: `/v1/organizations/${credly.organizationId}/badges/${credly.badges[0]!.id}/revoke`, body: { reason: "Hours were logged twice" } });
    expect((await s.award(award.id)).elsewhere?.credly?.state).toBe("revoked");
  });

  it("a badge revoked while Credly is issuing it is revoked there, never recorded or announced as issued", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    credly.beforeNextAnswer(async () => {
      await s.say("cora@example.org", "revoke ana@example.org early-learning Entered by mistake");
    });
    await s.say("ana@example.org", "badge publish early-learning");
    for (let i = 0; i < 3; i++) {
      s.later();
      await s.settle();
    }
    expect(credly.badges).toHaveLength(1);
    expect(credly.badges[0]).toMatchObject({ state: "revoked", revocation_reason: "Entered by mistake" });
    expect((await s.award(award.id)).elsewhere?.credly?.state).toBe("revoked");
    expect(await s.outboxRow(`credly:issued:${award.id}`)).toBeUndefined();
  });

  it("a badge revoked while its issue waits out an outage is never issued", async () => {
    const { credly, s } = await withCredly();
    const award = await s.earn("ana@example.org", "initial-training", "early-learning");
    credly.failNext(1, 503);
    await s.say("ana@example.org", "badge publish early-learning");
    await s.settle();
    await s.say("cora@example.org", "revoke ana@example.org early-learning Entered by mistake");
    for (let i = 0; i < 3; i++) {
      s.later();
      await s.settle();
    }
    expect(credly.badges).toHaveLength(0);
    expect((await s.award(award.id)).elsewhere?.credly?.state).toBe("revoked");
    expect((await s.outboxRow(`credly:revoke:${award.id}`))?.status).toBe("sent");
  });

  it("a 404 (an organization Credly does not know) is a refusal that says what to check", async () => {
    credly = await startCredlyDouble({ templates: [TEMPLATE] });
    stack = await start({ CREDLY_ORGANIZATION_ID: "not-our-org", CREDLY_TOKEN: credly.token, CREDLY_API_URL: credly.url });
    const award = await stack.earn("ana@example.org", "initial-training", "early-learning");
    await stack.say("ana@example.org", "badge publish early-learning");
    await stack.settle();
    expect(credly.badges).toEqual([]);
    expect((await stack.award(award.id)).elsewhere?.credly).toEqual({ state: "refused", reason: "Not found (404: check CREDLY_ORGANIZATION_ID and the playlist's badge_template_id)" });
  });

  it("a refused token leaves the issue queued for the settings to be fixed, never failed", async () => {
    credly = await startCredlyDouble({ templates: [TEMPLATE] });
    stack = await start({ CREDLY_ORGANIZATION_ID: credly.organizationId, CREDLY_TOKEN: "wrong", CREDLY_API_URL: credly.url });
    const award = await stack.earn("ana@example.org", "initial-training", "early-learning");
    await stack.say("ana@example.org", "badge publish early-learning");
    await stack.settle();
    expect(credly.unauthorized).toBe(1);
    const row = await stack.outboxRow(`credly:issue:${award.id}`);
    expect(row).toMatchObject({ status: "queued", attempts: 0 });
    expect(row!.lastError).toContain("CREDLY_TOKEN");
    expect(await health(stack)).toBe("token refused (401); fix CREDLY_TOKEN or CREDLY_ORGANIZATION_ID and restart");
  });

  it("without its settings: one clear line at start-up, badges stay self-issued, nothing is queued for Credly", async () => {
    const lines: string[] = [];
    stack = await start({}, createLogger("info", (line) => lines.push(line)));
    const warned = lines.filter((l) => l.includes("Credly"));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain("CREDLY_ORGANIZATION_ID and CREDLY_TOKEN are not set");
    expect(warned[0]).toContain("early-learning, coaching");
    // self: false falls back to Steps' own credential when Credly cannot issue.
    const award = await stack.earn("ana@example.org", "coaching-session", "coaching");
    expect(award.credential).not.toBeNull();
    const reply = await stack.say("ana@example.org", "badge publish coaching");
    expect(reply).toContain("is now public");
    expect(reply).not.toContain("Credly");
    await stack.settle();
    const jobs = await stack.steps.db.db.select().from(outbox).where(sql`${outbox.recipient} like 'job:%'`);
    expect(jobs).toEqual([]);
    expect((await stack.award(award.id)).elsewhere).toBeNull();
    expect(await health(stack)).toBeUndefined();
  });

  it("half-set or bad settings are named in that line", async () => {
    const lines: string[] = [];
    stack = await start({ CREDLY_TOKEN: "x", CREDLY_API_URL: "sandbox" }, createLogger("info", (line) => lines.push(line)));
    expect(lines.filter((l) => l.includes("Credly is off"))).toEqual([expect.stringContaining("CREDLY_ORGANIZATION_ID is not set; CREDLY_API_URL is not a URL")]);
  });
});

describe("a playlist's issue section", () => {
  const withIssue = (issue: unknown) =>
    programFileSchema.safeParse({
      program: { name: "P", organization: "O", time_zone: "America/Los_Angeles", start: "2026-06-15", end: "2026-08-07" },
      departments: [{ slug: "d", name: "D" }],
      playlists: [{ slug: "p", title: "P", scope: "program", badge: { name: "B", image: "b.svg", criteria: "C" }, issue, tasks: [{ slug: "t", title: "T" }] }],
    });
  const problems = (issue: unknown) => {
    const parsed = withIssue(issue);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${issueMessage(i, inEnglish())}`);
  };

  it("defaults to self-issued only, and takes a Credly template beside it or instead of it", () => {
    expect(withIssue(undefined).data?.playlists[0]!.issue).toEqual({ self: true });
    expect(problems({ credly: { badge_template_id: TEMPLATE } })).toEqual([]);
    expect(withIssue({ credly: { badge_template_id: TEMPLATE }, self: false }).data?.playlists[0]!.issue).toEqual({ credly: { badge_template_id: TEMPLATE }, self: false });
  });

  it("refuses a template id that is not Credly's, self: false with no other issuer, and unknown keys", () => {
    expect(problems({ credly: { badge_template_id: "early-learning" } })).toEqual([
      "playlists.0.issue.credly.badge_template_id: is not a Credly badge template id (a UUID from the template's page in Credly)",
    ]);
    expect(problems({ self: false })).toEqual(["playlists.0.issue: self: false needs another issuer, e.g. credly: { badge_template_id: … }"]);
    expect(problems({ credly: { template: TEMPLATE } })[0]).toContain("playlists.0.issue.credly");
    expect(problems({ acclaim: {} })[0]).toContain("playlists.0.issue");
  });
});
