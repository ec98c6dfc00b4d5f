import { StepsError } from "../errors.ts";
import type { Program } from "../program/program.ts";
import { inEnglish, type Say } from "../i18n.ts";
import { parseRoster } from "../roster/csv.ts";
import type { Store } from "../store.ts";

/**
 * Imports a roster CSV: every row is checked before anything is written, and
 * a re-import updates the program's people in place (keyed by lower-cased email).
 * `say`: the words of the coordinator importing it (the terminal's language at the command line).
 */
export async function importRoster(all: Store, program: Program, csv: string, say: Say = inEnglish()) {
  // A roster is one program's: who is known, and whom it updates, is that program's people.
  const store = all.scoped(program.id);
  const known = new Map<string, "intern" | "mentor" | "coordinator">();
  for (const role of ["mentor", "coordinator"] as const) for (const p of await store.peopleByRole(role)) known.set(p.email, role);
  const parsed = parseRoster(csv, program, known, say);
  if (!parsed.ok) {
    const lines = parsed.errors.map((e) => say("roster.line", { line: String(e.line), message: e.message }));
    // Counted by line: a row with three problems is one row to fix.
    const rows = new Set(parsed.errors.map((e) => e.line)).size;
    throw new StepsError("bad_roster", [say("roster.bad_rows", { count: rows }), ...lines].join("\n"), { errors: parsed.errors });
  }
  return store.transaction((tx) =>
    tx.upsertPeople(parsed.rows.map((r) => ({ email: r.email, name: r.name, role: r.role, department: r.department, mentorEmail: r.mentorEmail, approvers: r.approvers, contact: r.contact, language: r.language, firstName: r.firstName, lastName: r.lastName }))),
  );
}
