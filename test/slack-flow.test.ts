import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ANNOUNCE, slackStack, textOf, users, type SlackStack } from "./support/slack.ts";

let s: SlackStack;
beforeAll(async () => {
  s = await slackStack();
});
beforeEach(() => s.reset());
afterAll(() => s.close());

/** Every response_url reply so far, as text. */
const replies = (s: SlackStack) => s.fake.of("response_url").map((c) => textOf(c.body));

async function submissions(s: SlackStack) {
  const ana = (await s.steps.store.personByEmail("ana@example.org"))!;
  return s.steps.store.submissionsOf(ana.id);
}

describe("Slack: the whole flow through Bolt, the server and the database", () => {
  it("intern /steps done → mentor DM with buttons → Approve → message updated, intern told → badge announced once", async () => {
    const done = await s.send.command(users.ana, "done safety-walk");
    expect(done.status).toBe(200);
    expect(await done.text()).toBe("");

    const [reply] = await s.waitFor("response_url");
    expect(reply!.body.response_type).toBe("ephemeral");
    expect(textOf(reply!.body)).toMatch(/Recorded Safety walk \(#\d+\)\. Max Mentor will review it\./);

    // The mentor never wrote to Steps: found by email, DM opened, asked with two buttons.
    const [request] = await s.waitFor("chat.postMessage");
    expect(s.fake.of("users.lookupByEmail")[0]!.body.email).toBe("max@example.org");
    expect(request!.body.channel).toBe(`D${users.max}`);
    const actions = (request!.body.blocks as { type: string; elements?: { action_id: string; text: { text: string }; value: string }[] }[]).find((b) => b.type === "actions")!;
    expect(actions.elements!.map((e) => e.text.text)).toEqual(["Approve", "Request changes"]);
    const [sub] = await submissions(s);
    expect(actions.elements!.map((e) => e.value)).toEqual([String(sub!.id), String(sub!.id)]);

    s.fake.clear();
    const click = await s.send.click(users.max, actions.elements![0]!.action_id, actions.elements![0]!.value);
    expect(click.status).toBe(200);
    const [update] = await s.waitFor("chat.update");
    expect(update!.body.channel).toBe(`D${users.max}`);
    expect(update!.body.ts).toBe(request!.response.ts);
    expect(textOf(update!.body)).toContain("Approved by Max Mentor on Jun 16, 10:00 AM");
    expect((update!.body.blocks as { type: string }[]).some((b) => b.type === "actions")).toBe(false);
    const dm = (await s.waitFor("chat.postMessage")).find((c) => c.body.channel === `D${users.ana}`);
    expect(textOf(dm!.body)).toContain("Max Mentor approved Safety walk");
    expect((await submissions(s))[0]!.status).toBe("approved");

    // The last task of the playlist: the badge is announced once, and the intern gets the link.
    s.fake.clear();
    await s.send.command(users.ana, "done fleet-tour");
    await s.waitFor("chat.postMessage");
    const second = (await submissions(s)).find((x) => x.task === "fleet-tour")!;
    await s.send.click(users.max, "approve", String(second.id));
    await s.waitFor("chat.update");
    await s.send.click(users.max, "approve", String(second.id));
    await s.waitFor("response_url", 3);
    await s.settle();
    const announcements = s.fake.of("chat.postMessage").filter((c) => c.body.channel === ANNOUNCE);
    expect(announcements).toHaveLength(1);
    expect(textOf(announcements[0]!.body)).toContain("Ana Intern earned the Public Works Explorer badge!");
    const toAna = s.fake.of("chat.postMessage").filter((c) => c.body.channel === `D${users.ana}`).map((c) => textOf(c.body));
    expect(toAna.filter((t) => t.includes("You earned the Public Works Explorer badge"))).toHaveLength(1);
    expect(toAna.find((t) => t.includes("You earned"))).toMatch(/<http:\/\/steps\.test\/badges\/[\w-]+\|Your badge page>/);
  });

  it("a double click makes one decision and one intern message; the second click is told it was decided", async () => {
    await s.send.command(users.ana, "done safety-walk");
    await s.waitFor("chat.postMessage");
    const [sub] = await submissions(s);
    s.fake.clear();
    const [a, b] = await Promise.all([s.send.click(users.max, "approve", String(sub!.id)), s.send.click(users.max, "approve", String(sub!.id))]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await s.waitFor("response_url", 2);
    await s.settle();
    const texts = replies(s);
    expect(texts.filter((t) => t.includes("is decided"))).toHaveLength(1);
    expect(texts.filter((t) => t.includes("was already decided"))).toHaveLength(1);
    expect(s.fake.of("chat.postMessage").filter((c) => c.body.channel === `D${users.ana}`)).toHaveLength(1);
    expect(s.fake.of("chat.update")).toHaveLength(1);
    const decisions = await s.steps.store.decisionsOf([sub!.id]);
    expect(decisions).toHaveLength(1);
  });

  it("a repeated /steps done records one submission and asks the mentor once", async () => {
    await s.send.command(users.ana, "done safety-walk");
    await s.waitFor("response_url");
    await s.send.command(users.ana, "done safety-walk");
    await s.waitFor("response_url", 2);
    await s.settle();
    expect(replies(s)[1]).toContain("already waiting for approval");
    expect(await submissions(s)).toHaveLength(1);
    expect(s.fake.of("chat.postMessage").filter((c) => c.body.channel === `D${users.max}`)).toHaveLength(1);
  });
});

describe("Slack: undo", () => {
  it("/steps undo withdraws the intern's request: the mentor's DM is updated in place without buttons, and Approve then decides nothing", async () => {
    await s.send.command(users.ana, "done safety-walk");
    const [request] = await s.waitFor("chat.postMessage");
    const [sub] = await submissions(s);
    s.fake.clear();

    await s.send.command(users.max, `undo ${sub!.id}`);
    expect(textOf((await s.waitFor("response_url"))[0]!.body)).toContain("Only interns can undo what they sent.");
    await s.send.command(users.ana, `undo ${sub!.id}`);
    const answers = await s.waitFor("response_url", 2);
    expect(textOf(answers[1]!.body)).toContain(`You withdrew Safety walk (#${sub!.id}): it is no longer waiting for approval. To send it again, type \`/steps done safety-walk\`.`);
    const [update] = await s.waitFor("chat.update");
    expect(update!.body.channel).toBe(`D${users.max}`);
    expect(update!.body.ts).toBe(request!.response.ts);
    expect(textOf(update!.body)).toContain("Ana Intern withdrew this on Jun 16, 10:00 AM: there is nothing to decide.");
    expect((update!.body.blocks as { type: string }[]).some((b) => b.type === "actions")).toBe(false);

    // The old button, clicked before Slack showed the update: nothing is decided, Max is told why.
    await s.send.click(users.max, "approve", String(sub!.id));
    expect(textOf((await s.waitFor("response_url", 3))[2]!.body)).toContain(`Ana Intern withdrew #${sub!.id}, so there is nothing to decide.`);
    await s.settle();
    expect((await submissions(s))[0]!.status).toBe("withdrawn");
    expect(await s.steps.store.decisionsOf([sub!.id])).toEqual([]);
  });
});

describe("Slack: stopping the server", () => {
  it("finishes the work of requests it already acknowledged before it closes", async () => {
    const own = await slackStack();
    try {
      const res = await own.send.command(users.ana, "done safety-walk");
      expect(res.status).toBe(200);
      await own.server.close();
      // Acknowledged to Slack, so it must not be cut off: the intern's answer went out.
      expect(own.fake.of("response_url").map((c) => textOf(c.body))).toEqual([expect.stringMatching(/Recorded Safety walk/)]);
    } finally {
      await own.close();
    }
  });
});
