import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act } from "../src/domain/route.ts";
import { harness, type Harness } from "./support/harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const ANA = "ana@example.org";
const MAX = "max@example.org";
const FAY = "fay@example.org";
const CORA = "cora@example.org";

async function lastSubmissionId(email: string): Promise<number> {
  const subs = await h.store.submissionsOf((await h.person(email)).id);
  return subs.at(-1)!.id;
}

describe("done", () => {
  it("records a pending submission and asks the intern's mentor with buttons", async () => {
    const reply = await h.say(ANA, "done interview-staff https://example.org/notes Talked to the city engineer");
    const id = await lastSubmissionId(ANA);
    expect(reply).toContain(`Recorded Interview a city staff member (#${id}). Max Mentor will review it.`);
    await h.dispatcher.drain();
    const mentor = h.sent.filter((s) => s.to === MAX);
    expect(mentor).toHaveLength(1);
    const buttons = mentor[0]!.message.blocks.find((b) => b.type === "buttons");
    expect(buttons).toEqual({
      type: "buttons",
      buttons: [
        { type: "button", action: "approve", label: "Approve", value: String(id), style: "primary" },
        {
          type: "button",
          action: "request_changes",
          label: "Request changes",
          value: String(id),
          reason: { label: "Reason, if you request changes", placeholder: "What should they fix?", missing: "Say what to change so your intern knows what to fix." },
        },
      ],
    });
    const fields = mentor[0]!.message.blocks.find((b) => b.type === "fields");
    expect(fields).toMatchObject({ fields: expect.arrayContaining([{ label: "Evidence", value: "https://example.org/notes" }, { label: "Note", value: "Talked to the city engineer" }]) });
    const [sub] = await h.store.submissionsOf((await h.person(ANA)).id);
    expect(sub).toMatchObject({ status: "pending", task: "interview-staff", playlist: "steps", link: "https://example.org/notes" });
  });

  it("explains a task already waiting instead of recording it twice", async () => {
    await h.say(ANA, "done safety-walk");
    const again = await h.say(ANA, "done safety-walk");
    expect(again).toMatch(/already waiting for approval \(#\d+\)/);
    expect(await h.store.submissionsOf((await h.person(ANA)).id)).toHaveLength(1);
  });

  it("explains a task already approved", async () => {
    await h.say(ANA, "done safety-walk");
    await h.say(MAX, `approve ${await lastSubmissionId(ANA)}`);
    expect(await h.say(ANA, "done safety-walk")).toContain("Safety walk is already approved");
  });

  it("accumulates count tasks up to their count", async () => {
    expect(await h.say(ANA, "done lunch-and-learn")).toContain("Lunch and learn (lunch-and-learn): 0/2 (0%) · 1 waiting for approval");
    expect(await h.say(ANA, "done lunch-and-learn")).toContain("2 waiting for approval");
    expect(await h.say(ANA, "done lunch-and-learn")).toContain("already waiting for approval");
  });

  it("suggests the closest slugs for an unknown task", async () => {
    expect(await h.say(ANA, "done interview-staf")).toBe("There is no task `interview-staf`. Did you mean `interview-staff`?");
    expect(await h.say(ANA, "done zzzzzzzz")).toBe("There is no task `zzzzzzzz`. Type `tasks` to see your tasks.");
  });

  it("asks for evidence when the task requires it", async () => {
    expect(await h.say(ANA, "done interview-staff")).toContain("Interview a city staff member needs evidence");
    expect(await h.store.submissionsOf((await h.person(ANA)).id)).toHaveLength(0);
  });

  it("refuses another department's task and a mentor recording work", async () => {
    expect(await h.say(ANA, "done station-tour")).toContain("not open to your department");
    expect(await h.say(MAX, "done safety-walk")).toBe("Only interns can record tasks.");
  });

  it("routes coordinator-approved tasks to every coordinator", async () => {
    await h.say(ANA, "done final-presentation");
    expect(await h.inbox(CORA)).toHaveLength(1);
    expect(await h.inbox(MAX)).toHaveLength(0);
  });
});

describe("log hours", () => {
  it("counts approved minutes toward an hours task", async () => {
    expect(await h.say(ANA, "log 90m initial-training first session")).toContain("Recorded 1.5 h of Initial training");
    await h.say(MAX, `approve ${await lastSubmissionId(ANA)}`);
    await h.say(ANA, "log 0.5h initial-training");
    await h.say(MAX, `approve ${await lastSubmissionId(ANA)}`);
    expect(await h.say(ANA, "status")).toContain("Initial training (initial-training): 2/2 h (100%)");
  });

  it("tells which command fits the task", async () => {
    expect(await h.say(ANA, "log 2h safety-walk")).toBe("`safety-walk` is counted in tasks, not hours: type `done safety-walk`.");
    expect(await h.say(ANA, "done field-hours")).toContain("type `log <hours> field-hours`");
  });
});

describe("decisions", () => {
  it("lets only the intern's mentor or a coordinator decide", async () => {
    await h.say(ANA, "done safety-walk");
    const id = await lastSubmissionId(ANA);
    expect(await h.say(FAY, `approve ${id}`)).toContain("you are not their mentor");
    expect(await h.say(ANA, `approve ${id}`)).toBe("You cannot approve your own work. Your mentor will review it.");
    expect(await h.say("ben@example.org", `approve ${id}`)).toBe("Only mentors and coordinators can approve work.");
    expect(await h.store.decisionOf(id)).toBeUndefined();
    expect(await h.say(CORA, `approve ${id}`)).toMatch(/^Approved by Cora Coordinator on Jun 16, 10:00 AM/);
  });

  it("keeps coordinator tasks for coordinators", async () => {
    await h.say(ANA, "done final-presentation");
    expect(await h.say(MAX, `approve ${await lastSubmissionId(ANA)}`)).toContain("needs a coordinator's approval");
  });

  it("tells the later approver who decided and when", async () => {
    await h.say(ANA, "done safety-walk");
    const id = await lastSubmissionId(ANA);
    await h.say(MAX, `approve ${id}`);
    h.setTime("2026-06-16T18:30:00Z");
    expect(await h.say(CORA, `changes ${id} redo it`)).toBe(`#${id} was already decided: Approved by Max Mentor on Jun 16, 10:00 AM.`);
    expect((await h.store.submission(id))!.status).toBe("approved");
  });

  it("sends the reason back to the intern and lets them resubmit", async () => {
    await h.say(ANA, "done safety-walk");
    const id = await lastSubmissionId(ANA);
    expect(await h.say(MAX, `changes ${id}`)).toContain("Say what to change so your intern knows what to fix");
    await h.say(MAX, `changes ${id} Please add the checklist photo`);
    const inbox = await h.inbox(ANA);
    expect(inbox.at(-1)).toContain("Max Mentor sent back Safety walk");
    expect(inbox.at(-1)).toContain("Please add the checklist photo");
    expect(await h.say(ANA, "done safety-walk with the photo")).toMatch(/^Recorded Safety walk/);
  });

  it("edits the approval request in place after a decision", async () => {
    await h.say(ANA, "done safety-walk");
    await h.dispatcher.drain();
    const request = h.sent.find((s) => s.to === MAX)!;
    await h.say(MAX, `approve ${await lastSubmissionId(ANA)}`);
    await h.dispatcher.drain();
    expect(h.edits).toHaveLength(1);
    expect(h.edits[0]!.id).toBe(request.id);
    expect(h.edits[0]!.message.blocks.some((b) => b.type === "buttons")).toBe(false);
    expect(h.edits[0]!.message.text).toContain("Approved by Max Mentor");
  });

  it("ignores a tampered or stale button value", async () => {
    const max = await h.person(MAX);
    await expect(act(h.core, { action: "approve", value: "99999", personId: max.id })).rejects.toThrow("There is no submission #99999. Type <cmd>pending</cmd> to see yours.");
    await expect(act(h.core, { action: "approve", value: "1; drop table", personId: max.id })).rejects.toMatchObject({ code: "unknown_submission" });
  });
});

describe("awards", () => {
  async function finishPublicWorks() {
    await h.say(ANA, "done safety-walk");
    await h.say(MAX, `approve ${await lastSubmissionId(ANA)}`);
    await h.say(ANA, "done fleet-tour https://example.org/fleet.jpg");
    await h.say(MAX, `approve ${await lastSubmissionId(ANA)}`);
  }

  it("awards the badge once with the evidence kept, and announces it once", async () => {
    await finishPublicWorks();
    const [award] = await h.store.awardsOf((await h.person(ANA)).id);
    expect(award).toMatchObject({ playlist: "public-works", published: false });
    expect(award!.id).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(award!.evidence).toEqual([
      expect.objectContaining({ task: "safety-walk", approvedBy: "Max Mentor", link: null }),
      expect.objectContaining({ task: "fleet-tour", approvedBy: "Max Mentor", link: "https://example.org/fleet.jpg" }),
    ]);
    await h.dispatcher.drain();
    await h.dispatcher.drain();
    const announcements = h.sent.filter((s) => s.to === "#announcements");
    expect(announcements).toHaveLength(1);
    expect(announcements[0]!.message.text).toBe("Ana Intern earned the Public Works Explorer badge!");
    expect(toLinks(announcements[0]!.message)).toEqual([`https://steps.test/badges/${award!.id}`]);
    expect(await h.say(ANA, "status")).toContain("Public Works — badge earned");
  });

  it("shows progress per playlist with percent and pending", async () => {
    await h.say(ANA, "done safety-walk");
    await h.say(MAX, `approve ${await lastSubmissionId(ANA)}`);
    await h.say(ANA, "done fleet-tour");
    const status = await h.say(ANA, "status");
    expect(status).toContain("Public Works — 50%");
    expect(status).toContain("Fleet tour (fleet-tour): 0/1 (0%) · 1 waiting for approval");
    expect(status).toContain("STEPS — 0%");
    // Advanced playlists appear once started.
    expect(status).not.toContain("Early Learning");
  });
});

function toLinks(message: { blocks: { type: string; url?: string }[] }): string[] {
  return message.blocks.filter((b) => b.type === "link").map((b) => b.url!);
}
