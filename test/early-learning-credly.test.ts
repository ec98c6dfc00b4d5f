import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import badges from "../adapters/badges/index.ts";
import credlyAdapter from "../adapters/credly/index.ts";
import web from "../adapters/web/index.ts";
import { startServer, type RunningServer } from "../app/server.ts";
import { outbox } from "../db/schema.ts";
import { bootForTest } from "./support/boot.ts";
import { credlyHealth, issuesAt, startCredlyDouble, type CredlyDouble } from "./support/credly.ts";
import { numberIn, playground } from "./support/playground.ts";

// The sample early-learning micro-credential, as PROGRAMS loads it beside
// Summer STEPS, with its badge issued through Credly as well as self-signed:
// every hour logged and signed off through the playground, then published
// while Credly is down, and issued once it is back.

const EARLY = "early-learning";
const SARA = "sara.ahmed@example.org"; // an intern in early-learning only
const DENISE = "denise.park@example.org"; // early-learning's coordinator
const OLIVIA = "olivia.grant@example.org"; // Sara's site mentor
const KIM = "kim.nguyen@example.org"; // Sara's coaching supervisor
const TEMPLATE = "5d0b7a4e-3c1f-4e8a-9b2d-6f7e8a9b0c1d";

let dir: string;
let clock = new Date("2026-06-22T16:00:00Z"); // a Monday 09:00 in Sacramento
let credly: CredlyDouble;
let steps: Awaited<ReturnType<typeof bootForTest>>;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "steps-early-credly-"));
  cpSync("programs", dir, { recursive: true });
  const file = join(dir, "early-learning.yml");
  const sample = readFileSync(file, "utf8");
  const withCredly = sample.replace("    scope: program\n    badge:\n", `    scope: program\n    issue: { credly: { badge_template_id: ${TEMPLATE} } }\n    badge:\n`);
  expect(withCredly).not.toBe(sample);
  writeFileSync(file, withCredly);
  credly = await startCredlyDouble({ templates: [TEMPLATE] });
  steps = await bootForTest({ PROGRAMS: dir, CREDLY_ORGANIZATION_ID: credly.organizationId, CREDLY_TOKEN: credly.token, CREDLY_API_URL: credly.url }, { now: () => clock });
  server = await startServer(steps, [web, badges, credlyAdapter]);
});

afterAll(async () => {
  await server?.close();
  await steps?.close();
  await credly?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the early-learning micro-credential through Credly", () => {
  it("earns the badge end to end, self-signed at once; published during a Credly outage, it is issued once on recovery and the award message links to it", async () => {
    const pg = playground({ steps, server }, EARLY);
    const settle = async () => {
      await steps.dispatcher.drain();
      await steps.dispatcher.idle();
    };

    // Initial training: the coordinator's to sign off.
    const training = numberIn((await pg.say(SARA, "log 2h initial-training")).text);
    expect((await pg.say(DENISE, `approve ${training}`)).text).toContain("is decided");
    // Field hours: the site mentor's.
    for (const hours of ["8h", "8h", "4h"]) {
      const id = numberIn((await pg.say(SARA, `log ${hours} field-hours`)).text);
      expect((await pg.say(OLIVIA, `approve ${id}`)).text).toContain("is decided");
    }
    // Coaching, with evidence: the coach's.
    for (const n of [1, 2]) {
      const id = numberIn((await pg.say(SARA, `log 10h reflective-coaching https://example.org/journal/${n}`)).text);
      expect((await pg.say(KIM, `approve ${id}`)).text).toContain("is decided");
    }

    // Awarded and self-signed by the program's organization; nothing goes to Credly until Sara publishes.
    const [award] = await steps.store.awardsOf(await pg.id(SARA, EARLY));
    expect(award!.playlist).toBe(EARLY);
    expect((award!.credential as { credential: { issuer: { name: string } } }).credential.issuer.name).toBe("City of West Sacramento Early Learning Services");
    const awarded = (await pg.inbox(SARA, EARLY)).find((m) => m.includes("Publish badge page"))!;
    expect(awarded).toContain("Publishing also sends your name and email to Credly");
    expect(credly.requests).toEqual([]);

    // Sara publishes while Credly answers 503.
    credly.failNext(1, 503);
    clock = new Date("2026-06-24T18:30:00Z");
    expect((await pg.say(SARA, "badge publish early-learning")).text).toContain("Steps is also sending your name and email to Credly");
    await settle();
    expect(credly.badges).toEqual([]);
    const [waiting] = await steps.db.db.select().from(outbox).where(sql`${outbox.key} = ${`credly:issue:${award!.id}`}`);
    expect(waiting).toMatchObject({ status: "queued", attempts: 1 });
    expect(waiting!.lastError).toContain("503");
    expect(await credlyHealth(server)).toBe("unavailable (503); retrying");
    // The self-signed page is public meanwhile.
    expect((await fetch(`${server.url}/badges/${award!.id}`)).status).toBe(200);

    // Credly is back: the retry, once its wait is over, issues the badge once.
    clock = new Date(clock.getTime() + 60 * 60_000);
    await settle();
    expect(credly.badges).toHaveLength(1);
    // It looked for the badge by Steps' award id before asking again: no duplicate after an answer that may have been lost.
    expect(credly.requests.map((r) => r.method)).toEqual(["POST", "GET", "POST"]);
    expect(issuesAt(credly)).toHaveLength(2); // the refused one and the one that took
    expect(credly.badges[0]).toMatchObject({
      recipient_email: SARA,
      badge_template_id: TEMPLATE,
      issued_to_first_name: "Sara",
      issued_to_last_name: "Ahmed",
      issuer_earner_id: award!.id,
      // When she earned it, not when she published it or when Credly came back.
      issued_at: "2026-06-22 16:00:00 +0000",
      locale: "en",
      evidence: [{ type: "UrlEvidence", value: `http://steps.test/badges/${award!.id}` }],
    });
    const credlyId = credly.badges[0]!.id;
    const acceptUrl = `https://www.credly.com/badges/${credlyId}/accept`;
    expect((await steps.store.award(award!.id))!.elsewhere).toEqual({ credly: { state: "issued", id: credlyId, url: acceptUrl } });
    expect(await credlyHealth(server)).toBe("ok");

    // The award message in Sara's inbox now links to the Credly badge, and asks nothing more of her.
    const edited = (await pg.inbox(SARA, EARLY)).filter((m) => m.includes("Early Learning Micro-credential") && m.includes(acceptUrl));
    expect(edited).toHaveLength(1);
    expect(edited[0]).not.toContain("Publish badge page");
    expect(await (await fetch(`${server.url}/badges/${award!.id}`)).text()).toContain(`Also issued through <a href="${acceptUrl}">Credly</a>`);

    // Later runs and a second publish ask nothing more of Credly.
    expect((await pg.say(SARA, "badge publish early-learning")).text).toContain("already public");
    clock = new Date(clock.getTime() + 24 * 60 * 60_000);
    await settle();
    expect(issuesAt(credly)).toHaveLength(2);
    expect(credly.badges).toHaveLength(1);
  });
});
