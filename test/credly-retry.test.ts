import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import badgesAdapter from "../adapters/badges/index.ts";
import credlyAdapter from "../adapters/credly/index.ts";
import webAdapter from "../adapters/web/index.ts";
import { boot, type Steps } from "../app/boot.ts";
import { startServer } from "../app/server.ts";
import { answer } from "../src/chat.ts";
import { readEnv } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import type { Award } from "../src/store.ts";
import { credlyProgram, issuesAt, startCredlyDouble, type CredlyDouble } from "./support/credly.ts";
import { copyPgliteTemplate, freshDb } from "./support/db.ts";
import { runCli } from "./support/cli.ts";
import { startSmtp } from "./support/smtp.ts";

// `steps credly retry`: a coordinator fixes why Credly refused a badge (the roster's
// names, the playlist's template) and asks again, from the command line, against a
// local HTTP double of Credly. The server parts run in-process between the commands,
// as `steps serve` would (the embedded database takes one process at a time).

const TEMPLATE = "cfaf2910-ea5f-46f1-89a5-db525dad6e58";
const OTHER_TEMPLATE = "5d3a2f1e-7b6c-4d8e-9f0a-1b2c3d4e5f60";
const UNKNOWN_TEMPLATE = "0b9a3c6e-1111-4c22-8d33-44e5f6a7b8c9";
const ONE_WORD = `Credly needs a first and a last name, and "Zoe" is one word: add first_name and last_name to the roster`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const programJson = (coachingTemplate: string) => credlyProgram({ earlyLearning: TEMPLATE, coaching: coachingTemplate }, "2027-08-07");

const ROSTER = [
  "email,name,role,department,mentor_email,first_name,last_name",
  "cora@example.org,Cora Coordinator,coordinator,,,,",
  "max@example.org,Max Mentor,mentor,child-care,,,",
  "ana@example.org,Ana Torres Ruiz,intern,child-care,max@example.org,,",
  "zoe@example.org,Zoe,intern,child-care,max@example.org,,",
];

interface Setup {
  dir: string;
  credly: CredlyDouble;
  /** Credly set up and a mail server, as a coordinator's shell would have them. */
  vars: Record<string, string>;
}

async function setup(): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), "steps-credly-retry-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "program.yml"), programJson(UNKNOWN_TEMPLATE));
  writeFileSync(join(dir, "roster.csv"), [...ROSTER, ""].join("\n"));
  const credly = await startCredlyDouble({ templates: [TEMPLATE, OTHER_TEMPLATE] });
  cleanups.push(() => credly.close());
  const smtp = await startSmtp();
  cleanups.push(() => smtp.close());
  const vars: Record<string, string> = {
    DATA_DIR: join(dir, "data"),
    PROGRAM_FILE: join(dir, "program.yml"),
    ROSTER_FILE: join(dir, "roster.csv"),
    PUBLIC_URL: "http://steps.test",
    LOG_LEVEL: "error",
    CREDLY_ORGANIZATION_ID: credly.organizationId,
    CREDLY_TOKEN: credly.token,
    CREDLY_API_URL: credly.url,
    SMTP_URL: smtp.url,
    EMAIL_FROM: "steps@example.org",
  };
  if (process.env.DATABASE_URL) {
    const db = await freshDb();
    cleanups.push(() => db.close());
    vars.DATABASE_URL = db.url!;
  } else {
    copyPgliteTemplate(join(vars.DATA_DIR!, "db"));
  }
  return { dir, credly, vars };
}

/** Only what `steps serve` would need from the shell: the command line here sends nothing by itself. */
const withoutMail = (vars: Record<string, string>) => Object.fromEntries(Object.entries(vars).filter(([k]) => k !== "SMTP_URL" && k !== "EMAIL_FROM"));

/** The shell of a coordinator running the command line: mail settings only where a test gives them. */
const cli = (args: string[], vars: Record<string, string>) => runCli(args, vars, ["SMTP_URL", "EMAIL_FROM"]);

interface Running {
  steps: Steps;
  say(email: string, text: string): Promise<string>;
  /** The intern earns the playlist's badge (a task done, approved by their mentor) and publishes it. */
  earnAndPublish(email: string, task: string, playlist: string): Promise<Award>;
  award(id: string): Promise<Award>;
}

/**
 * Boots as the server does, runs fn, and closes. `serve`: with Credly and the
 * outbox running, everything queued is sent before fn's result is returned;
 * without, nothing is sent (what a coordinator sees while `steps serve` is stopped).
 */
async function withSteps<T>(vars: Record<string, string>, options: { serve: boolean }, fn: (s: Running) => Promise<T>): Promise<T> {
  const steps = await boot(readEnv(vars), silentLogger);
  const server = options.serve ? await startServer(steps, [badgesAdapter, webAdapter, credlyAdapter], { port: 0, host: "127.0.0.1" }) : undefined;
  const settle = async () => {
    if (!server) return;
    await steps.dispatcher.kick();
    await server.idle();
  };
  const person = async (email: string) => (await steps.store.personByEmail(email))!;
  const say = async (email: string, text: string) => {
    const reply = toPlainText(await answer(steps.core, await person(email), text, silentLogger));
    await settle();
    return reply;
  };
  try {
    await settle();
    return await fn({
      steps,
      say,
      async earnAndPublish(email, task, playlist) {
        const intern = await person(email);
        await say(email, `done ${task} Finished it`);
        const submission = (await steps.store.submissionsOf(intern.id)).find((s) => s.task === task && s.status === "pending")!;
        await say("max@example.org", `approve ${submission.id}`);
        await say(email, `badge publish ${playlist}`);
        return (await steps.store.awardsOf(intern.id)).find((a) => a.playlist === playlist)!;
      },
      award: async (id) => (await steps.store.award(id))!,
    });
  } finally {
    await server?.close();
    await steps.close();
  }
}

const NOT_ISSUED = "Badges not issued or revoked elsewhere";
const NEXT = "then run `steps credly retry` to ask Credly again";

it("a one-word name refused, the roster fixed, `steps credly retry`: issued exactly once, and listed in the digest until it is", async () => {
  const { dir, credly, vars } = await setup();
  expect(await cli(["credly", "retry"], vars)).toEqual({ code: 0, out: "No badge is refused at Credly: nothing to ask again." });

  const award = await withSteps(vars, { serve: true }, async (s) => {
    const award = await s.earnAndPublish("zoe@example.org", "initial-training", "early-learning");
    expect((await s.award(award.id)).elsewhere?.credly).toEqual({ state: "refused", reason: ONE_WORD });
    const digest = await s.say("cora@example.org", "digest");
    expect(digest).toContain(`${NOT_ISSUED} (1)`);
    expect(digest).toContain(`Credly did not issue Zoe's Early Learning Micro-credential badge: ${ONE_WORD}`);
    expect(digest).toContain(`Fix the cause its line gives (for example the playlist's badge_template_id in the program file, or first_name and last_name in the roster), ${NEXT}.`);
    return award;
  });
  // Steps refused it itself: Credly was never asked.
  expect(issuesAt(credly)).toEqual([]);

  // Asked again with `steps serve` stopped and no platform here: queued for it.
  expect(await cli(["credly", "retry"], withoutMail(vars))).toEqual({
    code: 0,
    out: ["Asking Credly again for 1 badge:", "• Zoe's Early Learning Micro-credential", "No chat platform or mail server is set here, so `steps serve` sends it to Credly."].join("\n"),
  });
  // Queued already: asking again does not queue a second try beside it.
  expect(await cli(["credly", "retry"], withoutMail(vars))).toEqual({ code: 0, out: "No badge is refused at Credly: nothing to ask again." });
  await withSteps(vars, { serve: false }, async (s) => {
    expect((await s.award(award.id)).elsewhere?.credly).toEqual({ state: "queued", retry: 1 });
    // Still not issued: still listed, with what to do.
    const digest = await s.say("cora@example.org", "digest");
    expect(digest).toContain(`${NOT_ISSUED} (1)`);
    expect(digest).toContain(`Credly did not issue Zoe's`);
  });

  writeFileSync(join(dir, "fixed.csv"), [...ROSTER.slice(0, 4), "zoe@example.org,Zoe,intern,child-care,max@example.org,Zoe,Park", ""].join("\n"));
  expect((await cli(["roster", "import", join(dir, "fixed.csv")], vars)).code).toBe(0);

  await withSteps(vars, { serve: true }, async (s) => {
    const held = (await s.award(award.id)).elsewhere?.credly;
    expect(held).toMatchObject({ state: "issued", id: credly.badges[0]!.id });
    expect(await s.say("cora@example.org", "digest")).not.toContain(NOT_ISSUED);
  });
  expect(credly.badges).toHaveLength(1);
  expect(credly.badges[0]).toMatchObject({ issued_to_first_name: "Zoe", issued_to_last_name: "Park", issuer_earner_id: award.id });
  // A try asked for by the coordinator looks first, then issues.
  expect(credly.requests.map((r) => r.method)).toEqual(["GET", "POST"]);

  // Issued: asking again leaves it alone, and asks Credly nothing.
  expect(await cli(["credly", "retry"], vars)).toEqual({ code: 0, out: "No badge is refused at Credly: nothing to ask again." });
  expect(credly.requests).toHaveLength(2);
});

it("an unknown template: asked again at once from the command line, refused again (listed once), then fixed in the program file and issued once", async () => {
  const { dir, credly, vars } = await setup();
  const award = await withSteps(vars, { serve: true }, (s) => s.earnAndPublish("ana@example.org", "coaching-session", "coaching"));
  const refusal = `Invalid or missing Badge Template ID: ${UNKNOWN_TEMPLATE}`;

  // Nothing fixed yet: Credly says the same, at once.
  expect(await cli(["credly", "retry"], vars)).toEqual({
    code: 0,
    out: ["Asking Credly again for 1 badge:", `• Ana Torres Ruiz's Coaching Badge: refused again: ${refusal}`].join("\n"),
  });
  await withSteps(vars, { serve: false }, async (s) => {
    expect((await s.award(award.id)).elsewhere?.credly).toEqual({ state: "refused", reason: refusal, retry: 1 });
    const digest = await s.say("cora@example.org", "digest");
    // Two tries refused, one badge: one line.
    expect(digest).toContain(`${NOT_ISSUED} (1)`);
    expect(digest.split(`Credly did not issue Ana Torres Ruiz's Coaching Badge badge: ${refusal}`)).toHaveLength(2);
  });

  writeFileSync(join(dir, "program.yml"), programJson(OTHER_TEMPLATE));
  const before = credly.requests.length;
  expect(await cli(["credly", "retry"], vars)).toEqual({ code: 0, out: ["Asking Credly again for 1 badge:", "• Ana Torres Ruiz's Coaching Badge: issued."].join("\n") });
  expect(credly.requests.slice(before).map((r) => r.method)).toEqual(["GET", "POST"]);
  expect(credly.badges).toHaveLength(1);
  expect(credly.badges[0]).toMatchObject({ badge_template_id: OTHER_TEMPLATE, issuer_earner_id: award.id });

  await withSteps(vars, { serve: false }, async (s) => {
    expect((await s.award(award.id)).elsewhere?.credly).toMatchObject({ state: "issued", id: credly.badges[0]!.id });
    expect(await s.say("cora@example.org", "digest")).not.toContain(NOT_ISSUED);
  });
  expect(await cli(["credly", "retry"], vars)).toEqual({ code: 0, out: "No badge is refused at Credly: nothing to ask again." });
  expect(issuesAt(credly)).toHaveLength(3);
});

it("a try asked for finds the badge Credly already holds under Steps' reference, and issues nothing more", async () => {
  const { credly, vars } = await setup();
  const award = await withSteps(vars, { serve: true }, (s) => s.earnAndPublish("ana@example.org", "coaching-session", "coaching"));
  // An earlier try reached Credly after all (an answer lost on the way back).
  credly.badges.push({ id: "11111111-2222-4333-8444-555555555555", state: "pending", revocation_reason: null, recipient_email: "ana@example.org", badge_template_id: UNKNOWN_TEMPLATE, issued_at: "2026-06-20 17:00:00 +0000", issued_to_first_name: "Ana", issued_to_last_name: "Torres Ruiz", issuer_earner_id: award.id });
  const before = issuesAt(credly).length;
  expect(await cli(["credly", "retry"], vars)).toEqual({ code: 0, out: ["Asking Credly again for 1 badge:", "• Ana Torres Ruiz's Coaching Badge: issued."].join("\n") });
  expect(issuesAt(credly)).toHaveLength(before);
  await withSteps(vars, { serve: false }, async (s) => {
    expect((await s.award(award.id)).elsewhere?.credly).toMatchObject({ state: "issued", id: "11111111-2222-4333-8444-555555555555" });
  });
});

it("a revoked badge is not asked for again; --program names one program; bad arguments say how; Spanish terminals read Spanish", async () => {
  const { credly, vars } = await setup();
  await withSteps(vars, { serve: true }, async (s) => {
    const award = await s.earnAndPublish("zoe@example.org", "initial-training", "early-learning");
    expect(await s.say("cora@example.org", "digest")).toContain(NOT_ISSUED);
    expect(await s.say("cora@example.org", "revoke zoe@example.org early-learning Entered by mistake")).toContain("Revoked Zoe's early-learning badge");
    // Nothing at Credly, nothing to fix: the digest stops asking.
    expect((await s.award(award.id)).elsewhere?.credly?.state).toBe("revoked");
    expect(await s.say("cora@example.org", "digest")).not.toContain(NOT_ISSUED);
  });
  expect(await cli(["credly", "retry", "--program", "program"], vars)).toEqual({ code: 0, out: "No badge is refused at Credly in program: nothing to ask again." });
  expect(await cli(["credly", "retry", "--program", "nope"], vars)).toEqual({ code: 1, out: 'No program "nope" is loaded. The programs are: program.' });
  expect(await cli(["credly", "retry", "--program"], vars)).toEqual({ code: 2, out: "Usage: steps credly retry [--program ID], once the cause Credly gave (in the digest) is fixed." });
  expect((await cli(["credly", "retry", "now"], vars)).code).toBe(2);
  expect((await cli(["credly"], vars)).out).toContain("credly retry [--program ID]");
  expect(await cli(["credly", "retry"], { ...vars, LANG: "es_MX.UTF-8" })).toEqual({ code: 0, out: "Credly no ha rechazado ninguna insignia: no hay nada que volver a pedir." });
  // The revocation looked for a badge at Credly (none); the retries asked nothing.
  expect(credly.requests.map((r) => r.method)).toEqual(["GET"]);
});
