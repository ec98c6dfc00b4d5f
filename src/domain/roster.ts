import { StepsError } from "../errors.ts";
import type { Program, Role } from "../program/program.ts";
import { inEnglish, type Say } from "../i18n.ts";
import { parseRoster, sharedRoster, type RosterError, type RosterRow, type Sharing } from "../roster/csv.ts";
import type { Store } from "../store.ts";

export interface Imported {
  program: string;
  inserted: number;
  updated: number;
}

/**
 * Imports a roster CSV into one program: every row is checked before anything
 * is written, and a re-import updates the program's people in place (keyed by
 * lower-cased email). A shared roster (a `program` column) gives this program
 * its own rows and the coordinators of all; the other programs' rows are
 * passed over (`programs`: those loaded, whose approver columns it may have).
 * `say`: the words of the coordinator importing it.
 */
export async function importRoster(all: Store, program: Program, csv: string, say: Say = inEnglish(), programs: readonly Program[] = [program]) {
  const rows = await parse(all, [program], csv, say, { programs, checkOthers: false });
  if (rows[0]!.rows.length === 0) throw new StepsError("bad_roster", say("roster.none_for_program", { program: program.id }), { errors: [] });
  const [result] = await write(all, rows);
  return { inserted: result!.inserted, updated: result!.updated };
}

/**
 * Imports a roster CSV into every program it names: a shared roster's rows
 * each into their program, its coordinators of all into every program; a
 * roster without a `program` column into the first program. All checked
 * before anything is written, and written in one transaction.
 */
export async function importRosterFile(all: Store, programs: readonly Program[], csv: string, say: Say = inEnglish()): Promise<Imported[]> {
  const into = sharedRoster(csv) ? programs : programs.slice(0, 1);
  return write(all, (await parse(all, into, csv, say, { programs, checkOthers: true })).filter((p) => p.rows.length > 0));
}

async function parse(all: Store, into: readonly Program[], csv: string, say: Say, sharing: Sharing) {
  const parsed: { program: Program; rows: RosterRow[] }[] = [];
  // A problem with a row's program is found by each program's parse: listed once.
  const errors = new Map<string, RosterError>();
  for (const program of into) {
    // Who is known, and whom it updates, is each program's own people.
    const store = all.scoped(program.id);
    const known = new Map<string, Role>();
    for (const role of ["mentor", "coordinator"] as const) for (const p of await store.peopleByRole(role)) known.set(p.email, role);
    const result = parseRoster(csv, program, known, say, sharing);
    if (result.ok) parsed.push({ program, rows: result.rows });
    else for (const e of result.errors) errors.set(`${e.line}\n${e.message}`, e);
  }
  if (errors.size > 0) {
    const list = [...errors.values()].sort((a, b) => a.line - b.line);
    const lines = list.map((e) => say("roster.line", { line: String(e.line), message: e.message }));
    // Counted by line: a row with three problems is one row to fix.
    const rows = new Set(list.map((e) => e.line)).size;
    throw new StepsError("bad_roster", [say("roster.bad_rows", { count: rows }), ...lines].join("\n"), { errors: list });
  }
  return parsed;
}

function write(all: Store, parsed: { program: Program; rows: RosterRow[] }[]): Promise<Imported[]> {
  return all.transaction(async (tx) => {
    const results: Imported[] = [];
    for (const { program, rows } of parsed) {
      const counts = await tx.scoped(program.id).upsertPeople(rows.map((r) => ({ email: r.email, name: r.name, role: r.role, department: r.department, mentorEmail: r.mentorEmail, approvers: r.approvers, contact: r.contact, language: r.language, firstName: r.firstName, lastName: r.lastName })));
      results.push({ program: program.id, ...counts });
    }
    return results;
  });
}
