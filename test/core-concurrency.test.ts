import { afterEach, describe, expect, it } from "vitest";
import { createStore } from "../db/store.ts";
import { createCore } from "../src/domain/core.ts";
import { harness, type Harness } from "./support/harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe("concurrency", () => {
  it("20 concurrent approvals of one submission make exactly one decision", async () => {
    h = await harness();
    await h.say("ana@example.org", "done safety-walk");
    const [sub] = await h.store.submissionsOf((await h.person("ana@example.org")).id);
    const deciders = await Promise.all(["max@example.org", "cora@example.org"].map((e) => h.person(e)));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.core.decide(deciders[i % 2]!, sub!.id, i % 3 ? "approved" : "changes_requested", "needs work")),
    );
    expect(results.filter((r) => r.mine)).toHaveLength(1);
    const winner = results.find((r) => r.mine)!.decision;
    for (const r of results) expect(r.decision).toEqual(winner);
    await h.dispatcher.drain();
    expect(h.sent.filter((s) => s.to === "ana@example.org")).toHaveLength(1);
  });

  it("12 concurrent completions of a count task record only as many as it needs", async () => {
    // No constraint in the schema covers count tasks: only the person lock and
    // the read taken after it keep this at two.
    h = await harness();
    const ana = await h.person("ana@example.org");
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => h.core.done(ana, "lunch-and-learn", null, null)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    for (const r of refused) expect(r.reason).toMatchObject({ code: "already_pending" });
    expect(await h.store.submissionsOf(ana.id)).toHaveLength(2);
  });

  it("10 concurrent approvals of a playlist's last tasks award the badge once", async () => {
    h = await harness();
    const ana = await h.person("ana@example.org");
    const max = await h.person("max@example.org");
    // Two interns' worth of lunch-and-learns, approvals racing on both playlists' last tasks.
    for (let i = 0; i < 2; i++) await h.say("ana@example.org", "done lunch-and-learn");
    await h.say("ana@example.org", "done interview-staff https://example.org/i");
    await h.say("ana@example.org", "done final-presentation");
    const ids = (await h.store.submissionsOf(ana.id)).map((s) => s.id);
    const cora = await h.person("cora@example.org");
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const id = ids[i % ids.length]!;
        const decider = id === ids[3] ? cora : i % 2 ? max : cora;
        return h.core.decide(decider, id, "approved", null);
      }),
    );
    expect(results.filter((r) => r.award)).toHaveLength(1);
    expect(await h.store.awardsOf(ana.id)).toHaveLength(1);
    await h.dispatcher.drain();
    expect(h.sent.filter((s) => s.to === "#announcements")).toHaveLength(1);
  });

  it("two core instances on one database take turns and award once", async () => {
    h = await harness();
    // A second instance: its own store and core over the same database.
    const other = createCore({ program: h.program, store: createStore(h.db.db), now: () => new Date("2026-06-17T17:00:00Z"), baseUrl: "https://b.test" });
    await h.say("ana@example.org", "done safety-walk");
    await h.say("ana@example.org", "done fleet-tour");
    const [a, b] = await h.store.submissionsOf((await h.person("ana@example.org")).id);
    const max = await h.person("max@example.org");
    const results = await Promise.all([h.core.decide(max, a!.id, "approved", null), other.decide(max, b!.id, "approved", null), other.decide(max, a!.id, "approved", null)]);
    expect(results.filter((r) => r.mine)).toHaveLength(2);
    expect(results.filter((r) => r.award)).toHaveLength(1);
  });

  it("concurrent completions of a once task record it once", async () => {
    h = await harness();
    const ana = await h.person("ana@example.org");
    const replies = await Promise.allSettled(Array.from({ length: 10 }, () => h.core.done(ana, "safety-walk", null, null)));
    expect(replies.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of replies) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "already_pending" });
    expect(await h.store.submissionsOf(ana.id)).toHaveLength(1);
  });

  it("the database refuses a second live completion of a once task even without the lock", async () => {
    h = await harness();
    const ana = await h.person("ana@example.org");
    const row = { personId: ana.id, playlist: "public-works", task: "safety-walk", units: 1, isOnce: true, note: null, link: null, createdAt: new Date() };
    await h.store.createSubmission(row);
    await expect(h.store.createSubmission(row)).rejects.toThrow();
  });
});
