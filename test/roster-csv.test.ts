import { describe, expect, it } from "vitest";
import { createProgram, type Role } from "../src/program/program.ts";
import { programFileSchema } from "../src/program/schema.ts";
import { parseRoster } from "../src/roster/csv.ts";

const program = createProgram(
  programFileSchema.parse({
    program: { name: "Summer Works", organization: "City of Example", time_zone: "America/Los_Angeles", start: "2026-06-15", end: "2026-08-21" },
    departments: [
      { slug: "planning", name: "Planning" },
      { slug: "parks", name: "Parks and Recreation" },
    ],
    playlists: [
      {
        slug: "onboarding",
        title: "Onboarding",
        scope: "program",
        badge: { name: "Ready to Work", image: "badges/onboarding.png", criteria: "Finished onboarding." },
        tasks: [{ slug: "interview-staff", title: "Interview a staff member" }],
      },
    ],
  }),
);

const HEADER = "email,name,role,department,mentor_email";

describe("parseRoster", () => {
  it("reads a good file", () => {
    const text = [
      HEADER,
      "Mia.Lopez@Example.gov , Mia Lopez ,Mentor,Planning,",
      "sam@example.org,Sam Lee,intern,planning,mia.lopez@example.gov",
      "cora@example.gov,Cora Diaz,coordinator,,",
      "",
    ].join("\n");
    expect(parseRoster(text, program)).toEqual({
      ok: true,
      rows: [
        { line: 2, email: "mia.lopez@example.gov", name: "Mia Lopez", role: "mentor", department: "planning", mentorEmail: null, contact: "chat", language: null, firstName: null, lastName: null, approvers: {} },
        { line: 3, email: "sam@example.org", name: "Sam Lee", role: "intern", department: "planning", mentorEmail: "mia.lopez@example.gov", contact: "chat", language: null, firstName: null, lastName: null, approvers: {} },
        { line: 4, email: "cora@example.gov", name: "Cora Diaz", role: "coordinator", department: null, mentorEmail: null, contact: "chat", language: null, firstName: null, lastName: null, approvers: {} },
      ],
    });
  });

  it("accepts columns in any order and an intern listed before their mentor", () => {
    const text = "Role,Mentor Email,EMAIL,Name,Department\nintern,mia@example.gov,sam@example.org,Sam,parks\nmentor,,mia@example.gov,Mia,parks\n";
    const result = parseRoster(text, program);
    expect(result).toEqual({
      ok: true,
      rows: [
        { line: 2, email: "sam@example.org", name: "Sam", role: "intern", department: "parks", mentorEmail: "mia@example.gov", contact: "chat", language: null, firstName: null, lastName: null, approvers: {} },
        { line: 3, email: "mia@example.gov", name: "Mia", role: "mentor", department: "parks", mentorEmail: null, contact: "chat", language: null, firstName: null, lastName: null, approvers: {} },
      ],
    });
  });

  it("reports every bad row with its line and returns no rows", () => {
    const text = [
      HEADER, // 1
      "mia@example.gov,Mia,mentor,parks,", // 2 fine
      "not-an-email,,intren,zoo,", // 3
      "", // 4 blank, skipped but counted
      "sam@example.org,Sam,intern,plannng,sam@example.org", // 5
      "SAM@example.org,Sam Again,intern,parks,nobody@example.org", // 6
      "ana@example.org,Ana,intern,parks,", // 7
      "ben@example.org,Ben,intern,parks,ana@example.org", // 8
      "lee@example.org,Lee,mentor,,cora@example.gov", // 9
      "kim@example.org,Kim,intern", // 10
      `long@example.org,${"x".repeat(121)},coordinator,,`, // 11
      "cora@example.gov,Cora,coordinator,,", // 12 fine
    ].join("\n");
    const result = parseRoster(text, program);
    expect(result).toEqual({
      ok: false,
      errors: [
        { line: 3, message: 'email "not-an-email" is not an email address.' },
        { line: 3, message: `name "" is empty; add the person's name.` },
        { line: 3, message: 'role "intren" must be intern, mentor or coordinator. Did you mean intern?' },
        { line: 3, message: 'department "zoo" is not in the program. Use one of: planning, parks.' },
        { line: 5, message: 'department "plannng" is not in the program. Did you mean planning? Use one of: planning, parks.' },
        { line: 5, message: "A person cannot be their own mentor. Put their mentor's email in mentor_email." },
        { line: 6, message: "sam@example.org is already on line 5. Keep one row per person." },
        { line: 6, message: "mentor nobody@example.org is not in this file or on the roster. Add a row for them with role mentor." },
        { line: 7, message: "mentor_email is required for interns. Add their mentor's email." },
        { line: 8, message: "mentor ana@example.org is an intern. Use a mentor's or coordinator's email." },
        { line: 9, message: "department is required for mentors. Use one of: planning, parks." },
        { line: 9, message: "mentor_email is only for interns; leave it empty for mentors." },
        {
          line: 10,
          message: "Has 3 fields but the header has 5. Check for a missing or extra comma; put names with commas in double quotes.",
        },
        { line: 11, message: `name "${"x".repeat(121)}" is longer than 120 characters.` },
      ],
    });
  });

  it("keeps a quoted comma inside the field", () => {
    const text = `${HEADER}\nmia@example.gov,"Lopez, Mia ""Mimi""",mentor,parks,\n`;
    const result = parseRoster(text, program);
    expect(result.ok && result.rows.map((r) => r.name)).toEqual(['Lopez, Mia "Mimi"']);
  });

  it("counts lines from where a multi-line quoted field starts", () => {
    const text = `${HEADER}\nmia@example.gov,"Mia\nLopez",mentor,parks,\nbad,Ben,mentor,parks,\n`;
    expect(parseRoster(text, program)).toEqual({ ok: false, errors: [{ line: 4, message: 'email "bad" is not an email address.' }] });
  });

  it("accepts a byte-order mark and CRLF line endings, with the same line numbers", () => {
    const text = `\uFEFF${HEADER}\r\nmia@example.gov,Mia,mentor,parks,\r\n\r\nsam@example.org,Sam,intern,parks,mia@example.gov\r\nbad,Ben,mentor,parks,\r\n`;
    const result = parseRoster(text, program);
    expect(result).toEqual({ ok: false, errors: [{ line: 5, message: 'email "bad" is not an email address.' }] });
    const fixed = parseRoster(text.replace("bad,", "ben@example.org,"), program);
    expect(fixed.ok && fixed.rows.map((r) => [r.line, r.email])).toEqual([
      [2, "mia@example.gov"],
      [4, "sam@example.org"],
      [5, "ben@example.org"],
    ]);
  });

  it("skips the blank rows spreadsheets add at the end", () => {
    const text = `${HEADER}\nmia@example.gov,Mia,mentor,parks,\n,,,,\n , , , , \n`;
    const result = parseRoster(text, program);
    expect(result.ok && result.rows.length).toBe(1);
  });

  it("lets an intern name a mentor who is already on the roster", () => {
    const known = new Map<string, Role>([
      ["mia@example.gov", "mentor"],
      ["old-intern@example.org", "intern"],
    ]);
    const text = `${HEADER}\nsam@example.org,Sam,intern,parks,Mia@Example.gov\nben@example.org,Ben,intern,parks,old-intern@example.org\n`;
    expect(parseRoster(text, program, known)).toEqual({
      ok: false,
      errors: [{ line: 3, message: "mentor old-intern@example.org is an intern. Use a mentor's or coordinator's email." }],
    });
    const good = parseRoster(`${HEADER}\nsam@example.org,Sam,intern,parks,mia@example.gov\n`, program, known);
    expect(good.ok && good.rows[0]?.mentorEmail).toBe("mia@example.gov");
  });

  it("lets the file change a known person's role", () => {
    const known = new Map<string, Role>([["mia@example.gov", "mentor"]]);
    const text = `${HEADER}\nmia@example.gov,Mia,intern,parks,cora@example.gov\ncora@example.gov,Cora,coordinator,,\nsam@example.org,Sam,intern,parks,mia@example.gov\n`;
    expect(parseRoster(text, program, known)).toEqual({
      ok: false,
      errors: [{ line: 4, message: "mentor mia@example.gov is an intern. Use a mentor's or coordinator's email." }],
    });
  });

  it("refuses an unknown column", () => {
    const text = `${HEADER},phone\nmia@example.gov,Mia,mentor,parks,,555-0100\n`;
    expect(parseRoster(text, program)).toEqual({
      ok: false,
      errors: [{ line: 1, message: 'Header: unknown column "phone". Use exactly these columns, in any order: email,name,role,department,mentor_email (and optionally contact, language, first_name, last_name, program).' }],
    });
  });

  it("suggests the column meant and names missing ones", () => {
    const text = "email,name,role,departmnt\nmia@example.gov,Mia,mentor,parks\n";
    expect(parseRoster(text, program)).toEqual({
      ok: false,
      errors: [
        {
          line: 1,
          message:
            'Header: unknown column "departmnt" (did you mean department?); missing columns department, mentor_email. Use exactly these columns, in any order: email,name,role,department,mentor_email (and optionally contact, language, first_name, last_name, program).',
        },
      ],
    });
  });

  it("refuses a repeated column", () => {
    const text = `${HEADER},email\n`;
    expect(parseRoster(text, program)).toEqual({
      ok: false,
      errors: [{ line: 1, message: "Header: column email appears twice. Use exactly these columns, in any order: email,name,role,department,mentor_email (and optionally contact, language, first_name, last_name, program)." }],
    });
  });

  it("refuses a file without a header", () => {
    const text = "mia@example.gov,Mia,mentor,parks,\nsam@example.org,Sam,intern,parks,mia@example.gov\n";
    expect(parseRoster(text, program)).toEqual({
      ok: false,
      errors: [{ line: 1, message: "The first line must be the header: email,name,role,department,mentor_email. Add it above the first person." }],
    });
  });

  it.each(["", "\uFEFF", "\n\n", "\r\n"])("refuses an empty file %j", (text) => {
    expect(parseRoster(text, program)).toEqual({
      ok: false,
      errors: [{ line: 1, message: "The file is empty. Put the header email,name,role,department,mentor_email on line 1, then one row per person." }],
    });
  });

  it("refuses a header with no people", () => {
    expect(parseRoster(`${HEADER}\r\n`, program)).toEqual({
      ok: false,
      errors: [{ line: 1, message: "The file has a header but no people. Add one row per person under it." }],
    });
  });

  it("reports a CSV syntax error at the line where the broken row starts", () => {
    const text = `${HEADER}\nmia@example.gov,Mia,mentor,parks,\n\nsam@example.org,"Sam,intern,parks,mia@example.gov\nben@example.org,Ben,intern,parks,mia@example.gov\n`;
    expect(parseRoster(text, program)).toEqual({
      ok: false,
      errors: [{ line: 4, message: 'A quote opened on this line is never closed. Close it, or remove the stray " character.' }],
    });
  });

  it("reports a stray quote inside a field with its line", () => {
    const text = `${HEADER}\nmia@example.gov,Mia,mentor,parks,\nsam@example.org,Sam "Sammy" Lee,intern,parks,mia@example.gov\n`;
    expect(parseRoster(text, program)).toEqual({
      ok: false,
      errors: [{ line: 3, message: 'A field on this line has a " in it. Put the whole field in double quotes and double the quote, e.g. "Sam ""Sammy"" Lee".' }],
    });
  });
  it("reads the optional contact column: chat, email or both, chat when empty, and suggests a fix for anything else", () => {
    const text = [
      `${HEADER},contact`,
      "mia@example.gov,Mia,mentor,parks,,Email",
      "sam@example.org,Sam,intern,parks,mia@example.gov,",
      "cora@example.gov,Cora,coordinator,,,both",
    ].join("\n");
    const parsed = parseRoster(text, program);
    expect(parsed.ok && parsed.rows.map((r) => r.contact)).toEqual(["email", "chat", "both"]);
    expect(parseRoster(`${HEADER},contact\nmia@example.gov,Mia,mentor,parks,,emial`, program)).toEqual({
      ok: false,
      errors: [{ line: 2, message: 'contact "emial" must be chat, email or both. Did you mean email?' }],
    });
  });
  it("reads the name in two parts when given, for an issuer that wants it so (Credly)", () => {
    const text = `${HEADER},first_name,last_name\nsam@example.org,María José García,mentor,planning,,María José,García\nlee@example.org,Lee Park,mentor,planning,,,\n`;
    const result = parseRoster(text, program);
    expect(result.ok && result.rows.map((r) => [r.firstName, r.lastName])).toEqual([
      ["María José", "García"],
      [null, null],
    ]);
  });

  it("refuses half a name: first_name without last_name, or the other way round", () => {
    const text = `${HEADER},first_name,last_name\nsam@example.org,Sam Lee,mentor,planning,,Sam,\nlee@example.org,Lee Park,mentor,planning,,,Park\n`;
    expect(parseRoster(text, program)).toEqual({
      ok: false,
      errors: [
        { line: 2, message: 'first_name "Sam" and last_name go together: fill both, or leave both empty and name is split.' },
        { line: 3, message: 'first_name "" and last_name go together: fill both, or leave both empty and name is split.' },
      ],
    });
  });
});
