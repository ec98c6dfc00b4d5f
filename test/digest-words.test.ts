import { describe, expect, it } from "vitest";
import { digestMessage as digestIn, fullDigestMessages as fullDigestIn, type Digest } from "../src/domain/digest.ts";
import { defaultWords, voice } from "../src/i18n.ts";
import type { Program } from "../src/program/program.ts";
import { toPlainText } from "../src/messages.ts";
import type { Person } from "../src/store.ts";
import { renderMessage as renderCard } from "../adapters/teams/render.ts";
import { LIMITS, render as renderSlack } from "../adapters/slack/render.ts";
import { importRoster } from "../src/domain/roster.ts";
import { harness } from "./support/harness.ts";
import { testProgram } from "./support/program.ts";

const program = testProgram();
const english = voice(defaultWords().t, "en", program.timeZone);
const digestMessage = (p: Program, d: Digest) => digestIn(p, d, english);
const fullDigestMessages = (p: Program, d: Digest) => fullDigestIn(p, d, english);
const at = new Date("2026-07-06T15:00:00Z");
const intern = (i: number) => ({ id: i, email: `i${i}@example.org`, name: `Intern ${i}`, role: "intern", department: "fire", mentorId: null }) as Person;

function digest(over: Partial<Digest> = {}): Digest {
  return {
    at,
    departments: [{ slug: "fire", name: "Fire", interns: 1, percent: 5, badges: 1 }],
    staleApprovals: [],
    inactive: [],
    behind: [],
    badges: [{ name: "Intern 1", department: "fire", badge: "Fire Explorer", playlist: "fire-explorer", at }],
    undelivered: [],
    notDoneElsewhere: [],
    ...over,
  };
}

describe("digest words", () => {
  it("says what its numbers count, with singular and plural right", () => {
    const one = digestMessage(program, digest());
    expect(one.text).toBe("Test STEPS digest: 0 approvals waiting, 0 interns to check on, 1 badge this week");
    expect(toPlainText(one)).toContain("Fire: progress of its one intern: 5% · 1 new badge this week");
    expect(toPlainText(one)).not.toContain("5/100");
    const many = digestMessage(program, digest({ departments: [{ slug: "fire", name: "Fire", interns: 3, percent: 40, badges: 0 }], badges: [], inactive: [{ intern: intern(1), days: 9 }] }));
    expect(toPlainText(many)).toContain("Fire: average progress of its 3 interns: 40% · no new badges this week");
    expect(many.text).toBe("Test STEPS digest: 0 approvals waiting, 1 intern to check on, 0 badges this week");
  });

  it("does not call everyone on pace when some are listed as falling behind", () => {
    const quiet = toPlainText(digestMessage(program, digest({ inactive: [{ intern: intern(1), days: 9 }] })));
    expect(quiet).toContain("Falling behind (1)\n• Intern 1: no activity for 9 days\nBadges");
    expect(quiet).not.toContain("on pace");
    expect(toPlainText(digestMessage(program, digest()))).toContain("Falling behind (0)\nEveryone has been active and is on pace.");
  });

  it("cuts a long list and says how to see the rest, spelled for each platform; `digest full` shows every line within the limits", () => {
    const inactive = Array.from({ length: 318 }, (_, i) => ({ intern: intern(i + 1), days: 9 }));
    const cut = digestMessage(program, digest({ inactive }));
    expect(toPlainText(cut)).toContain("• Intern 15: no activity for 9 days\n…and 303 more: type `digest full` to see them all.");
    expect(JSON.stringify(renderSlack(cut).blocks)).toContain("type `/steps digest full` to see them all.");
    const parts = fullDigestMessages(program, digest({ inactive }));
    expect(parts.length).toBeGreaterThan(1);
    const all = parts.map((p) => toPlainText(p)).join("\n");
    for (let i = 1; i <= 318; i++) expect(all).toContain(`• Intern ${i}: no activity for 9 days`);
    expect(all).not.toContain("more:");
    expect(parts[1]!.text).toBe(`Test STEPS digest: 0 approvals waiting, 318 interns to check on, 1 badge this week (part 2 of ${parts.length})`);
    for (const part of parts) {
      // Nothing cut: each part fits Slack's block limit and a Teams card without shortening.
      expect(renderSlack(part).blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
      expect(JSON.stringify(renderCard(part).card)).not.toContain("shortened");
    }
  });
});

describe("digest full, typed", () => {
  it("answers with the first part and sends the rest to the same person, every line in all", async () => {
    const h = await harness();
    try {
      const rows = Array.from({ length: 250 }, (_, i) => `extra${i}@example.org,Extra ${i},intern,fire,fay@example.org`);
      await importRoster(h.store, h.program, `email,name,role,department,mentor_email\ncora@example.org,Cora Coordinator,coordinator,,\nfay@example.org,Fay Mentor,mentor,fire,\n${rows.join("\n")}\n`);
      const cut = await h.say("cora@example.org", "digest");
      expect(cut).toMatch(/…and \d+ more: type `digest full` to see them all\./);
      const first = await h.say("cora@example.org", "digest full");
      expect(first).toMatch(/^Test STEPS — week of/);
      const rest = await h.inbox("cora@example.org");
      expect(rest.length).toBeGreaterThan(0);
      const all = [first, ...rest].join("\n");
      for (let i = 0; i < 250; i++) expect(all).toContain(`• Extra ${i}: no activity yet`);
      expect(all).not.toContain("more: type");
    } finally {
      await h.close();
    }
  });
});
