import { defaultWords } from "../src/i18n.ts";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommand } from "../src/commands/grammar.ts";
import { toPlainText } from "../src/messages.ts";
import { harness, type Harness } from "./support/harness.ts";

let h: Harness;
afterEach(async () => h && (await h.close()));

const ANA = "ana@example.org";

async function sent(task = "safety-walk") {
  const ana = await h.person(ANA);
  const { submission } = await h.core.done(ana, task, "met the records clerk", null);
  await h.dispatcher.drain();
  return submission.id;
}

describe("undo", () => {
  it("an intern withdraws their own undecided submission: the request copies lose their buttons, and it can be sent again", async () => {
    h = await harness();
    const id = await sent();
    const request = h.sent.find((s) => s.to === "max@example.org")!;
    expect(request.message.blocks.some((b) => b.type === "buttons")).toBe(true);

    expect(await h.say(ANA, `undo ${id}`)).toBe(`You withdrew Safety walk (#${id}): it is no longer waiting for approval. To send it again, type \`done safety-walk\`.`);
    expect((await h.store.submission(id))!.status).toBe("withdrawn");
    await h.dispatcher.drain();
    // The copy Max got is edited in place, as a decision edits it.
    const [edit] = h.edits;
    expect(edit).toMatchObject({ id: request.id });
    expect(edit!.message.blocks.some((b) => b.type === "buttons")).toBe(false);
    expect(toPlainText(edit!.message)).toMatch(/Ana Intern withdrew this on .*: there is nothing to decide\./);
    expect(await h.say("max@example.org", "pending")).toBe("Nothing is waiting for your approval.");
    // Max's old button, or a typed approve, decides nothing.
    expect(await h.say("max@example.org", `approve ${id}`)).toBe(`Ana Intern withdrew #${id}, so there is nothing to decide.`);
    expect(await h.store.decisionsOf([id])).toEqual([]);
    // A task required once can be sent again.
    expect(await h.say(ANA, "done safety-walk")).toMatch(/^Recorded Safety walk/);
  });

  it("answers wrong person, decided already, withdrawn already and unknown numbers in a short sentence each", async () => {
    h = await harness();
    const id = await sent();
    expect(await h.say("ben@example.org", `undo ${id}`)).toBe(`#${id} is not yours, so you cannot undo it. Type \`status\` to see your own work.`);
    expect(await h.say("max@example.org", `undo ${id}`)).toBe("Only interns can undo what they sent.");
    expect(await h.say(ANA, "undo 999999")).toBe("There is no submission #999999. Type `status` to see your work.");
    await h.say("max@example.org", `approve ${id}`);
    expect(await h.say(ANA, `undo ${id}`)).toBe(`#${id}, Safety walk, is already approved, so it cannot be undone.`);
    const other = await sent("interview-staff");
    await h.say("max@example.org", `changes ${other} add the name of who you met`);
    expect(await h.say(ANA, `undo ${other}`)).toBe(`#${other}, Interview a city staff member, was already sent back to you, so there is nothing to undo.`);
    const third = await sent("lunch-and-learn");
    await h.say(ANA, `undo ${third}`);
    expect(await h.say(ANA, `undo ${third}`)).toBe(`You already withdrew #${third}, Lunch and learn.`);
    expect((await h.store.submission(id))!.status).toBe("approved");
  });

  it("is in the grammar and in an intern's help", async () => {
    h = await harness();
    expect(parseCommand("undo #42", (key, values) => defaultWords().t("en", key, values))).toEqual({ ok: true, command: { kind: "undo", submissionId: 42 } });
    expect(await h.say(ANA, "undo")).toBe("Say which submission: `undo <number>`, e.g. `undo 42`. The number is in the reply you got when you sent it.");
    expect(await h.say(ANA, "help")).toContain("`undo <number>` — Take back something you sent, while it is still waiting for approval.");
    expect(await h.say("max@example.org", "help")).not.toContain("undo");
  });
});
