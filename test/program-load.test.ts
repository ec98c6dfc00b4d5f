import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { main } from "../app/main.ts";
import { uncoveredRecords } from "../src/program/coverage.ts";
import { formatProgramErrors, loadProgramFile, parseProgramFile } from "../src/program/load.ts";
import type { ProgramFile } from "../src/program/schema.ts";

const programs = fileURLToPath(new URL("../programs/", import.meta.url));

async function sample(): Promise<ProgramFile> {
  const result = await loadProgramFile(`${programs}summer-steps.yml`);
  if (!result.ok) throw new Error(formatProgramErrors("summer-steps.yml", result.errors));
  return result.file;
}

describe("the sample program", () => {
  it("validates, with its defaults filled in", async () => {
    const file = await sample();
    expect(file.program.name).toBe("Summer STEPS");
    expect(file.program.time_zone).toBe("America/Los_Angeles");
    expect(file.departments).toHaveLength(8);
    expect(file.program.channels.announcements).toEqual({ slack: "#steps-announcements" });
    const steps = file.playlists.find((p) => p.slug === "steps");
    expect(steps?.tasks.find((t) => t.slug === "lunch-and-learn")?.requirement).toEqual({ count: 6 });
    const early = file.playlists.find((p) => p.slug === "early-learning");
    expect(early?.scope).toEqual({ department: "parks-recreation" });
    expect(early?.tasks.map((t) => t.requirement)).toEqual([{ hours: 2 }, { hours: 20 }, { hours: 20 }]);
  });

  it("has a badge image file for every playlist", async () => {
    const file = await sample();
    for (const p of file.playlists) {
      const svg = await readFile(`${programs}${p.badge.image}`, "utf8");
      expect(svg, p.slug).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    }
  });

  it("has every roster department, and every intern's mentor mentors that department", async () => {
    const file = await sample();
    const rows: Record<string, string>[] = parse(await readFile(`${programs}summer-steps-roster.csv`, "utf8"), { columns: true });
    const departments = new Set(file.departments.map((d) => d.slug));
    const mentors = new Map(rows.filter((r) => r.role === "mentor").map((r) => [r.email, r.department]));
    expect(mentors.size).toBe(8);
    for (const row of rows) {
      if (row.role === "coordinator") expect(row.department).toBe("");
      else expect(departments.has(row.department ?? ""), row.email).toBe(true);
      if (row.role === "intern") expect(mentors.get(row.mentor_email ?? ""), row.email).toBe(row.department);
    }
    expect(rows.find((r) => r.email === "grace.oconnor@example.org")?.name).toBe("O'Connor, Grace");
  });
});

// Line numbers in the assertions below are the lines of this text.
const malformed = `program:
  name: Broken
  time_zone: Mars/Olympus
  start: 2026-06-15
  end: 2026-08-07
departments:
  - slug: parks
    name: Parks
playlists:
  - slug: Parks_Basics
    title: Parks basics
    scope: { department: fire }
    badge:
      name: Parks
      image: badges/parks.svg
      criteria: Did the parks tasks.
    tasks:
      - slug: tree-count
        title: Count trees
      - slug: tree-count
        title: Count more trees
`;

describe("a malformed program file", () => {
  it("reports every mistake at once, each on its line", () => {
    const result = parseProgramFile(malformed, "broken.yml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      { line: 1, path: "program.organization", message: 'missing required field "organization"' },
      { line: 3, path: "program.time_zone", message: "not an IANA time zone, e.g. America/Los_Angeles" },
      { line: 10, path: "playlists[0].slug", message: "use lower-case letters, digits and single hyphens, e.g. interview-staff" },
      { line: 12, path: "playlists[0].scope.department", message: 'no department "fire" in departments' },
      {
        line: 20,
        path: "playlists[0].tasks[1].slug",
        message: 'task "tree-count" is already in playlist "Parks_Basics"; task slugs must be unique',
      },
    ]);
    expect(formatProgramErrors("broken.yml", result.errors).split("\n")[1]).toBe(
      "broken.yml:3 program.time_zone: not an IANA time zone, e.g. America/Los_Angeles",
    );
  });

  it("rejects unknown keys on their own line", () => {
    const text = malformed
      .replace("  name: Broken\n", "  name: Broken\n  organization: City\n")
      .replace("time_zone: Mars/Olympus", "time_zone: America/Los_Angeles")
      .replace("Parks_Basics", "parks-basics")
      .replace("{ department: fire }", "{ department: parks }")
      .replace("title: Count more trees", "title: Count more trees\n        colour: green\n        hours: 3")
      .replace("- slug: tree-count\n        title: Count more", "- slug: tree-survey\n        title: Count more");
    const result = parseProgramFile(text, "broken.yml");
    expect(result.ok ? [] : result.errors).toEqual([
      { line: 23, path: "playlists[0].tasks[1].colour", message: 'unknown key "colour"' },
      { line: 24, path: "playlists[0].tasks[1].hours", message: 'unknown key "hours"' },
    ]);
  });

  it("rejects dates that are not on the calendar, in `steps config check`", async () => {
    const text = malformed
      .replace("  name: Broken\n", "  name: Broken\n  organization: City\n")
      .replace("time_zone: Mars/Olympus", "time_zone: America/Los_Angeles")
      .replace("start: 2026-06-15", "start: 2026-02-29")
      .replace("end: 2026-08-07", "end: 2026-13-45")
      .replace("Parks_Basics", "parks-basics")
      .replace("{ department: fire }", "{ department: parks }")
      .replace("- slug: tree-count\n        title: Count more", "- slug: tree-survey\n        title: Count more")
      .concat(
        "events:\n  dated:\n",
        '    - { slug: visit, title: Visit, at: "2026-02-30 10:00" }\n',
        '    - { slug: talk, title: Talk, at: "2026-04-31T09:00" }\n',
        '    - { slug: walk, title: Walk, at: "2026-4-3 09:00" }\n',
        '    - { slug: leap, title: Leap day, at: "2028-02-29 09:00" }\n',
      );
    const dir = await mkdtemp(join(tmpdir(), "steps-dates-"));
    try {
      await writeFile(join(dir, "dates.yml"), text);
      const lines: string[] = [];
      expect(await main(["config", "check", join(dir, "dates.yml")], (s) => lines.push(s))).toBe(1);
      expect(lines.join("\n").replaceAll(dir, "DIR").split("\n")).toEqual([
        "DIR/dates.yml:5 program.start: no such date; use a real month and day, e.g. 2026-06-30",
        "DIR/dates.yml:6 program.end: no such date; use a real month and day, e.g. 2026-06-30",
        "DIR/dates.yml:25 events.dated[0].at: no such date; use a real month and day, e.g. 2026-06-17 18:00",
        "DIR/dates.yml:26 events.dated[1].at: no such date; use a real month and day, e.g. 2026-06-17 18:00",
        "DIR/dates.yml:27 events.dated[2].at: use YYYY-MM-DD HH:MM in the program's time zone",
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("points a missing nested field at its parent's key", () => {
    const result = parseProgramFile(malformed.replace("      criteria: Did the parks tasks.\n", ""), "broken.yml");
    expect(result.ok ? [] : result.errors).toContainEqual({
      line: 13,
      path: "playlists[0].badge.criteria",
      message: 'missing required field "criteria"',
    });
  });

  it("takes channel ids under any platform's name, and reports a malformed name or an empty id", () => {
    const program = (channels: string) =>
      `program:\n  name: A\n  organization: City\n  time_zone: America/Los_Angeles\n  start: 2026-06-15\n  end: 2026-08-07\n  channels:\n${channels}` +
      "departments: [{ slug: parks, name: Parks }]\n" +
      "playlists: [{ slug: p, title: P, scope: program, badge: { name: B, image: b.svg, criteria: c }, tasks: [{ slug: t, title: T }] }]\n";
    const good = parseProgramFile(program('    announcements: { slack: C0123, teams: "19:abc@thread.tacv2", discord: "42" }\n'), "good.yml");
    expect(good.ok && good.file.program.channels).toEqual({ announcements: { slack: "C0123", teams: "19:abc@thread.tacv2", discord: "42" }, coordinators: {} });
    const bad = parseProgramFile(program('    coordinators:\n      Google Chat: spaces/1\n      email: ""\n'), "bad.yml");
    expect(bad.ok ? [] : bad.errors).toEqual([
      { line: 9, path: "program.channels.coordinators.Google Chat", message: "use the platform's name in lower-case letters, digits and hyphens" },
      { line: 10, path: "program.channels.coordinators.email", message: "give the channel's id on that platform" },
    ]);
  });

  it("reports YAML syntax errors with their line", () => {
    const text = "program:\n  name: Broken\n  start: [2026-06-15\ndepartments: []\n";
    const result = parseProgramFile(text, "broken.yml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.line, e.path])).toEqual([[4, ""]]);
    expect(result.errors[0]?.message).toMatch(/flow sequence/i);
  });

  it("reports a repeated key instead of keeping the last one", () => {
    const result = parseProgramFile("program:\n  name: A\n  name: B\n", "broken.yml");
    expect(result.ok ? [] : result.errors).toEqual([{ line: 3, path: "", message: "Map keys must be unique" }]);
  });

  it("reports a missing or empty file without a line", async () => {
    const missing = await loadProgramFile(`${programs}no-such-program.yml`);
    expect(missing).toEqual({ ok: false, errors: [{ line: null, path: "", message: `no program file at ${programs}no-such-program.yml` }] });
    const empty = parseProgramFile("# nothing yet\n", "empty.yml");
    expect(empty.ok ? "" : formatProgramErrors("empty.yml", empty.errors)).toBe(
      "empty.yml empty.yml is empty; it needs program, departments and playlists",
    );
  });
});

describe("records an edited program no longer covers", () => {
  it("names renamed, moved and removed tasks and removed playlists, and nothing else", async () => {
    const file = await sample();
    const edited: ProgramFile = {
      ...file,
      playlists: file.playlists
        .filter((p) => p.slug !== "civic-data")
        .map((p) => {
          if (p.slug === "steps") {
            // interview-staff renamed, site-visits moved to public-works.
            const tasks = p.tasks
              .filter((t) => t.slug !== "site-visits")
              .map((t) => (t.slug === "interview-staff" ? { ...t, slug: "staff-interview" } : t));
            return { ...p, tasks };
          }
          if (p.slug === "public-works") return { ...p, tasks: [...p.tasks, { ...file.playlists[0]!.tasks[3]! }] };
          return p;
        }),
    };
    expect(edited.playlists.find((p) => p.slug === "public-works")?.tasks.at(-1)?.slug).toBe("site-visits");

    const lines = uncoveredRecords(edited, [
      { playlist: "steps", task: "interview-staff", count: 3 },
      { playlist: "steps", task: "lunch-and-learn", count: 40 },
      { playlist: "steps", task: "site-visits", count: 1 },
      { playlist: "civic-data", task: "data-question", count: 2 },
      { playlist: "public-works", task: "traffic-count", count: 5 },
      { playlist: "steps", task: "interview-staff", count: 2 },
    ]);
    expect(lines).toEqual([
      '2 records for task "data-question" in playlist "civic-data": the program file no longer has this playlist (kept, not deleted)',
      '5 records for task "interview-staff" in playlist "steps": the program file no longer has this task (kept, not deleted)',
      '1 record for task "site-visits" in playlist "steps": the program file moved this task to playlist "public-works" (kept, not deleted)',
    ]);
  });

  it("is empty when the file still covers everything", async () => {
    const file = await sample();
    expect(uncoveredRecords(file, [{ playlist: "early-learning", task: "field-hours", count: 12 }])).toEqual([]);
  });
});
