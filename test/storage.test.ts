import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDb } from "../db/client.ts";
import { createStore } from "../db/store.ts";
import { importRoster } from "../src/domain/roster.ts";
import { copyPgliteTemplate, freshDb, resetDb } from "./support/db.ts";
import { rosterCsv, testProgram } from "./support/program.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("storage", () => {
  it("keeps data across a restart", async () => {
    // PGlite on disk, or the same PostgreSQL database opened twice.
    const dir = mkdtempSync(join(tmpdir(), "steps-db-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    if (!process.env.DATABASE_URL) copyPgliteTemplate(dir);
    const first = process.env.DATABASE_URL ? await freshDb() : await createDb(undefined, { dataDir: dir });
    const url = "url" in first ? (first.url as string | undefined) : undefined;
    await importRoster(createStore(first.db), testProgram(), rosterCsv);
    const ana = await createStore(first.db).personByEmail("ana@example.org");
    await createStore(first.db).createSubmission({ personId: ana!.id, playlist: "steps", task: "lunch-and-learn", units: 1, isOnce: false, note: "n", link: null, createdAt: new Date() });
    if (url) {
      // Reopen with a second client before the first (which drops the database) closes.
      const again = await createDb(url);
      expect(await createStore(again.db).submissionsOf(ana!.id)).toHaveLength(1);
      await again.close();
      await first.close();
      return;
    }
    await first.close();
    const again = await createDb(undefined, { dataDir: dir });
    cleanups.push(() => again.close());
    const store = createStore(again.db);
    expect((await store.personByEmail("ANA@example.org"))?.name).toBe("Ana Intern");
    expect(await store.submissionsOf(ana!.id)).toHaveLength(1);
  });

  it("gives settings back as they were set, a string that reads as a number included", async () => {
    const store = createStore((await resetDb()).db);
    // An installation id is random hex: "123456" or "1e999" happen.
    for (const value of ["123456", "1e999", "0e12", "true", "abc", 42, { a: "1" }, [1, "2"]]) {
      expect(await store.initSetting(`s:${JSON.stringify(value)}`, value)).toEqual(value);
      expect(await store.getSetting(`s:${JSON.stringify(value)}`)).toEqual(value);
    }
    await store.setSetting("s:changed", "007");
    expect(await store.getSetting("s:changed")).toBe("007");
  });

  it("enforces one person per email, one decision per submission and one award per playlist", async () => {
    const store = createStore((await resetDb()).db);
    await importRoster(store, testProgram(), rosterCsv);
    const ana = (await store.personByEmail("ana@example.org"))!;
    const max = (await store.personByEmail("max@example.org"))!;
    const s = await store.createSubmission({ personId: ana.id, playlist: "fire", task: "station-tour", units: 1, isOnce: true, note: null, link: null, createdAt: new Date() });
    const d = { submissionId: s.id, decision: "approved" as const, deciderId: max.id, reason: null, decidedAt: new Date() };
    expect(await store.decide(d)).toBeDefined();
    expect(await store.decide({ ...d, decision: "changes_requested" })).toBeUndefined();
    const award = { id: "a1", personId: ana.id, playlist: "fire", awardedAt: new Date(), evidence: [] };
    expect(await store.createAward(award)).toBeDefined();
    expect(await store.createAward({ ...award, id: "a2" })).toBeUndefined();
    const result = await store.upsertPeople([{ email: "ana@example.org", name: "Ana I.", role: "intern", department: "fire", mentorEmail: null }]);
    expect(result).toEqual({ inserted: 0, updated: 1 });
    expect(await store.peopleByRole("intern")).toHaveLength(3);
  });
});

describe("transactions", () => {
  const submission = { playlist: "steps", task: "lunch-and-learn", units: 1, isOnce: false, note: null, link: null, createdAt: new Date() };

  it("keep nothing when a statement fails, even if the error was caught inside", async () => {
    const store = createStore((await resetDb()).db);
    const attempt = store.transaction(async (tx) => {
      await tx.setSetting("half-done", true);
      // No such person: the insert fails, and the server aborts the transaction whatever the code does.
      await tx.createSubmission({ ...submission, personId: 999_999 }).catch(() => {});
      return "done";
    });
    await expect(attempt).rejects.toThrow();
    expect(await store.getSetting("half-done")).toBeUndefined();
  });
});

describe("roster import", () => {
  it("reports every bad row and imports nothing", async () => {
    const store = createStore((await resetDb()).db);
    const bad = `email,name,role,department,mentor_email
ok@example.org,Ok Person,coordinator,,
not-an-email,Someone,intern,fire,ok@example.org
x@example.org,X,wizard,fire,
`;
    await expect(importRoster(store, testProgram(), bad)).rejects.toMatchObject({ code: "bad_roster", details: { errors: [expect.objectContaining({ line: 3 }), expect.objectContaining({ line: 4 })] } });
    expect(await store.peopleByRole("coordinator")).toHaveLength(0);
  });

  it("re-importing is an idempotent upsert and mentors may come after their interns", async () => {
    const store = createStore((await resetDb()).db);
    const reversed = [rosterCsv.split("\n")[0], ...rosterCsv.trim().split("\n").slice(1).reverse()].join("\n");
    expect(await importRoster(store, testProgram(), reversed)).toEqual({ inserted: 6, updated: 0 });
    expect(await importRoster(store, testProgram(), rosterCsv)).toEqual({ inserted: 0, updated: 6 });
    const ana = (await store.personByEmail("ana@example.org"))!;
    expect(ana.mentorId).toBe((await store.personByEmail("max@example.org"))!.id);
    expect(await store.peopleByRole("intern")).toHaveLength(3);
  });
});
