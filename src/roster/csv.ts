import { parse } from "csv-parse/sync";
import { z } from "zod";
import type { Program, Role } from "../program/program.ts";
import { CONTACTS, type Contact } from "../store.ts";
import { closest } from "../suggest.ts";
import { inEnglish, type Say } from "../i18n.ts";

/**
 * Roster import: a coordinator's spreadsheet export, checked completely
 * before anything is saved. Every problem comes back with its line so the
 * coordinator can fix the whole file in one pass instead of one row per try.
 */
export interface RosterRow {
  line: number;
  email: string;
  name: string;
  role: Role;
  department: string | null;
  mentorEmail: string | null;
  contact: Contact;
  /** The optional language column: the person's language, or null to keep what they chose. */
  language: string | null;
  /** Optional columns: the name in two parts, for an issuer that asks for it so (Credly); null: split from `name`. */
  firstName: string | null;
  lastName: string | null;
  /** An intern's approvers by role beyond the mentor, from the `<role>_email` columns of roles the program's tasks name. */
  approvers: Record<string, string>;
}

export interface RosterError {
  line: number;
  message: string;
}

export type RosterResult = { ok: true; rows: RosterRow[] } | { ok: false; errors: RosterError[] };

/** How a roster shared by programs (a `program` column) is read for one of them. */
export interface Sharing {
  /** The programs loaded: those its rows may name, and whose approver columns (coach_email) it may have. */
  programs: readonly Program[];
  /**
   * Whether the other programs' rows are checked too (importing or checking the whole file), or
   * passed over (seeding one program, `--program`: a row of a program not loaded then stops nothing).
   */
  checkOthers: boolean;
}

const REQUIRED = ["email", "name", "role", "department", "mentor_email"] as const;
/** Columns a file may leave out (a file written before they existed still imports): every person then gets the default. */
const OPTIONAL = ["contact", "language", "first_name", "last_name"] as const;
const COLUMNS = [...REQUIRED, ...OPTIONAL] as const;
/** A shared roster's column: the program each row is in, or ALL for a coordinator of every program. */
const PROGRAM = "program";
const ALL = "all";
type Column = (typeof COLUMNS)[number] | typeof PROGRAM;
const HEADER = REQUIRED.join(",");
const ROLES = ["intern", "mentor", "coordinator"] as const;

/** A "did you mean" for the catalogs' select: ICU cannot choose on an empty value. */
const suggestion = (hint: string | undefined) => ({ suggested: hint ? "yes" : "no", hint: hint ?? "" });

const blankToNull = (value: string) => (value === "" ? null : value);

const emailField = z.string().trim().toLowerCase().pipe(z.email("roster.not_email"));

const rowSchema = z.strictObject({
  email: emailField,
  name: z.string().trim().min(1, "roster.name_empty").max(120, "roster.too_long"),
  role: z.string().trim().toLowerCase().pipe(z.enum(ROLES, "roster.role_invalid")),
  department: z.string().trim().toLowerCase().transform(blankToNull),
  mentor_email: z.string().trim().toLowerCase().transform(blankToNull).pipe(emailField.nullable()),
  // Where Steps writes to them: their chat platform (the default), email instead, or both.
  contact: z
    .string()
    .trim()
    .toLowerCase()
    .transform((v) => (v === "" ? "chat" : v))
    .pipe(z.enum(CONTACTS, "roster.contact_invalid")),
  language: z
    .string()
    .trim()
    .toLowerCase()
    .transform(blankToNull)
    .pipe(z.string().regex(/^[a-z]{2,3}$/, "roster.language_invalid").nullable()),
  first_name: z.string().trim().max(60, "roster.too_long").transform(blankToNull),
  last_name: z.string().trim().max(60, "roster.too_long").transform(blankToNull),
})
  // Half a name would be sent with the other half guessed from `name`: ask for both or neither.
  .refine((r) => (r.first_name === null) === (r.last_name === null), { error: "roster.names_together", path: ["first_name"] });

/**
 * Parses and validates a whole roster file. knownPeople (keyed by lower-case
 * email) lets interns name mentors who are already on the roster. Nothing is
 * returned unless every row is good. A file with a `program` column is shared
 * by several programs: this program's rows are those naming it, and `all`
 * coordinators (see Sharing).
 */
export function parseRoster(
  text: string,
  program: Program,
  knownPeople: Map<string, Role> = new Map(),
  say: Say = inEnglish(),
  sharing: Sharing = { programs: [program], checkOthers: true },
): RosterResult {
  const records = readRecords(text, say);
  if ("error" in records) return { ok: false, errors: [records.error] };
  const [header, ...body] = records.list;
  if (!header) {
    return { ok: false, errors: [{ line: 1, message: say("roster.empty_file", { header: HEADER }) }] };
  }
  // A role a task names as its approver (e.g. coach) is an optional column `coach_email`.
  const roleColumns = program.approverRoles().map((role) => `${role}_email`);
  const sharedColumns = sharing.programs.flatMap((p) => p.approverRoles().map((role) => `${role}_email`)).filter((c) => !roleColumns.includes(c));
  const columns = readHeader(header, roleColumns, sharedColumns, say);
  if ("error" in columns) return { ok: false, errors: [columns.error] };
  if (body.length === 0) {
    return { ok: false, errors: [{ line: header.line, message: say("roster.no_people") }] };
  }

  const errors: RosterError[] = [];
  const rows: RosterRow[] = [];
  const shared = columns.index.has(PROGRAM);
  const ours = shared ? rowsOf(program.id, body, columns.index, sharing, errors, say) : body;
  for (const record of ours) {
    const row = readRow(record, columns.index, program, errors, say);
    // Another program's approver column (coach_email) is empty in this program's rows.
    for (const column of record.cells.length === columns.index.size ? sharedColumns : []) {
      const at = columns.index.get(column as Column);
      if (at !== undefined && (record.cells[at] ?? "").trim() !== "") errors.push({ line: record.line, message: say("roster.column_not_in_program", { column, program: program.id }) });
    }
    if (row) row.approvers = readApprovers(record, columns.index, program, row, errors, say);
    if (row) rows.push(row);
  }
  const mine = new Set(ours);
  const unknown = unknownApprover(program.id, shared ? body.filter((r) => !mine.has(r)) : [], columns.index, say);
  checkAcrossRows(ours, columns.index, knownPeople, errors, unknown, say);
  checkApproversExist(ours, columns.index, program, knownPeople, errors, unknown, say);

  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.line - b.line) };
  return { ok: true, rows };
}

type UnknownApprover = (approver: string, email: string) => string;

/** Why an approver is unknown: nowhere, or in the file for another program only (each program has its own rows). */
function unknownApprover(program: string, others: CsvRecord[], index: Map<Column, number>, say: Say): UnknownApprover {
  const elsewhere = new Map<string, string>();
  for (const record of others) elsewhere.set((record.cells[index.get("email")!] ?? "").trim().toLowerCase(), (record.cells[index.get(PROGRAM)!] ?? "").trim().toLowerCase());
  return (approver, email) => {
    const theirs = elsewhere.get(email);
    return theirs ? say("roster.approver_other_program", { approver, email, program: theirs, here: program }) : say("roster.approver_unknown", { approver, email });
  };
}

/**
 * A shared roster's rows for one program: those naming it, and the
 * coordinators of all. Every row's program is checked here, whichever it
 * names, so each program's import reports the same problems with the column.
 */
function rowsOf(program: string, body: CsvRecord[], index: Map<Column, number>, { programs, checkOthers }: Sharing, errors: RosterError[], say: Say): CsvRecord[] {
  const at = index.get(PROGRAM)!;
  const ids = programs.map((p) => p.id);
  const choices = [...ids, ALL].join(", ");
  return body.filter((record) => {
    const value = (record.cells[at] ?? "").trim().toLowerCase();
    if (!checkOthers && value !== program && value !== ALL) return false;
    const report = (message: string) => errors.push({ line: record.line, message });
    // Its program cannot be told (the cells are shifted): said once, and nobody's row.
    if (record.cells.length !== index.size) {
      report(say("roster.field_count", { fields: record.cells.length, expected: index.size }));
      return false;
    }
    if (value === ALL) {
      const role = (record.cells[index.get("role")!] ?? "").trim().toLowerCase();
      // Kept whatever the role, so a mistyped role is reported too.
      if (role === "intern" || role === "mentor") report(say("roster.program_all_coordinators", { role }));
      // No department is in every program.
      if ((record.cells[index.get("department")!] ?? "").trim() !== "") {
        report(say("roster.program_all_department"));
        return false;
      }
      return true;
    }
    if (value === "") report(say("roster.program_empty", { programs: choices }));
    else if (!ids.includes(value)) report(say("roster.program_unknown", { program: value, ...suggestion(closest(value, ids, 1)[0]), programs: choices }));
    return value === program;
  });
}

interface CsvRecord {
  line: number;
  cells: string[];
}

type RawRecord = { record: string[]; raw: string };

// With `raw: true` csv-parse hands on_record and its result {record, raw},
// which its overloads do not describe.
const parseRaw = parse as (input: string, options: object) => RawRecord[];

function readRecords(text: string, say: Say): { list: CsvRecord[] } | { error: RosterError } {
  // csv-parse miscounts lines on CRLF files, so normalise first; the
  // line numbers then match what the coordinator sees in an editor.
  const normalized = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  let consumed = 0;
  let parsed: RawRecord[];
  try {
    parsed = parseRaw(normalized, {
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      on_record: (record: RawRecord) => {
        consumed += record.raw.length;
        return record;
      },
    });
  } catch (error) {
    // The parser reports where it gave up (often the end of the file); the
    // coordinator needs the line where the broken record starts.
    const line = lineCounter(normalized)(consumed);
    const code = (error as { code?: string }).code ?? "";
    const reason = (error as Error).message.split(":")[0] ?? "invalid CSV";
    const message =
      code === "CSV_QUOTE_NOT_CLOSED" ? say("roster.quote_not_closed") : code.includes("QUOTE") ? say("roster.stray_quote") : say("roster.invalid_csv", { reason });
    return { error: { line, message } };
  }
  const list: CsvRecord[] = [];
  const lineAt = lineCounter(normalized);
  let offset = 0;
  for (const { record, raw } of parsed) {
    // Skipped blank lines are folded into the start of the next record's raw text.
    const line = lineAt(offset);
    offset += raw.length;
    // Spreadsheets export trailing rows of bare commas; they are blank, not people.
    if (record.every((cell) => cell.trim() === "")) continue;
    list.push({ line, cells: record });
  }
  return { list };
}

/**
 * The 1-based line of the first non-blank character at or after an offset.
 * Offsets must not decrease, which keeps a long file linear.
 */
function lineCounter(text: string): (offset: number) => number {
  let line = 1;
  let i = 0;
  return (offset) => {
    for (; i < offset && i < text.length; i++) if (text[i] === "\n") line++;
    let blank = 0;
    for (let j = i; j < text.length && text[j] === "\n"; j++) blank++;
    return line + blank;
  };
}

/** A header cell as a column name: spreadsheets write "Mentor Email" as readily as mentor_email. */
const columnName = (cell: string) => cell.trim().toLowerCase().replace(/\s+/g, "_");

/** Whether a roster is shared by programs: its header has a `program` column. */
export function sharedRoster(text: string): boolean {
  const records = readRecords(text, inEnglish());
  return "list" in records && (records.list[0]?.cells.map(columnName).includes(PROGRAM) ?? false);
}

function readHeader(header: CsvRecord, roleColumns: string[], sharedColumns: string[], say: Say): { index: Map<Column, number> } | { error: RosterError } {
  const index = new Map<Column, number>();
  // Other programs' approver columns belong only in a shared roster.
  const known: string[] = [...COLUMNS, PROGRAM, ...roleColumns, ...(header.cells.map(columnName).includes(PROGRAM) ? sharedColumns : [])];
  const problems: string[] = [];
  const names = header.cells.map(columnName);
  if (names.some((name) => name.includes("@"))) {
    return { error: { line: header.line, message: say("roster.header_first", { header: HEADER }) } };
  }
  names.forEach((name, i) => {
    if (!known.includes(name)) {
      const [hint] = closest(name, known, 1);
      problems.push(say("roster.header_unknown", { column: header.cells[i]?.trim() ?? "", ...suggestion(hint) }));
    } else if (index.has(name as Column)) {
      problems.push(say("roster.header_twice", { column: name }));
    } else {
      index.set(name as Column, i);
    }
  });
  const missing = REQUIRED.filter((c) => !index.has(c));
  if (missing.length > 0) problems.push(say("roster.header_missing", { count: missing.length, columns: missing.join(", ") }));
  if (problems.length > 0) {
    return { error: { line: header.line, message: say("roster.header", { problems: problems.join("; "), header: HEADER, optional: [...OPTIONAL, PROGRAM, ...roleColumns].join(", ") }) } };
  }
  return { index };
}

function readRow(record: CsvRecord, index: Map<Column, number>, program: Program, errors: RosterError[], say: Say): RosterRow | undefined {
  const before = errors.length;
  const report = (message: string) => errors.push({ line: record.line, message });
  if (record.cells.length !== index.size) {
    report(say("roster.field_count", { fields: record.cells.length, expected: index.size }));
    return undefined;
  }
  const cell = (column: Column) => (index.has(column) ? (record.cells[index.get(column)!] ?? "") : "");
  const parsed = rowSchema.safeParse(Object.fromEntries(COLUMNS.map((c) => [c, cell(c)])));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const column = issue.path[0] as Column;
      const value = cell(column).trim();
      const hint = column === "role" ? closest(value, [...ROLES], 1)[0] : column === "contact" ? closest(value, [...CONTACTS], 1)[0] : undefined;
      // The schema's messages are catalog keys; a length's limit comes with its issue.
      report(say(issue.message, { column, value, ...suggestion(hint), max: issue.code === "too_big" ? Number(issue.maximum) : 0 }));
    }
  }
  // The rules below still run on a row with a bad field, so one pass over
  // the errors is enough to fix the whole row.
  const email = cell("email").trim().toLowerCase();
  const role = ROLES.find((r) => r === cell("role").trim().toLowerCase());
  const department = blankToNull(cell("department").trim().toLowerCase());
  const mentorEmail = blankToNull(cell("mentor_email").trim().toLowerCase());
  const slugs = program.file.departments.map((d) => d.slug);
  if (department === null && role !== undefined && role !== "coordinator") {
    report(say("roster.department_required", { role, departments: slugs.join(", ") }));
  } else if (department !== null && program.departmentName(department) === undefined) {
    const [hint] = closest(department, slugs, 1);
    report(say("roster.department_unknown", { department, ...suggestion(hint), departments: slugs.join(", ") }));
  }
  if (role === "intern" && mentorEmail === null) report(say("roster.mentor_required"));
  if (role !== undefined && role !== "intern" && mentorEmail !== null) report(say("roster.only_interns", { column: "mentor_email", role }));
  if (mentorEmail !== null && mentorEmail === email) report(say("roster.own_approver", { approver: "mentor", column: "mentor_email" }));
  if (!parsed.success || errors.length > before) return undefined;
  const data = parsed.data;
  return { line: record.line, email: data.email, name: data.name, role: data.role, department: data.department, mentorEmail: data.mentor_email, contact: data.contact, language: data.language, firstName: data.first_name, lastName: data.last_name, approvers: {} };
}

/** The `<role>_email` cells of a good row: interns only, a real address, not their own. */
function readApprovers(record: CsvRecord, index: Map<Column, number>, program: Program, row: RosterRow, errors: RosterError[], say: Say): Record<string, string> {
  const approvers: Record<string, string> = {};
  for (const role of program.approverRoles()) {
    const column = `${role}_email` as Column;
    const value = (index.has(column) ? (record.cells[index.get(column)!] ?? "") : "").trim().toLowerCase();
    if (value === "") continue;
    const report = (message: string) => errors.push({ line: record.line, message });
    if (row.role !== "intern") report(say("roster.only_interns", { column, role: row.role }));
    else if (!emailField.safeParse(value).success) report(say("roster.not_email", { column, value }));
    else if (value === row.email) report(say("roster.own_approver", { approver: role, column }));
    else approvers[role] = value;
  }
  return approvers;
}

/** Each `<role>_email` names someone in this file or already on the roster, who is not an intern. */
function checkApproversExist(body: CsvRecord[], index: Map<Column, number>, program: Program, knownPeople: Map<string, Role>, errors: RosterError[], unknown: UnknownApprover, say: Say): void {
  const inFile = new Map<string, string>();
  for (const record of body) inFile.set((record.cells[index.get("email")!] ?? "").trim().toLowerCase(), (record.cells[index.get("role")!] ?? "").trim().toLowerCase());
  for (const record of body) {
    for (const role of program.approverRoles()) {
      const column = `${role}_email` as Column;
      if (!index.has(column) || record.cells.length !== index.size) continue;
      const value = (record.cells[index.get(column)!] ?? "").trim().toLowerCase();
      const self = (record.cells[index.get("email")!] ?? "").trim().toLowerCase();
      const own = (record.cells[index.get("role")!] ?? "").trim().toLowerCase();
      // A non-intern's, a malformed or a self-referencing cell was already reported by readApprovers.
      if (value === "" || own !== "intern" || value === self || !emailField.safeParse(value).success) continue;
      const theirs = inFile.get(value) ?? knownPeople.get(value);
      if (theirs === undefined) errors.push({ line: record.line, message: unknown(role, value) });
      else if (theirs === "intern") errors.push({ line: record.line, message: say("roster.approver_intern", { approver: role, email: value }) });
    }
  }
}

/** Checks that need the whole file: duplicates and whether each mentor exists. */
function checkAcrossRows(
  body: CsvRecord[],
  index: Map<Column, number>,
  knownPeople: Map<string, Role>,
  errors: RosterError[],
  unknown: UnknownApprover,
  say: Say,
): void {
  // Roles come from every row that names one, even rows with other problems,
  // so a typo in a mentor's name does not also fail each of their interns.
  const inFile = new Map<string, { line: number; role: Role | undefined; all: boolean }>();
  const ofAll = (record: CsvRecord) => index.has(PROGRAM) && (record.cells[index.get(PROGRAM)!] ?? "").trim().toLowerCase() === ALL;
  for (const record of body) {
    const address = (record.cells[index.get("email")!] ?? "").trim().toLowerCase();
    if (address === "") continue;
    const first = inFile.get(address);
    if (first) {
      // In a shared roster a coordinator of all is in this program already.
      const key = first.all || ofAll(record) ? "roster.duplicate_all" : "roster.duplicate";
      errors.push({ line: record.line, message: say(key, { email: address, first: String(first.line) }) });
      continue;
    }
    const role = (record.cells[index.get("role")!] ?? "").trim().toLowerCase();
    inFile.set(address, { line: record.line, role: ROLES.find((r) => r === role), all: ofAll(record) });
  }
  for (const record of body) {
    const mentor = (record.cells[index.get("mentor_email")!] ?? "").trim().toLowerCase();
    const self = (record.cells[index.get("email")!] ?? "").trim().toLowerCase();
    const role = (record.cells[index.get("role")!] ?? "").trim().toLowerCase();
    // Empty, malformed, self-referencing and non-intern mentors were already reported by readRow.
    if (record.cells.length !== index.size || (role !== "intern" && ROLES.some((r) => r === role)) || mentor === self || !emailField.safeParse(mentor).success) continue;
    const listed = inFile.get(mentor);
    const mentorRole = listed ? listed.role : knownPeople.get(mentor);
    if (!listed && mentorRole === undefined) {
      errors.push({ line: record.line, message: unknown("mentor", mentor) });
    } else if (mentorRole === "intern") {
      errors.push({ line: record.line, message: say("roster.approver_intern", { approver: "mentor", email: mentor }) });
    }
  }
}
