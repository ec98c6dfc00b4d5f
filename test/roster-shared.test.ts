import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import badges from "../adapters/badges/index.ts";
import web from "../adapters/web/index.ts";
import { boot } from "../app/boot.ts";
import { readEnv } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { serveForTest, throwAwayDatabase } from "./support/boot.ts";
import { runCli } from "./support/cli.ts";
import { numberIn, playground } from "./support/playground.ts";

// One roster file shared by the two sample programs, as a city keeps it: a
// `program` column puts each row in its program, and `all` makes a
// coordinator a coordinator of every program, including one added later.
// Both program files name it; the CLI imports it into every program it names.

const SUMMER = "summer-steps";
const EARLY = "early-learning";
const MARIA = "maria.delgado@example.org"; // the coordinator of all
const DENISE = "denise.park@example.org"; // early-learning's own coordinator
const SARA = "sara.ahmed@example.org"; // an intern in early-learning
const GRACE = "grace.oconnor@example.org"; // an intern in both

const START = new Date("2026-06-22T16:00:00Z");

let dir: string;
let dataDir: string;
let url: string | undefined;
let dropDb: (() => Promise<void>) | undefined;
let programCount: { [program: string]: number };

/** The sample rosters as one file: coach_email and program columns added, Maria once, for all. */
function sharedRoster(): string {
  const lines = (file: string) => readFileSync(`programs/${file}`, "utf8").trim().split("\n").slice(1);
  const notMaria = (line: string) => !line.startsWith(MARIA);
  const summer = lines("summer-steps-roster.csv").filter(notMaria).map((l) => `${l},,${SUMMER}`);
  const early = lines("early-learning-roster.csv").filter(notMaria).map((l) => `${l},${EARLY}`);
  programCount = { [SUMMER]: summer.length + 1, [EARLY]: early.length + 1 };
  return ["email,name,role,department,mentor_email,coach_email,program", `${MARIA},Maria Delgado,coordinator,,,,all`, ...summer, ...early, ""].join("\n");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "steps-shared-roster-"));
  dataDir = join(dir, "data");
  mkdirSync(join(dir, "programs"));
  cpSync("programs/badges", join(dir, "programs", "badges"), { recursive: true });
  // Both program files name the shared roster.
  const summer = readFileSync("programs/summer-steps.yml", "utf8").replace("  time_zone: America/Los_Angeles\n", "  time_zone: America/Los_Angeles\n  roster: roster.csv\n");
  writeFileSync(join(dir, "programs", `${SUMMER}.yml`), summer);
  writeFileSync(join(dir, "programs", `${EARLY}.yml`), readFileSync("programs/early-learning.yml", "utf8").replace("roster: early-learning-roster.csv", "roster: roster.csv"));
  writeFileSync(join(dir, "programs", "roster.csv"), sharedRoster());
  ({ url, dropDb } = await throwAwayDatabase(dataDir));
});

afterAll(async () => {
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

const vars = () => ({ PROGRAMS: join(dir, "programs"), DATA_DIR: dataDir, PUBLIC_URL: "http://steps.test", LOG_LEVEL: "error", ...(url ? { DATABASE_URL: url } : {}) });

const start = () => serveForTest(vars(), () => START, [web, badges]);

/** The CLI as a coordinator runs it, against the same programs and database; a line each. */
async function cli(args: string[]): Promise<{ code: number; out: string[] }> {
  const { code, out } = await runCli(args, vars());
  return { code, out: out.split("\n") };
}

const roster = (rows: string[]) => ["email,name,role,department,mentor_email,coach_email,program", ...rows, ""].join("\n");

describe("a roster shared by two programs", () => {
  it("gives each program its own rows at start-up, and the coordinator of all a row in each", async () => {
    const app = await start();
    try {
      expect(await app.steps.store.programsOnRecord()).toEqual(
        expect.arrayContaining([
          { program: SUMMER, people: programCount[SUMMER] },
          { program: EARLY, people: programCount[EARLY] },
        ]),
      );
      expect((await app.steps.store.peopleByEmail(MARIA)).map((p) => [p.program, p.role])).toEqual([
        [SUMMER, "coordinator"],
        [EARLY, "coordinator"],
      ]);
      expect((await app.steps.store.peopleByEmail(GRACE)).map((p) => [p.program, p.role, p.approvers])).toEqual([
        [SUMMER, "intern", {}],
        [EARLY, "intern", { coach: "kim.nguyen@example.org" }],
      ]);
      expect(await app.steps.store.scoped(SUMMER).personByEmail(DENISE)).toBeUndefined();

      // As a coordinator of early-learning, Maria is asked to sign off training, and may.
      const pg = playground(app, EARLY);
      const training = numberIn((await pg.say(SARA, "log 2h initial-training")).text);
      expect((await pg.inbox(MARIA, EARLY)).join("\n")).toContain("Initial training");
      expect((await pg.say(MARIA, `approve ${training}`)).text).toContain("is decided");
    } finally {
      await app.close();
    }
  });

  it("imports a new version into every program it names, and says how many in each", async () => {
    const file = join(dir, "next.csv");
    const current = readFileSync(join(dir, "programs", "roster.csv"), "utf8");
    writeFileSync(file, `${current}ravi.shah@example.org,Ravi Shah,coordinator,,,,all\nnoor.haddad@example.org,Noor Haddad,intern,partner-centers,olivia.grant@example.org,kim.nguyen@example.org,${EARLY}\n`);
    const { code, out } = await cli(["roster", "import", file]);
    expect({ code, out }).toEqual({
      code: 0,
      out: [
        `Imported ${file} into ${SUMMER}: 1 added, ${programCount[SUMMER]} updated.`,
        `Imported ${file} into ${EARLY}: 2 added, ${programCount[EARLY]} updated.`,
      ],
    });
    const app = await start();
    try {
      expect((await app.steps.store.peopleByEmail("ravi.shah@example.org")).map((p) => [p.program, p.role])).toEqual([
        [SUMMER, "coordinator"],
        [EARLY, "coordinator"],
      ]);
      expect((await app.steps.store.peopleByEmail("noor.haddad@example.org")).map((p) => p.program)).toEqual([EARLY]);
    } finally {
      await app.close();
    }
  });

  it("imports one program's rows, and its coordinators of all, with --program", async () => {
    const file = join(dir, "one.csv");
    writeFileSync(file, roster([`${MARIA},Maria Delgado,coordinator,,,,all`, `tess.wu@example.org,Tess Wu,coordinator,,,,${SUMMER}`, `${DENISE},Denise Park,coordinator,,,,${EARLY}`]));
    expect(await cli(["roster", "import", file, "--program", EARLY])).toEqual({ code: 0, out: [`Imported ${file} into ${EARLY}: 0 added, 2 updated.`] });
    const { out } = await cli(["roster", "import", file, "--program", "early"]);
    expect(out).toEqual([`No program "early" is loaded. The programs are: ${SUMMER}, ${EARLY}.`]);
    const app = await start();
    try {
      expect(await app.steps.store.peopleByEmail("tess.wu@example.org")).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("lists every problem with a row's program once, and imports nothing into any program", async () => {
    const file = join(dir, "bad.csv");
    writeFileSync(
      file,
      roster([
        `new.coordinator@example.org,New Coordinator,coordinator,,,,all`, // 2: fine, but not imported
        `zoe@example.org,Zoe Park,intern,city-preschools,hector.villanueva@example.org,,all`, // 3: an intern in all
        `yan@example.org,Yan Li,intern,city-preschools,hector.villanueva@example.org,,early-learnin`, // 4: a typo
        `xia@example.org,Xia Chen,mentor,parks-recreation,,,`, // 5: no program
        `will@example.org,Will Ode,mentor,parks-recreation,,,${SUMMER}`,
        `vic@example.org,Vic Ode,intern,partner-centers,will@example.org,kim.nguyen@example.org,${EARLY}`, // 7: Will mentors in the other program
        `uma@example.org,Uma Ode,intern,parks-recreation,will@example.org,kim.nguyen@example.org,${SUMMER}`, // 8: no coaching in Summer STEPS
        `ops@example.org,Ops Lead,coordinator,,,,all`,
        `ops@example.org,Ops Lead,mentor,parks-recreation,,,${SUMMER}`, // 10: in Summer STEPS already, as a coordinator of all
        `dee@example.org,Dee Lead,coordinator,parks-recreation,,,all`, // 11: a department is in one program
        `short@example.org,Short Row,coordinator,,,all`, // 12: a field short, so "all" is read as coach_email
      ]),
    );
    const { code, out } = await cli(["roster", "import", file]);
    expect(code).toBe(1);
    const lines = out.join("\n").split("\n");
    expect(lines[0]).toBe("The roster has 8 bad rows; nothing was imported.");
    for (const line of [
      'line 3: program "all" is only for coordinators. Put the program this intern is in.',
      `line 4: program "early-learnin" is not loaded. Did you mean ${EARLY}? Use one of: ${SUMMER}, ${EARLY}, all.`,
      `line 5: program is empty. Put the program this person is in: ${SUMMER}, ${EARLY}, all.`,
      `line 7: mentor will@example.org is in this file for ${SUMMER}, not ${EARLY}. Add a row for them with program ${EARLY}: each program has its own rows.`,
      `line 8: coach_email is not used in ${SUMMER}: no task there names that approver. Leave it empty in ${SUMMER}'s rows.`,
      "line 10: ops@example.org is already on line 9 as a coordinator of all programs. Keep that row, or give them one row per program instead of program all.",
      "line 11: A coordinator of all programs has no department: no department is in every program. Leave department empty.",
      "line 12: Has 6 fields but the header has 7. Check for a missing or extra comma; put names with commas in double quotes.",
    ]) {
      // Each once, though every program's parse finds it.
      expect(lines.filter((l) => l === line)).toEqual([line]);
    }
    // Nothing more about the short row, whatever its shifted cells say.
    expect(lines.filter((l) => l.startsWith("line 12:"))).toHaveLength(1);
    const numbers = lines.slice(1).map((l) => Number(/^line (\d+):/.exec(l)![1]));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it("gives a program added later its coordinators of all, and config check checks the file against every program", async () => {
    const shared = join(dir, "programs", "roster.csv");
    const current = readFileSync(shared, "utf8");
    // The rows of a program whose file was removed stay in the file: they stop no other program.
    writeFileSync(shared, `${current}old.timer@example.org,Old Timer,coordinator,,,,ended-program\n`);
    writeFileSync(join(dir, "programs", "city-hall.yml"), readFileSync(join(dir, "programs", `${SUMMER}.yml`), "utf8").replace("name: Summer STEPS", "name: City Hall Fellows"));
    try {
      const app = await start();
      try {
        expect((await app.steps.store.scoped("city-hall").peopleByRole("coordinator")).map((p) => p.email)).toEqual([MARIA]);
        // The refused file's good row went nowhere either.
        expect(await app.steps.store.peopleByEmail("new.coordinator@example.org")).toEqual([]);
      } finally {
        await app.close();
      }
      // The check of the whole file names it, once, though three programs name the file.
      const ended = await cli(["config", "check"]);
      expect(ended.code).toBe(1);
      expect(ended.out.filter((l) => l.includes("ended-program"))).toEqual([`${shared}:${current.trim().split("\n").length + 1} program "ended-program" is not loaded. Use one of: ${SUMMER}, city-hall, ${EARLY}, all.`]);
      writeFileSync(shared, current);
      const checked = await cli(["config", "check"]);
      expect(checked.code).toBe(0);
      expect(checked.out.filter((l) => l.includes("roster.csv"))).toEqual([]);

      // A program the file has nobody for, not even a coordinator of all, is refused.
      writeFileSync(join(dir, "programs", "roster.csv"), readFileSync(join(dir, "programs", "roster.csv"), "utf8").replace(`${MARIA},Maria Delgado,coordinator,,,,all`, `${MARIA},Maria Delgado,coordinator,,,,${SUMMER}`));
      const refused = await cli(["config", "check"]);
      expect(refused.code).toBe(1);
      expect(refused.out).toContain(`${join(dir, "programs", "roster.csv")}: Nobody in this file is in city-hall. Add rows with program city-hall (or all, for a coordinator of every program).`);
    } finally {
      rmSync(join(dir, "programs", "city-hall.yml"));
    }
  });

  it("takes a shared ROSTER_FILE for every program whose file names no roster of its own", async () => {
    const other = mkdtempSync(join(tmpdir(), "steps-shared-roster-file-"));
    try {
      mkdirSync(join(other, "programs"));
      cpSync("programs/badges", join(other, "programs", "badges"), { recursive: true });
      cpSync("programs/summer-steps.yml", join(other, "programs", `${SUMMER}.yml`));
      writeFileSync(join(other, "programs", `${EARLY}.yml`), readFileSync("programs/early-learning.yml", "utf8").replace("  roster: early-learning-roster.csv\n", ""));
      writeFileSync(join(other, "roster.csv"), sharedRoster());
      const { url: otherUrl, dropDb: dropOther } = await throwAwayDatabase(join(other, "data"));
      try {
        const env = readEnv({ PORT: "0", HOST: "127.0.0.1", PROGRAMS: join(other, "programs"), DATA_DIR: join(other, "data"), ROSTER_FILE: join(other, "roster.csv"), ...(otherUrl ? { DATABASE_URL: otherUrl } : {}) });
        const steps = await boot(env, silentLogger, { now: () => START });
        try {
          expect((await steps.store.peopleByEmail(MARIA)).map((p) => p.program)).toEqual([SUMMER, EARLY]);
          expect((await steps.store.peopleByEmail(SARA)).map((p) => p.program)).toEqual([EARLY]);
        } finally {
          await steps.close();
        }
      } finally {
        await dropOther?.();
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
