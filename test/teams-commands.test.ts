import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TEAM_CHANNEL_SETTING } from "../adapters/teams/transport.ts";
import { BOT_ID, cardOf, TEAM_CHANNEL, teamsActivity, teamsRig, type TeamsRig } from "./support/teams.ts";

let t: TeamsRig;
beforeAll(async () => {
  t = await teamsRig();
});
afterAll(async () => {
  await t.close();
});
beforeEach(() => {
  t.connector.calls.length = 0;
});

/** Sends a message and returns the fallback text of the card the bot replied with. */
async function say(from: string, text: string, options: { scope?: "personal" | "channel"; mention?: boolean } = {}): Promise<string> {
  const res = await t.post(teamsActivity(t.connector, { from, text, ...options }));
  expect(res.status).toBe(200);
  const replies = t.connector.calls.filter((c) => c.kind === "reply");
  expect(replies).toHaveLength(1);
  t.connector.calls.length = 0;
  return cardOf(replies[0]!).fallbackText;
}

describe("Teams commands", () => {
  it("help: each command in bold as typed in Teams, brackets as they are, no backticks or backslashes in the card", async () => {
    const kim = t.member("kim", "kim@example.org");
    await t.post(teamsActivity(t.connector, { from: kim, text: "help" }));
    const reply = t.connector.calls.find((c) => c.kind === "reply")!;
    const texts = cardOf(reply).body.map((e) => e.text as string);
    expect(texts).toContain("**done <task> [note or link]** — Mark a task done, with an optional note or link to your work.");
    expect(texts.join("\n")).not.toMatch(/[`\\]|<cmd>/);
    expect(texts.join("\n")).not.toContain("**approve");
    t.connector.calls.length = 0;
  });

  it("answers in personal chat with and without the word steps, looking the email up once", async () => {
    const ana = t.member("ana", "ana@example.org");
    const res = await t.post(teamsActivity(t.connector, { from: ana, text: "status" }));
    expect(res.status).toBe(200);
    expect(t.connector.calls.map((c) => c.kind)).toEqual(["member", "reply"]);
    const reply = t.connector.calls[1]!;
    expect(reply.conversationId).toBe("a:personal-29:ana");
    expect(reply.body.summary).toBe("Your progress: Public Works 0%");
    expect(cardOf(reply).fallbackText).toContain("Safety walk (safety-walk): 0/1 (0%)");
    t.connector.calls.length = 0;
    // Known now: no second member look-up.
    expect(await say(ana, "steps status")).toContain("Safety walk (safety-walk): 0/1 (0%)");
    const person = (await t.steps.store.personByEmail("ana@example.org"))!;
    const [identity] = await t.steps.store.identitiesOf([person.id]);
    expect(identity).toMatchObject({ platform: "teams", platformUserId: ana, address: { reference: { conversation: { id: "a:personal-29:ana" } } } });
  });

  it("in a channel, answers only an @mention of Steps, with the mention stripped, in the person's private chat", async () => {
    const ben = t.member("ben", "ben@example.org");
    // Not for Steps: no answer, nothing recorded, not even who wrote it.
    const chatter = await t.post(teamsActivity(t.connector, { from: ben, text: "done safety-walk", scope: "channel" }));
    expect(chatter.status).toBe(200);
    expect(t.connector.calls).toEqual([]);
    expect(await t.steps.store.personByIdentity("teams", ben)).toBeUndefined();

    const res = await t.post(teamsActivity(t.connector, { from: ben, text: "done safety-walk", scope: "channel", mention: true }));
    expect(res.status).toBe(200);
    // Nothing in the channel; the answer opens Ben's 1:1 chat with Steps, as Slack answers only the person.
    expect(t.connector.calls.filter((c) => c.kind === "reply")).toEqual([]);
    expect(t.connector.calls.filter((c) => c.kind === "create")).toHaveLength(1);
    const [answer] = t.connector.messages();
    expect(answer).toMatchObject({ kind: "send", conversationId: "a:personal-29:ben" });
    expect(cardOf(answer!).fallbackText).toMatch(/^Recorded Safety walk \(#\d+\)\. Max Mentor will review it\./);
    const person = (await t.steps.store.personByEmail("ben@example.org"))!;
    expect((await t.steps.store.identitiesOf([person.id]))[0]!.address).toMatchObject({ reference: { conversation: { id: "a:personal-29:ben" } } });

    // The next one goes to the chat now remembered.
    t.connector.calls.length = 0;
    await t.post(teamsActivity(t.connector, { from: ben, text: "steps status", scope: "channel", mention: true }));
    expect(t.connector.calls.map((c) => [c.kind, c.conversationId])).toEqual([["send", "a:personal-29:ben"]]);
    expect(cardOf(t.connector.calls[0]!).fallbackText).toContain("Safety walk (safety-walk)");
  });

  it("reads the HTML Teams sends as the person typed it: entities decoded once, tags and the @mention gone, a link's address kept", async () => {
    /** What was recorded when this intern sent this activity. */
    const recorded = async (name: string, activity: Record<string, unknown>) => {
      const from = t.member(name, `${name}@example.org`);
      await t.post({ ...teamsActivity(t.connector, { from, text: "" }), ...activity, from: { id: from, name, aadObjectId: `aad-${from}` } });
      const [submission] = await t.steps.store.submissionsOf((await t.steps.store.personByEmail(`${name}@example.org`))!.id);
      return { note: submission?.note, link: submission?.link };
    };
    // Teams calls it plain text, and sends the `&`, `<` and `>` typed as entities; a typed entity arrives encoded twice.
    expect(await recorded("hal", { text: "done safety-walk Q&amp;A went well, &lt;b&gt;not bold&lt;/b&gt;, &amp;lt;3", textFormat: "plain" })).toEqual({
      note: "Q&A went well, <b>not bold</b>, &lt;3",
      link: null,
    });
    // In a channel: the message in a paragraph, the @mention inside it, no-break spaces, numeric entities.
    const channel = teamsActivity(t.connector, { from: "29:ivy", text: "", scope: "channel", mention: true });
    expect(await recorded("ivy", { ...channel, text: "<p><at>Steps</at>&nbsp;done&nbsp;safety-walk it&#39;s done &#x1F389;&nbsp;</p>", textFormat: "xml" })).toEqual({
      note: "it's done 🎉",
      link: null,
    });
    // Rich text: lines in <div>s and <br>, a link whose words are not its address.
    expect(
      await recorded("jon", { text: '<div>done safety-walk walked it with Max<br>slides:</div><div><a href="https://e.test/deck?a=1&amp;b=2">the deck</a></div>', textFormat: "html" }),
    ).toEqual({ note: "walked it with Max\nslides:\nthe deck", link: "https://e.test/deck?a=1&b=2" });
  });

  it("matches by UPN when Teams gives no email", async () => {
    const cal = t.member("cal", "cal@example.org", true);
    expect(await say(cal, "status")).toContain("Public Works");
  });

  it("suggests the closest task for an unknown one", async () => {
    const dee = t.member("dee", "dee@example.org");
    expect(await say(dee, "done safety-wlk")).toBe("There is no task `safety-wlk`. Did you mean `safety-walk`?");
  });

  it("tells someone not on the roster to ask their coordinator, and records nothing", async () => {
    const stranger = t.member("zed", "zed@elsewhere.org");
    expect(await say(stranger, "done safety-walk")).toBe("You are not on this program's roster yet. Ask your coordinator to add you, then try again.");
    const unknown = "29:not-a-member";
    expect(await say(unknown, "status")).toContain("not on this program's roster");
    expect(await t.steps.store.personByIdentity("teams", stranger)).toBeUndefined();
    expect(await t.steps.store.personByIdentity("teams", unknown)).toBeUndefined();
  });

  it("answers an activity Teams delivers twice only once", async () => {
    const eve = t.member("eve", "eve@example.org");
    const activity = teamsActivity(t.connector, { from: eve, text: "done safety-walk" });
    await t.post(activity);
    await t.post(activity);
    expect(t.connector.calls.filter((c) => c.kind === "reply")).toHaveLength(1);
    const person = (await t.steps.store.personByEmail("eve@example.org"))!;
    expect(await t.steps.store.submissionsOf(person.id)).toHaveLength(1);
  });

  it("greets a person who installs the app and remembers their chat", async () => {
    const gus = t.member("gus", "gus@example.org");
    await t.post(teamsActivity(t.connector, { type: "conversationUpdate", from: gus, membersAdded: [{ id: BOT_ID }] }));
    const [greeting] = t.connector.messages();
    expect(cardOf(greeting!).fallbackText).toBe("Hi Gus Intern, Steps is ready. Type `help` to see what you can do.");
    const person = (await t.steps.store.personByEmail("gus@example.org"))!;
    expect((await t.steps.store.identitiesOf([person.id]))[0]!.address).toMatchObject({ reference: { conversation: { id: "a:personal-29:gus" } } });
    // Someone else joining a chat is not an install.
    t.connector.calls.length = 0;
    await t.post(teamsActivity(t.connector, { type: "conversationUpdate", from: gus, membersAdded: [{ id: "29:other" }] }));
    expect(t.connector.calls).toEqual([]);
  });

  it("remembers the team channel it is added to, without the thread", async () => {
    await t.post(teamsActivity(t.connector, { type: "conversationUpdate", from: "29:owner", scope: "channel", membersAdded: [{ id: BOT_ID }] }));
    const saved = await t.steps.store.getSetting<{ conversation: { id: string }; serviceUrl: string }>(TEAM_CHANNEL_SETTING);
    expect(saved).toMatchObject({ conversation: { id: TEAM_CHANNEL }, serviceUrl: t.connector.url });
    expect(saved).not.toHaveProperty("activityId");
  });

  it("refuses a body that is not an activity", async () => {
    const post = (body: string) => fetch(`${t.server.url}/api/messages`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect((await post("not json")).status).toBe(400);
    expect((await post("[1,2]")).status).toBe(400);
    expect((await post(JSON.stringify({ text: "no type" }))).status).toBe(400);
    expect((await post("x".repeat(1_100_000))).status).toBe(413);
    expect(t.connector.calls).toEqual([]);
  });
});

describe("Teams: database down", () => {
  let down: TeamsRig;
  beforeAll(async () => {
    down = await teamsRig();
  });
  afterAll(async () => {
    await down.close();
  });

  it("acknowledges nothing it could not record: a 500, so Teams sends the activity again; /healthz blames the database", async () => {
    const ana = down.member("ana", "ana@example.org");
    const health = async () => {
      const res = await fetch(`${down.server.url}/healthz`);
      return { status: res.status, teams: ((await res.json()) as { parts: { teams?: string } }).parts.teams };
    };
    expect(await health()).toEqual({ status: 200, teams: "ok" });
    await down.steps.db.close();
    // Teams itself is fine; /healthz is 503 for the database alone.
    expect(await health()).toEqual({ status: 503, teams: "ok" });
    const message = await down.post(teamsActivity(down.connector, { from: ana, text: "done safety-walk" }));
    const installed = await down.post(teamsActivity(down.connector, { type: "conversationUpdate", from: ana, membersAdded: [{ id: BOT_ID }] }));
    expect([message.status, installed.status]).toEqual([500, 500]);
    for (const res of [message, installed]) expect(await res.text()).not.toMatch(/sql|database|connect|pglite|postgres|inbox/i);
    expect(down.connector.calls).toEqual([]);
  });
});
