import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import badges from "../adapters/badges/index.ts";
import email from "../adapters/email/index.ts";
import web from "../adapters/web/index.ts";
import { boot, ProgramFileError } from "../app/boot.ts";
import { createDb } from "../db/client.ts";
import { createStore } from "../db/store.ts";
import { runCli } from "./support/cli.ts";
import { resolvePerson } from "../src/chat.ts";
import { readEnv } from "../src/config.ts";
import { homeView } from "../src/domain/home.ts";
import { silentLogger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import { createProgram } from "../src/program/program.ts";
import { parseProgramFile } from "../src/program/load.ts";
import { parseRoster } from "../src/roster/csv.ts";
import { serveForTest, throwAwayDatabase, type Serving } from "./support/boot.ts";
import { rawRequest } from "./support/http.ts";
import { startSmtp } from "./support/smtp.ts";
import { until } from "./support/wait.ts";
import { copyPgliteTemplate, freshDb } from "./support/db.ts";
import { numberIn, playground } from "./support/playground.ts";

// Two programs on one database, as PROGRAMS loads them: the sample Summer STEPS
// and the early-learning micro-credential, whose rosters share some people.
// Everything is driven through the playground's HTTP API, as a script would.

const SUMMER = "summer-steps";
const EARLY = "early-learning";
const GRACE = "grace.oconnor@example.org"; // an intern in both programs
const SARA = "sara.ahmed@example.org"; // an intern in early-learning only
const MARIA = "maria.delgado@example.org"; // a coordinator in both
const DENISE = "denise.park@example.org"; // early-learning's coordinator
const JAMES = "james.okafor@example.org"; // Summer STEPS' other coordinator
const HECTOR = "hector.villanueva@example.org"; // Grace's mentor in both
const OLIVIA = "olivia.grant@example.org"; // Sara's site mentor
const KIM = "kim.nguyen@example.org"; // the coaching supervisor
const LILY = "lily.chen@example.org"; // in both programs; Hector mentors her, Kim coaches her
const NOOR = "noor.haddad@example.org"; // added to early-learning by the email test: an intern there only, without chat

/** A Monday 09:00 in Sacramento, inside both programs. */
const START = new Date("2026-06-22T16:00:00Z");

let clock = START;
let dir: string;
let dataDir: string;
let url: string | undefined;
let dropDb: (() => Promise<void>) | undefined;
/** Noor's personal link, from the email test: it does nothing while her program is not loaded. */
let noorToken: string | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "steps-programs-"));
  dataDir = join(dir, "data");
  mkdirSync(join(dir, "programs"));
  cpSync("programs", join(dir, "programs"), { recursive: true });
  ({ url, dropDb } = await throwAwayDatabase(dataDir));
});

afterAll(async () => {
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

/** The server on the shared database with the program files in `folder` (relative to the temporary directory). */
function start(vars: Record<string, string> = {}, adapters = [web, badges]): Promise<Serving> {
  return serveForTest({ DATA_DIR: dataDir, PUBLIC_URL: "http://steps.test", PROGRAMS: join(dir, "programs"), ...(url ? { DATABASE_URL: url, ROSTER_FILE: join(dir, "programs", "summer-steps-roster.csv") } : {}), ...vars }, () => clock, adapters);
}


describe("two programs on one database", () => {
  let app: Serving;
  let pg: ReturnType<typeof playground>;
  beforeAll(async () => {
    app = await start();
    pg = playground(app);
  });
  afterAll(async () => app?.close());

  it("knows a chat account of someone only in the second program on first contact, by its email", async () => {
    const profile = async () => ({ email: SARA });
    const first = await resolvePerson(app.steps.core, "slack", "U0SARA", profile);
    expect([first.person.email, first.person.program]).toEqual([SARA, EARLY]);
    const again = await resolvePerson(app.steps.core, "slack", "U0SARA", () => Promise.reject(new Error("asked Slack again")));
    expect(again.person.id).toBe(first.person.id);
    // Sara's messages in the tests below go to the playground, not to this account.
    await app.steps.db.db.execute(sql`delete from identities where platform_user_id = 'U0SARA'`);
  });

  it("loads each program with its own roster, and someone on both rosters has a row in each", async () => {
    expect(app.steps.programs.map((p) => p.program.id)).toEqual([SUMMER, EARLY]);
    const rows = await app.steps.store.peopleByEmail(GRACE);
    expect(rows.map((r) => [r.program, r.role, r.department])).toEqual([
      [SUMMER, "intern", "parks-recreation"],
      [EARLY, "intern", "city-preschools"],
    ]);
    expect(rows[1]!.approvers).toEqual({ coach: KIM });
    expect(await app.steps.store.scoped(SUMMER).personByEmail(SARA)).toBeUndefined();
    // The playground lists each program's people under it.
    const { groups } = (await (await fetch(`${app.server.url}/playground/people`)).json()) as { groups: { label: string; people: { email: string }[] }[] };
    const interns = groups.find((g) => g.label === "Interns — City preschool classrooms, Early Learning Micro-credential")!;
    expect(interns.people.map((p) => p.email)).toEqual([LILY, GRACE]);
    expect(groups.find((g) => g.label === "Interns — Parks & Recreation, Summer STEPS")!.people.map((p) => p.email)).toContain(GRACE);
  });

  it("asks which program when a task is in both, with a button per program and the typed form, and records nothing", async () => {
    const reply = await pg.say(GRACE, "log 2h field-hours");
    expect(reply.text).toContain("`field-hours` is in more than one of your programs: Summer STEPS (`summer-steps`), Early Learning Micro-credential (`early-learning`). Which one is it for?");
    expect(reply.text).toContain("To choose by typing, name the program: `log 2h summer-steps/field-hours` or `log 2h early-learning/field-hours`.");
    expect(reply.html).toContain('value="choose_program"');
    expect(reply.html).toContain('data-value="log 2h early-learning/field-hours"');
    expect(await pg.inbox(HECTOR, SUMMER)).toEqual([]);
    expect(await pg.inbox(HECTOR, EARLY)).toEqual([]);
  });

  it("records in the program the button names, and asks that program's mentor", async () => {
    const reply = await pg.click(GRACE, "choose_program", "log 2h early-learning/field-hours");
    expect(reply.text).toMatch(/Recorded 2 h of Field hours \(#\d+\)/);
    const [request] = await pg.inbox(HECTOR, EARLY);
    expect(request).toContain("Playlist: Early Learning Micro-credential");
    expect(await pg.inbox(HECTOR, SUMMER)).toEqual([]);
  });

  it("takes the qualified form typed, in either program", async () => {
    const reply = await pg.say(GRACE, "log 1h summer-steps/field-hours shadowed the preschool teacher");
    expect(reply.text).toMatch(/Recorded 1 h of Field hours/);
    expect((await pg.inbox(HECTOR, SUMMER))[0]).toContain("Playlist: Early Learning Micro-credential");
    expect(await pg.inbox(HECTOR, EARLY)).toHaveLength(1);
    // A task only one program has needs no program named.
    expect((await pg.say(GRACE, "done camp-support")).text).toMatch(/Recorded Support a summer camp day/);
  });

  it("refuses a program the person is not in, a tampered button and a qualified form of a task that program lacks", async () => {
    expect((await pg.say(GRACE, "log 1h civic-data/field-hours")).text).toBe(
      "You are not in a program called `civic-data`. Your programs: Summer STEPS (`summer-steps`), Early Learning Micro-credential (`early-learning`).",
    );
    expect((await pg.click(GRACE, "choose_program", "approve 1")).text).toMatch(/out of date/);
    expect((await pg.click(GRACE, "choose_program", "log 2h field-hours")).text).toMatch(/out of date/);
    expect((await pg.say(GRACE, "done early-learning/camp-support")).text).toMatch(/camp-support/);
    expect((await pg.say(GRACE, "log 1h early--learning/field-hours")).text).toMatch(/isn't a program name/);
  });

  it("shows status for each program, under each program's name", async () => {
    const { text } = await pg.say(GRACE, "status");
    expect(text).toMatch(/^Summer STEPS\nSummer STEPS Core — 0%\n/);
    expect(text).toContain("---\nEarly Learning Micro-credential\nEarly Learning Micro-credential — 0%\nInitial training (initial-training): 0/2 h (0%)\n");
    // From the early-learning row too: the person is one, whichever row the platform knows.
    expect((await pg.say(GRACE, "status", EARLY)).text).toBe(text);
    // The Home tab shows each program too.
    const home = toPlainText(await homeView(app.steps.core, (await app.steps.store.scoped(SUMMER).personByEmail(GRACE))!));
    expect(home).toMatch(/^Summer STEPS\nSummer STEPS Core — 0%/);
    expect(home).toContain("---\nEarly Learning Micro-credential\nEarly Learning Micro-credential — ");
  });

  it("decides a submission in its own program, whichever row the approver clicks from", async () => {
    const [request] = await pg.inbox(HECTOR, EARLY);
    const id = numberIn(request!.split("\n").find((l) => l.includes("Submission #"))!);
    // Hector's summer row clicks the early-learning request: routed by the submission to his early-learning row.
    expect((await pg.say(HECTOR, `approve ${id}`)).text).toContain(`#${id} is decided`);
    expect(await pg.inbox(GRACE, EARLY)).toContain(`Hector Villanueva approved Field hours (#${id}).`);
    // Pending shows each program's waiting work under its name.
    const pending = (await pg.say(HECTOR, "pending")).text;
    expect(pending).toMatch(/^Summer STEPS\n/);
    expect(pending).toContain("---\nEarly Learning Micro-credential\n");
  });

  it("sends each program's digest on its own day to its own coordinators, about its own people", async () => {
    // Summer STEPS: Mondays 08:00; early-learning: Fridays 08:00, by direct message.
    const monday = new Date("2026-06-29T15:00:00Z");
    clock = monday;
    await app.steps.runDue(monday);
    const summerDigest = (await pg.inbox(MARIA, SUMMER)).at(-1)!;
    expect(summerDigest).toContain("Parks & Recreation");
    expect(summerDigest).not.toContain("City preschool classrooms");
    expect((await pg.inbox(JAMES, SUMMER)).at(-1)).toBe(summerDigest);
    const jamesAfterMonday = (await pg.inbox(JAMES, SUMMER)).length;
    expect(await pg.inbox(DENISE, EARLY)).toEqual([]);
    expect(await pg.inbox(MARIA, EARLY)).toEqual([]);

    const friday = new Date("2026-07-03T15:00:00Z");
    clock = friday;
    await app.steps.runDue(friday);
    const earlyDigest = (await pg.inbox(DENISE, EARLY)).at(-1)!;
    expect(earlyDigest).toContain("City preschool classrooms");
    expect(earlyDigest).not.toContain("Parks & Recreation");
    expect((await pg.inbox(MARIA, EARLY)).at(-1)).toBe(earlyDigest);
    // Friday is no Summer STEPS digest day.
    expect(await pg.inbox(JAMES, SUMMER)).toHaveLength(jamesAfterMonday);
    clock = START;
  });

  it("runs the early-learning micro-credential end to end: training, field hours, coaching signed off by the coach (not the mentor), badge", async () => {
    // Initial training: a coordinator's to sign off.
    const training = numberIn((await pg.say(SARA, "log 2h initial-training", EARLY)).text);
    expect((await pg.inbox(DENISE, EARLY)).join("\n")).toContain("Initial training");
    expect((await pg.say(OLIVIA, `approve ${training}`, EARLY)).text).toBe(`#${training} needs a coordinator's approval.`);
    expect((await pg.say(DENISE, `approve ${training}`, EARLY)).text).toContain("is decided");

    // Field hours: the site mentor's.
    for (const hours of ["8h", "8h", "4h"]) {
      const id = numberIn((await pg.say(SARA, `log ${hours} field-hours`, EARLY)).text);
      expect((await pg.say(OLIVIA, `approve ${id}`, EARLY)).text).toContain("is decided");
    }

    // Coaching: evidence required, and only the coach may sign it off.
    expect((await pg.say(SARA, "log 10h reflective-coaching", EARLY)).text).toMatch(/needs evidence/);
    const first = numberIn((await pg.say(SARA, "log 10h reflective-coaching https://example.org/journal/1 weeks 1-3 with Kim", EARLY)).text);
    const second = numberIn((await pg.say(SARA, "log 10h reflective-coaching https://example.org/journal/2 weeks 4-6", EARLY)).text);
    const coachInbox = (await pg.inbox(KIM, EARLY)).join("\n");
    expect(coachInbox).toContain(`Submission #${first}`);
    expect(coachInbox).toContain(`Submission #${second}`);
    expect((await pg.inbox(OLIVIA, EARLY)).join("\n")).not.toContain(`Submission #${first}`);
    expect((await pg.say(OLIVIA, `approve ${first}`, EARLY)).text).toBe(
      `#${first} is for Sara Ahmed's coach to sign off, not their mentor. Their coach or a coordinator can decide it.`,
    );
    expect((await pg.say(OLIVIA, "pending", EARLY)).text).not.toContain(`#${first}`);
    expect((await pg.say(KIM, "pending", EARLY)).text).toContain(`#${first}`);
    // Kim coaches only the interns the roster names her for: Hector's early-learning intern is not Kim's to mentor.
    expect((await pg.say(KIM, `approve ${first}`, EARLY)).text).toContain("is decided");
    expect((await pg.say(KIM, `approve ${second}`, EARLY)).text).toContain("is decided");

    const awarded = (await pg.inbox(SARA, EARLY)).join("\n");
    expect(awarded).toContain("Early Learning Micro-credential");
    expect(awarded).toMatch(/badge/i);
    const [award] = await app.steps.store.awardsOf(await pg.id(SARA, EARLY));
    expect(award!.playlist).toBe(EARLY);
    expect(award!.evidence.filter((e) => e.task === "reflective-coaching").map((e) => e.approvedBy)).toEqual(["Kim Nguyen", "Kim Nguyen"]);
    expect(award!.evidence.find((e) => e.task === "initial-training")!.approvedBy).toBe("Denise Park");
    // Signed as the early-learning program's organization.
    const credential = (award!.credential as { credential: { issuer: { name: string } } }).credential;
    expect(credential.issuer.name).toBe("City of West Sacramento Early Learning Services");
    expect((await pg.channel()).join("\n")).toContain("Early Learning Micro-credential");
    // Its page is the early-learning program's, even though Summer STEPS has a playlist of the same name.
    expect((await pg.say(SARA, "badge publish early-learning", EARLY)).text).toContain("Early Learning Micro-credential");
    const page = await (await fetch(`${app.server.url}/badges/${award!.id}`)).text();
    expect(page).toContain("City of West Sacramento Early Learning Services");
    expect(page).toContain("Reflective coaching");
    // The announcement names its program, so each platform posts it in early-learning's channel.
    const result = await app.steps.db.db.execute(sql`select payload->>'program' as program from outbox where key = ${`award:${award!.id}:channel`}`);
    const rows = (Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows) as { program: string }[];
    expect(rows).toEqual([{ program: EARLY }]);
  });

  it("takes a program button whose command carries a long note, and refuses a value longer than any button's", async () => {
    const note = "Read picture books with the toddlers, then helped set up the sensory table. ".repeat(5).trim();
    const asked = await pg.say(LILY, `log 2h field-hours ${note}`);
    const value = `log 2h early-learning/field-hours ${note}`;
    expect(value.length).toBeGreaterThan(200);
    expect(asked.html).toContain(`data-value="${value}"`);
    const recorded = await pg.click(LILY, "choose_program", value);
    expect(recorded.text).toMatch(/Recorded 2 h of Field hours \(#\d+\)/);
    // Decided, so it waits on no one in the tests that follow.
    expect((await pg.say(HECTOR, `approve ${numberIn(recorded.text)}`, EARLY)).text).toContain("is decided");
    const token = ((await (await fetch(`${app.server.url}/playground/people`)).json()) as { token: string }).token;
    const tooLong = await fetch(`${app.server.url}/playground/action`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, personId: await pg.id(LILY, SUMMER), action: "choose_program", value: "x".repeat(2001) }),
    });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toContain("value must be at most 2000 characters");
  });
});

describe("personal work pages by email, in the intern's own program", () => {
  it("records work from the link of an intern only in the second program there, asks that program's approver, and tells the first program's coordinators nothing", async () => {
    const smtp = await startSmtp();
    const app = await start({ SMTP_URL: smtp.url, EMAIL_FROM: "steps@city.example.org" }, [web, badges, email]);
    try {
      const db = app.steps.db.db;
      // Noor, new to early-learning and on no other roster, has no chat; nor has Olivia, her site mentor.
      const early = app.steps.store.scoped(EARLY);
      await early.upsertPeople([{ email: NOOR, name: "Noor Haddad", role: "intern", department: "partner-centers", mentorEmail: OLIVIA, contact: "email" }]);
      await db.execute(sql`update people set contact = 'email' where program = ${EARLY} and email = ${OLIVIA}`);
      const noor = (await early.personByEmail(NOOR))!;
      // Her new link, asked from the form as she would.
      const form = { host: new URL(app.server.url).host, origin: app.server.url, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" };
      const post = (path: string, fields: Record<string, string>) => rawRequest(`${app.server.url}${path}`, { method: "POST", headers: form, body: new URLSearchParams(fields).toString() });
      expect((await post("/email/new-link", { email: NOOR })).status).toBe(200);
      await app.steps.dispatcher.drain();
      await until("Noor gets her link", () => smtp.to(NOOR).length === 1);
      const link = /^Record your work: (\S+)$/m.exec(smtp.to(NOOR)[0]!.text!)![1]!;
      const t = new URL(link).searchParams.get("t")!;
      noorToken = t;

      const page = await rawRequest(`${app.server.url}/email/work?t=${encodeURIComponent(t)}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain("<title>Your work — Early Learning Micro-credential</title>");
      expect(page.body).toContain("Field hours");
      expect(page.body).not.toContain("Summer STEPS Core");

      const recorded = await post("/email/work", { t, task: "field-hours", hours: "3", note: "Circle time at the partner center." });
      expect(recorded.status).toBe(200);
      expect(recorded.body).toMatch(/Recorded 3 h of Field hours \(#\d+\)/);
      expect(recorded.body).toContain("<title>Your work — Early Learning Micro-credential</title>");
      const [submission] = await app.steps.store.submissionsOf(noor.id);
      expect(submission).toMatchObject({ task: "field-hours", playlist: "early-learning", status: "pending" });

      // Olivia, early-learning's site mentor, gets it by email, and its page names her program's task.
      await app.steps.dispatcher.drain();
      await until("Olivia gets the approval request", () => smtp.to(OLIVIA).length === 1);
      const approve = /^Approve: (\S+)$/m.exec(smtp.to(OLIVIA)[0]!.text!)![1]!;
      const confirm = await rawRequest(approve.replace("http://steps.test", app.server.url));
      expect(confirm.status).toBe(200);
      expect(confirm.body).toContain("Field hours");
      expect(confirm.body).toContain("— Early Learning Micro-credential</title>");
      // Only Olivia and Noor are told of it: no coordinator, of either program.
      const told = await db.execute(sql`select distinct recipient from outbox where payload::text like '%Noor Haddad%' order by recipient`);
      const recipients = ((Array.isArray(told) ? told : (told as unknown as { rows: unknown[] }).rows) as { recipient: string }[]).map((r) => r.recipient);
      const olivia = (await early.personByEmail(OLIVIA))!;
      expect(recipients).toEqual([`person:${olivia.id}`]);
      for (const who of [JAMES, MARIA, DENISE]) expect(smtp.to(who)).toEqual([]);
    } finally {
      await app.close();
      await smtp.close();
    }
  });

  it("sends a new link for the intern row reached by email, in whichever program it is, to that program's page", async () => {
    const smtp = await startSmtp();
    const app = await start({ SMTP_URL: smtp.url, EMAIL_FROM: "steps@city.example.org" }, [web, badges, email]);
    try {
      // Grace is in chat for Summer STEPS (her older row) and by email for early-learning.
      await app.steps.db.db.execute(sql`update people set contact = 'email' where program = ${EARLY} and email = ${GRACE}`);
      const asked = await rawRequest(`${app.server.url}/email/new-link`, {
        method: "POST",
        headers: { host: new URL(app.server.url).host, origin: app.server.url, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ email: GRACE }).toString(),
      });
      expect(asked.status).toBe(200);
      await app.steps.dispatcher.drain();
      await until("Grace gets her early-learning link", () => smtp.to(GRACE).length === 1);
      const link = /^Record your work: (\S+)$/m.exec(smtp.to(GRACE)[0]!.text!)![1]!;
      const page = await rawRequest(link.replace("http://steps.test", app.server.url));
      expect(page.status).toBe(200);
      expect(page.body).toContain("<title>Your work — Early Learning Micro-credential</title>");
      await app.steps.dispatcher.idle();
      expect(smtp.to(GRACE)).toHaveLength(1);
    } finally {
      await app.close();
      await smtp.close();
    }
  });
});

describe("nudges", () => {
  it("chase the coach for coaching hours, and not the intern's mentor", async () => {
    const app = await start();
    try {
      const pg = playground(app);
      clock = new Date("2026-07-06T16:00:00Z");
      const id = numberIn((await pg.say(LILY, "log 1h early-learning/reflective-coaching https://example.org/lily/1", EARLY)).text);
      const before = (await pg.inbox(HECTOR, EARLY)).length;
      // Thursday 08:00 in Sacramento: three days later.
      const thursday = new Date("2026-07-09T15:00:00Z");
      clock = thursday;
      await app.steps.runDue(thursday);
      expect((await pg.inbox(KIM, EARLY)).at(-1)).toContain(`#${id} Lily Chen · reflective-coaching · 3 days`);
      expect(await pg.inbox(HECTOR, EARLY)).toHaveLength(before);
    } finally {
      clock = START;
      await app.close();
    }
  });
});

describe("a program removed and restored", () => {
  it("keeps the removed program's data untouched and brings it back with its file", async () => {
    const early = join(dir, "programs", "early-learning.yml");
    const aside = join(dir, "early-learning.yml");
    cpSync(early, aside);
    rmSync(early);

    const without = await start({}, [web, badges, email]);
    try {
      expect(without.steps.programs.map((p) => p.program.id)).toEqual([SUMMER]);
      const pg = playground(without);
      // Grace is now in one program: field-hours is Summer STEPS' without asking.
      expect((await pg.say(GRACE, "log 1h field-hours")).text).toMatch(/Recorded 1 h of Field hours/);
      expect((await pg.say(GRACE, "status")).text).toMatch(/^Summer STEPS Core — /);
      // Sara is only in the program that is gone: her row is kept, but nothing answers for it.
      expect((await pg.say(SARA, "status", EARLY)).text).toBe("You are not on the program roster. Ask your coordinator to add you.");
      // Noor's personal page has no program to record in: it says so and records nothing.
      const page = await rawRequest(`${without.server.url}/email/work?t=${encodeURIComponent(noorToken!)}`);
      expect(page.status).toBe(410);
      expect(page.body).toContain("This link was cancelled");
      const noor = (await without.steps.store.peopleByEmail(NOOR))[0]!;
      const before = (await without.steps.store.submissionsOf(noor.id)).length;
      const posted = await rawRequest(`${without.server.url}/email/work`, {
        method: "POST",
        headers: { host: new URL(without.server.url).host, origin: without.server.url, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ t: noorToken!, task: "field-hours", hours: "1" }).toString(),
      });
      expect(posted.status).toBe(410);
      expect(await without.steps.store.submissionsOf(noor.id)).toHaveLength(before);
      // Its roster's eight, and Noor, whom the email test added.
      expect(await without.steps.store.programsOnRecord()).toEqual(expect.arrayContaining([{ program: EARLY, people: 9 }]));
    } finally {
      await without.close();
    }
    // config check says the removed program's data is kept.
    const checked = await runCli(["config", "check"], { PROGRAMS: join(dir, "programs"), DATA_DIR: dataDir, ...(url ? { DATABASE_URL: url } : {}) });
    expect(checked.code).toBe(0);
    const lines = checked.out.split("\n");
    expect(lines).toContain('note: the program "early-learning" has 9 people on record but no program file is loaded for it: its data is kept, and comes back when its file does.');

    cpSync(aside, early);
    const restored = await start();
    try {
      const pg = playground(restored);
      const status = (await pg.say(SARA, "status", EARLY)).text;
      expect(status).toContain("Early Learning Micro-credential — badge earned");
      expect((await pg.say(GRACE, "log 1h field-hours")).text).toContain("more than one of your programs");
    } finally {
      await restored.close();
    }
  });
});

describe("data from before programs had ids", () => {
  it("belongs to the first program, adopted once at start-up", async () => {
    const own = mkdtempSync(join(tmpdir(), "steps-programs-old-"));
    const fresh = process.env.DATABASE_URL ? await freshDb() : undefined;
    if (!fresh) copyPgliteTemplate(join(own, "db"));
    try {
      const old = fresh ?? (await createDb(undefined, { dataDir: join(own, "db") }));
      await createStore(old.db).upsertPeople([
        { email: "old@example.org", name: "Olive Old", role: "coordinator", department: null, mentorEmail: null },
        { email: "twice@example.org", name: "Tess Before", role: "coordinator", department: null, mentorEmail: null },
      ]);
      // Someone the first program has again already: the old row is kept apart, not merged and not lost.
      await createStore(old.db).scoped(SUMMER).upsertPeople([{ email: "twice@example.org", name: "Tess Now", role: "coordinator", department: null, mentorEmail: null }]);
      if (!fresh) await old.close();
      const steps = await boot(readEnv({ DATA_DIR: own, PROGRAMS: "programs", ...(fresh?.url ? { DATABASE_URL: fresh.url } : {}) }), silentLogger);
      try {
        expect((await steps.store.scoped(SUMMER).personByEmail("old@example.org"))?.name).toBe("Olive Old");
        expect((await steps.store.scoped(SUMMER).personByEmail("twice@example.org"))?.name).toBe("Tess Now");
        expect(await steps.store.programsOnRecord()).toEqual([{ program: "", people: 1 }, { program: EARLY, people: 8 }, { program: SUMMER, people: 2 }]);
      } finally {
        await steps.close();
      }
    } finally {
      await fresh?.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe("bad configuration", () => {
  it("refuses two files with one id, a folder without programs and a file name that is not an id", async () => {
    const other = mkdtempSync(join(tmpdir(), "steps-programs-bad-"));
    try {
      cpSync("programs/summer-steps.yml", join(other, "Summer Steps.yml"));
      await expect(boot(readEnv({ PROGRAMS: join(other, "Summer Steps.yml"), DATA_DIR: join(other, "data") }), silentLogger)).rejects.toThrow(
        /a program file's name is its id, so it must be lower-case letters, digits and single hyphens/,
      );
      cpSync("programs/summer-steps.yml", join(other, "summer-steps.yml"));
      await expect(boot(readEnv({ PROGRAMS: `programs/summer-steps.yml,${join(other, "summer-steps.yml")}`, DATA_DIR: join(other, "data") }), silentLogger)).rejects.toThrow(
        /are both the program "summer-steps"; rename one of them/,
      );
      cpSync("programs/summer-steps.yml", join(other, "all.yml"));
      await expect(boot(readEnv({ PROGRAMS: join(other, "all.yml"), DATA_DIR: join(other, "data") }), silentLogger)).rejects.toThrow(/"all" means every program in a roster, so it cannot be a program's id/);
      mkdirSync(join(other, "empty"));
      await expect(boot(readEnv({ PROGRAMS: join(other, "empty"), DATA_DIR: join(other, "data") }), silentLogger)).rejects.toThrow(ProgramFileError);
      writeFileSync(join(other, "broken.yml"), "program: {}\n");
      await expect(boot(readEnv({ PROGRAMS: `programs/early-learning.yml,${join(other, "broken.yml")}`, DATA_DIR: join(other, "data") }), silentLogger)).rejects.toThrow(
        /broken\.yml:1 program\.name: missing required field "name"/,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("checks coach_email in the roster and approver roles in the program file", () => {
    const file = parseProgramFile(
      `program: { name: X, organization: Y, time_zone: UTC, start: 2026-06-01, end: 2026-07-01 }
departments: [{ slug: a, name: A }]
playlists:
  - slug: p
    title: P
    scope: program
    badge: { name: B, image: b.svg, criteria: C }
    tasks:
      - { slug: t, title: T, approver: coach }
      - { slug: u, title: U, approver: intern }
`,
      "x.yml",
    );
    expect(file.ok ? [] : file.errors).toEqual([
      { line: 10, path: "playlists[0].tasks[1].approver", message: "interns do not approve; use mentor, coordinator or a role such as coach" },
    ]);
    const loaded = parseProgramFile(
      `program: { name: X, organization: Y, time_zone: UTC, start: 2026-06-01, end: 2026-07-01 }
departments: [{ slug: a, name: A }]
playlists:
  - { slug: p, title: P, scope: program, badge: { name: B, image: b.svg, criteria: C }, tasks: [{ slug: t, title: T, approver: coach }] }
`,
      "x.yml",
    );
    if (!loaded.ok) throw new Error("expected a valid file");
    const program = createProgram(loaded.file, "x");
    const roster = [
      "email,name,role,department,mentor_email,coach_email",
      "mo@example.org,Mo,mentor,a,,",
      "kim@example.org,Kim,mentor,a,,ana@example.org", // 3: only interns have a coach
      "ana@example.org,Ana,intern,a,mo@example.org,kim@example.org", // fine
      "ben@example.org,Ben,intern,a,mo@example.org,not-an-address", // 5
      "cal@example.org,Cal,intern,a,mo@example.org,cal@example.org", // 6
      "dee@example.org,Dee,intern,a,mo@example.org,nobody@example.org", // 7
      "eve@example.org,Eve,intern,a,mo@example.org,ana@example.org", // 8
    ].join("\n");
    const result = parseRoster(roster, program);
    expect(result.ok ? [] : result.errors).toEqual([
      { line: 3, message: "coach_email is only for interns; leave it empty for mentors." },
      { line: 5, message: 'coach_email "not-an-address" is not an email address.' },
      { line: 6, message: "A person cannot be their own coach. Put their coach's email in coach_email." },
      { line: 7, message: "coach nobody@example.org is not in this file or on the roster. Add a row for them with role mentor." },
      { line: 8, message: "coach ana@example.org is an intern. Use a mentor's or coordinator's email." },
    ]);
    // A program without the role has no such column.
    const plain = parseRoster("email,name,role,department,mentor_email,coach_email\nmo@example.org,Mo,mentor,a,,\n", createProgram({ ...loaded.file, playlists: [{ ...loaded.file.playlists[0]!, tasks: [{ ...loaded.file.playlists[0]!.tasks[0]!, approver: "mentor" }] }] }));
    expect(plain.ok ? [] : plain.errors.map((e) => e.message)).toEqual([expect.stringContaining('unknown column "coach_email"')]);
  });
});
