import { afterEach, describe, expect, it } from "vitest";
import { answer } from "../src/chat.ts";
import { silentLogger } from "../src/log.ts";
import { toPlainText } from "../src/messages.ts";
import { buildDigest } from "../src/domain/digest.ts";
import { scheduleHarness, scheduleProgram } from "./support/schedule.ts";

let h: Awaited<ReturnType<typeof scheduleHarness>>;
afterEach(async () => h && (await h.dispatcher.idle()));

const CORA = "cora@example.org";
const program = () => scheduleProgram({ program: { start: "2026-06-15", end: "2026-08-07", channels: { coordinators: { slack: "#steps-coordinators" } } } });

/** A week of activity: a stale approval, an inactive intern, a badge this week, a message that failed for good. */
async function week() {
  const [ana, ben, cal, fay, cora] = await Promise.all(["ana", "ben", "cal", "fay", "cora"].map((n) => h.person(`${n}@example.org`)));
  h.setTime("2026-06-10T17:00:00Z");
  const stale = await h.core.done(ana!, "safety-walk", "walked the yard", null);
  h.setTime("2026-06-19T17:00:00Z");
  const tour = await h.core.done(cal!, "station-tour", null, null);
  await h.core.decide(fay!, tour.submission.id, "approved", null);
  h.setTime("2026-06-21T17:00:00Z");
  await h.core.done(ben!, "fleet-tour", null, null); // under 48 h old on Monday: no nudge for it
  await h.core.done(cal!, "final-presentation", null, null); // a coordinator's to approve: no mentor nudge
  await h.dispatcher.drain();
  await h.store.enqueue([{ key: "test:failed", recipient: `person:${cal!.id}`, payload: { message: { text: "hi", blocks: [] } } }]);
  const [item] = await h.store.claimDue(new Date("2026-06-21T17:00:00Z"), 10, 60_000);
  await h.store.markFailed(item!, "cal@example.org has not started a chat with Steps yet");
  h.sent.length = 0;
  return { ana: ana!, ben: ben!, cal: cal!, cora: cora!, stale: stale.submission };
}

describe("weekly coordinator digest", () => {
  it("counts as this week's only badges earned up to the digest's time: a December badge is not in a June digest", async () => {
    h = await scheduleHarness(program());
    const [cal, fay] = await Promise.all([h.person("cal@example.org"), h.person("fay@example.org")]);
    h.setTime("2026-12-02T17:00:00Z");
    const tour = await h.core.done(cal!, "station-tour", null, null);
    expect((await h.core.decide(fay!, tour.submission.id, "approved", null)).award).toBeDefined();
    const june = await buildDigest(h.core.program, h.store, new Date("2026-06-22T15:00:00Z"));
    expect(june.badges).toEqual([]);
    expect(june.departments.map((d) => d.badges)).toEqual(june.departments.map(() => 0));
    // The same badge is this week's in its own week.
    expect((await buildDigest(h.core.program, h.store, new Date("2026-12-07T16:00:00Z"))).badges.map((b) => b.name)).toEqual(["Cal Intern"]);
  });

  it("goes to every coordinator and the coordinators' channel once, at Monday 08:00 program time, even with reminders off", async () => {
    h = await scheduleHarness(program());
    const { cora, stale } = await week();
    await h.store.setRemindersOff(cora.id, true);
    expect((await h.tick("2026-06-22T14:59:00Z")).sent.filter((s) => s.to !== "max@example.org")).toEqual([]);
    const monday = await h.tick("2026-06-22T15:00:00Z"); // 08:00 PDT
    const digests = monday.sent.filter((s) => s.text.startsWith("Test STEPS — week of"));
    expect(digests.map((s) => s.to).sort()).toEqual(["#coordinators", CORA]);
    const text = digests[0]!.text;
    expect(text).toContain("Approvals waiting (1)");
    expect(text).toContain(`#${stale.id} Ana Intern · safety-walk · 12 days · mentor Max Mentor`);
    expect(text).toContain("Falling behind (1)\n• Ana Intern: no activity for 12 days");
    expect(text).toContain("Badges this week (1)\n• Cal Intern — Fire Explorer");
    expect(text).toContain("Messages not delivered (1)");
    expect(text).toContain("• Cal Intern (cal@example.org) · test: cal@example.org has not started a chat with Steps yet");
    // Later ticks, and a second instance at the same minute, add nothing.
    expect((await h.tick("2026-06-22T15:01:00Z")).sent).toEqual([]);
    expect((await h.runDue(new Date("2026-06-22T15:00:00Z"))).queued).toBe(0);
    // The next one is a week later, without last week's undelivered message.
    const next = (await h.tick("2026-06-29T15:00:00Z")).sent.filter((s) => s.text.startsWith("Test STEPS — week of"));
    expect(next.map((s) => s.to).sort()).toEqual(["#coordinators", CORA]);
    expect(next[0]!.text).not.toContain("Messages not delivered");
  });

  it("`digest` shows it on demand: the whole program to coordinators, their interns to mentors", async () => {
    h = await scheduleHarness(program());
    const { ana } = await week();
    h.setTime("2026-06-22T15:00:00Z");
    const shown = toPlainText(await answer(h.core, await h.person(CORA), "digest", silentLogger));
    expect(shown).toContain("Approvals waiting (1)");
    expect(shown).toContain("Badges this week (1)");
    // Three weeks in, an intern active but with nothing approved is behind the program's pace.
    h.setTime("2026-07-05T17:00:00Z");
    await h.core.done(await h.person("ben@example.org"), "safety-walk", null, null);
    h.setTime("2026-07-06T15:00:00Z");
    const later = toPlainText(await answer(h.core, await h.person(CORA), "digest", silentLogger));
    expect(later).toMatch(/• Ben Intern: 0% done, 39% expected by now/);
    expect(later).toContain("Badges this week (0)");
    expect(later).toMatch(/• #\d+ Cal Intern · final-presentation · 15 days · for coordinators/);
    expect(toPlainText(await answer(h.core, ana, "digest", silentLogger))).toBe("Only mentors and coordinators can see a digest.");
    // A mentor's digest covers their own interns only.
    const max = toPlainText(await answer(h.core, await h.person("max@example.org"), "digest", silentLogger));
    expect(max).toContain("Public Works: average progress of its 2 interns: 0% · no new badges this week");
    expect(max).toContain("Approvals waiting (2)");
    expect(max).not.toContain("Cal Intern");
    expect(max).not.toContain("Messages not delivered");
  });
});

describe("the program's calendar", () => {
  it("starts at midnight in the program's time zone, whatever the server's", async () => {
    h = await scheduleHarness(program());
    const serverZone = process.env.TZ;
    // Honolulu's midnight on the start day comes three hours after Los Angeles'.
    process.env.TZ = "Pacific/Honolulu";
    try {
      const justStarted = await buildDigest(h.core.program, h.store, new Date("2026-06-15T08:00:00Z"));
      expect(justStarted.inactive.length).toBeGreaterThan(0);
      const dayBefore = await buildDigest(h.core.program, h.store, new Date("2026-06-15T06:00:00Z"));
      expect(dayBefore.inactive).toEqual([]);
    } finally {
      if (serverZone === undefined) delete process.env.TZ;
      else process.env.TZ = serverZone;
    }
  });
});

describe("where the digest goes", () => {
  it.each([
    ["dm", { coordinators: { slack: "#steps-coordinators" } }, [CORA]],
    ["channel", { coordinators: { slack: "#steps-coordinators" } }, ["#coordinators"]],
    ["channel", { coordinators: { discord: "1234567890" } }, ["#coordinators"]], // any platform's name
    ["channel", {}, [CORA]], // no channel named: direct messages rather than nothing
    ["both", {}, [CORA]],
  ])("send_to %s with channels %j", async (sendTo, channels, expected) => {
    h = await scheduleHarness(scheduleProgram({ digest: { send_to: sendTo }, program: { start: "2026-06-15", end: "2026-08-07", channels } }));
    const monday = await h.tick("2026-06-22T15:00:00Z");
    expect(monday.sent.filter((s) => s.text.startsWith("Test STEPS — week of")).map((s) => s.to)).toEqual(expected);
  });

  it("stops a week after the program ends", async () => {
    h = await scheduleHarness(program());
    expect((await h.tick("2026-08-10T15:00:00Z")).sent.map((s) => s.to).sort()).toEqual(["#coordinators", CORA]);
    expect((await h.tick("2026-08-17T15:00:00Z")).sent).toEqual([]);
  });
});

describe("mentor nudges", () => {
  it("nudge a mentor once a day about approvals waiting over 48 hours", async () => {
    h = await scheduleHarness(program());
    const { stale } = await week();
    const monday = await h.tick("2026-06-22T15:00:00Z");
    const nudges = monday.sent.filter((s) => s.text.startsWith("Waiting over 48 hours"));
    expect(nudges).toEqual([{ to: "max@example.org", text: `Waiting over 48 hours for your approval (1)\n• #${stale.id} Ana Intern · safety-walk · 12 days\nType \`pending\` to review them, or \`approve <number>\`.` }]);
    expect((await h.tick("2026-06-22T15:01:00Z")).sent).toEqual([]);
    expect((await h.runDue(new Date("2026-06-22T15:00:00Z"))).queued).toBe(0);
    // Every day again; by Wednesday Ben's fleet tour has waited 48 hours too.
    expect((await h.tick("2026-06-23T15:00:00Z")).sent.map((s) => s.text.split("\n")[0])).toEqual(["Waiting over 48 hours for your approval (1)"]);
    expect((await h.tick("2026-06-24T15:00:00Z")).sent.map((s) => s.text.split("\n")[0])).toEqual(["Waiting over 48 hours for your approval (2)"]);
  });

  it("no nudge once the mentor has decided", async () => {
    h = await scheduleHarness(program());
    const { stale } = await week();
    await h.core.decide(await h.person("max@example.org"), stale.id, "approved", null);
    await h.dispatcher.drain();
    h.sent.length = 0;
    expect((await h.tick("2026-06-22T15:00:00Z")).sent.filter((s) => s.to === "max@example.org")).toEqual([]);
  });
});
