import { afterEach, describe, expect, it } from "vitest";
import { buildDigest, digestMessage } from "../src/domain/digest.ts";
import { toPlainText } from "../src/messages.ts";
import { queriesRun } from "./support/db.ts";
import { harness, type Harness } from "./support/harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function cohort(size: number) {
  h = await harness();
  const rows = Array.from({ length: size }, (_, i) => `intern${i}@example.org,Intern ${i},intern,${i % 2 ? "fire" : "public-works"},${i % 2 ? "fay" : "max"}@example.org`);
  await h.store.upsertPeople(
    rows.map((r) => {
      const [email, name, , department, mentorEmail] = r.split(",");
      return { email: email!, name: name!, role: "intern" as const, department: department!, mentorEmail: mentorEmail! };
    }),
  );
  const max = await h.person("max@example.org");
  for (let i = 0; i < size; i += 2) {
    const intern = (await h.store.personByEmail(`intern${i}@example.org`))!;
    const r = await h.core.done(intern, "safety-walk", null, null);
    if (i % 4 === 0) await h.core.decide(max, r.submission.id, "approved", null);
  }
}

async function count(fn: () => Promise<unknown>): Promise<number> {
  const before = queriesRun();
  await fn();
  return queriesRun() - before;
}

describe("query counts do not grow with the cohort", () => {
  it("progress and digest", async () => {
    const counts: { progress: number; digest: number; pending: number }[] = [];
    for (const size of [4, 40]) {
      await cohort(size);
      const intern = (await h.store.personByEmail("intern0@example.org"))!;
      const max = await h.person("max@example.org");
      counts.push({
        progress: await count(() => h.core.progressOf(intern)),
        digest: await count(() => buildDigest(h.program, h.store, new Date("2026-07-01T17:00:00Z"))),
        pending: await count(() => h.core.pendingFor(max)),
      });
      await h.close();
    }
    expect(counts[0]!.progress).toBeGreaterThan(0);
    expect(counts[1]).toEqual(counts[0]);
  });

  it("the digest lists waiting approvals, quiet interns and badges", async () => {
    await cohort(4);
    const d = await buildDigest(h.program, h.store, new Date("2026-07-01T17:00:00Z"));
    const pw = d.departments.find((x) => x.slug === "public-works")!;
    expect(pw.interns).toBe(4);
    expect(d.staleApprovals.map((s) => s.intern.email)).toEqual(["intern2@example.org"]);
    expect(d.staleApprovals[0]!.mentor?.name).toBe("Max Mentor");
    expect(d.inactive.map((i) => i.intern.email)).toContain("intern1@example.org");
    const text = toPlainText(digestMessage(h.program, d, h.core.voiceIn("en")));
    expect(text).toContain("Approvals waiting (1)");
    expect(text).toContain("#");
  });
});
