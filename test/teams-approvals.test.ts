import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readTeamsEnv } from "../adapters/teams/settings.ts";
import { botAdapter } from "../adapters/teams/serve.ts";
import { teamsTransport } from "../adapters/teams/transport.ts";
import { outbox } from "../db/schema.ts";
import { SENT_TEXT_KEPT_DAYS } from "../src/delivery/forget.ts";
import { buildDigest } from "../src/domain/digest.ts";
import { cardClick, cardOf, TEAM_CHANNEL, teamsActivity, teamsRig, type TeamsRig } from "./support/teams.ts";

// One server for the file (booting is the slow part); each test uses its own interns.
let t: TeamsRig;
let max: string;
let fay: string;
let clock = new Date("2026-06-16T17:00:00Z");
beforeAll(async () => {
  t = await teamsRig({}, { now: () => clock });
  max = t.member("max", "max@example.org");
  fay = t.member("fay", "fay@example.org");
  // Both mentors have talked to the bot, so Steps holds their personal conversations.
  await t.post(teamsActivity(t.connector, { from: max, text: "help" }));
  await t.post(teamsActivity(t.connector, { from: fay, text: "help" }));
});
afterAll(async () => {
  await t.close();
});
beforeEach(() => {
  t.connector.calls.length = 0;
});

/** The intern types `done safety-walk` in personal chat; returns their Teams id, the submission id and the message holding its request card. */
async function submit(name: string) {
  const intern = t.member(name, `${name}@example.org`);
  await t.post(teamsActivity(t.connector, { from: intern, text: "done safety-walk" }));
  const person = (await t.steps.store.personByEmail(`${name}@example.org`))!;
  const id = (await t.steps.store.submissionsOf(person.id)).at(-1)!.id;
  const request = t.connector.messages().find((c) => cardOf(c).actions.some((a) => a.data?.id === String(id)))?.activityId;
  return { intern, id, request };
}

const chat = (userId: string) => `a:personal-${userId}`;
const sentTo = (userId: string) => t.connector.messages().filter((c) => c.conversationId === chat(userId));

async function answer(from: string, verb: string, data: Record<string, unknown>, card?: string) {
  const res = await t.post(cardClick(t.connector, from, verb, data, card));
  expect(res.status).toBe(200);
  return (await res.json()) as { statusCode: number; type: string; value: unknown };
}

/** A click answered with a message: Teams shows it to the clicker and leaves the card as it is. */
async function click(from: string, verb: string, data: Record<string, unknown>, card?: string) {
  const body = await answer(from, verb, data, card);
  expect(body).toMatchObject({ statusCode: 200, type: "application/vnd.microsoft.activity.message" });
  return body.value as string;
}

/** A click on a request card that decides: Teams replaces the clicker's card with the one answered, at once. */
async function clickToDecide(from: string, verb: string, data: Record<string, unknown>, card: string | undefined) {
  const body = await answer(from, verb, data, card);
  expect(body).toMatchObject({ statusCode: 200, type: "application/vnd.microsoft.card.adaptive", value: { type: "AdaptiveCard" } });
  return cardOf({ body: { attachments: [{ content: body.value }] } });
}

async function outboxRow(key: string) {
  const [row] = await t.steps.db.db.select().from(outbox).where(eq(outbox.key, key));
  if (!row) throw new Error(`no outbox item ${key}`);
  return row;
}

describe("Teams approvals", () => {
  it("sends the mentor a card with Approve and Request changes (a reason box), carrying only the submission id", async () => {
    const { id } = await submit("ana");
    const cards = sentTo(max);
    expect(cards).toHaveLength(1);
    // A new message in the mentor's chat, not a reply to their last one.
    expect(cards[0]!.kind).toBe("send");
    const card = cardOf(cards[0]!);
    expect(card.actions).toEqual([
      { type: "Action.Execute", title: "Approve", verb: "approve", data: { id: String(id) }, associatedInputs: "none", style: "positive" },
      { type: "Action.Execute", title: "Request changes", verb: "request_changes", data: { id: String(id) }, associatedInputs: "auto" },
    ]);
    expect(card.body).toContainEqual(expect.objectContaining({ type: "Input.Text", id: "reason" }));
    expect(card.fallbackText).toContain("Ana Intern completed Safety walk");
  });

  it("approves on a click, edits the card in place for the mentor, notifies the intern and announces the badge once in the team channel", async () => {
    // The bot is added to a team: that channel becomes the announcements channel.
    await t.post(teamsActivity(t.connector, { type: "conversationUpdate", from: "29:someone", scope: "channel", membersAdded: [{ id: "28:steps-bot" }] }));
    const { intern, id } = await submit("ben");
    const request = sentTo(max)[0]!;
    t.connector.calls.length = 0;

    const decided = await clickToDecide(max, "approve", { id: String(id) }, request.activityId);
    expect(decided.actions).toEqual([]);
    expect(decided.fallbackText).toContain("Approved by Max Mentor on Jun 16, 10:00 AM");
    expect((await t.steps.store.decisionOf(id))?.decision).toBe("approved");

    const updates = t.connector.calls.filter((c) => c.kind === "update");
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ conversationId: chat(max), activityId: request.activityId });
    // Everyone's copy becomes the card the clicker already sees.
    expect(cardOf(updates[0]!)).toEqual(decided);

    expect(sentTo(intern).map((c) => cardOf(c).fallbackText)).toEqual(
      expect.arrayContaining([`Max Mentor approved Safety walk (#${id}).`, expect.stringContaining("You earned the Public Works Explorer badge")]),
    );
    await t.steps.dispatcher.drain();
    const announced = t.connector.messages().filter((c) => c.conversationId === TEAM_CHANNEL);
    expect(announced).toHaveLength(1);
    expect(announced[0]!.kind).toBe("send");
    expect(cardOf(announced[0]!).fallbackText).toContain("Ben Intern earned the Public Works Explorer badge!");
  });

  it("undo: the intern types it, the mentor's card is updated in place without buttons, and a click on it then decides nothing", async () => {
    const { intern, id, request } = await submit("lee");
    const mentor = sentTo(max).find((c) => c.activityId === request)!;
    t.connector.calls.length = 0;
    await t.post(teamsActivity(t.connector, { from: intern, text: `undo ${id}` }));
    const answer = t.connector.calls.find((c) => c.kind === "reply" && c.conversationId === chat(intern))!;
    expect(cardOf(answer).fallbackText).toBe(`You withdrew Safety walk (#${id}): it is no longer waiting for approval. To send it again, type \`done safety-walk\`.`);
    const updates = t.connector.calls.filter((c) => c.kind === "update");
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ conversationId: mentor.conversationId, activityId: request });
    expect(cardOf(updates[0]!).actions).toEqual([]);
    expect(cardOf(updates[0]!).fallbackText).toContain("Lee Intern withdrew this on Jun 16, 10:00 AM: there is nothing to decide.");
    expect(await click(max, "approve", { id: String(id) }, request)).toBe(`Lee Intern withdrew #${id}, so there is nothing to decide.`);
    expect(await t.steps.store.decisionOf(id)).toBeUndefined();
    t.connector.calls.length = 0;
    await t.post(teamsActivity(t.connector, { from: intern, text: `undo ${id}` }));
    expect(cardOf(t.connector.calls.find((c) => c.kind === "reply")!).fallbackText).toBe(`You already withdrew #${id}, Safety walk.`);
  });

  it("makes a double click one decision", async () => {
    const { id, request } = await submit("cal");
    const answers = await Promise.all([clickToDecide(max, "approve", { id: String(id) }, request), clickToDecide(max, "approve", { id: String(id) }, request)]);
    // Both clicks show the one decision, without buttons.
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]!.actions).toEqual([]);
    expect(await t.steps.store.decisionsOf([id])).toHaveLength(1);
    expect(t.connector.calls.filter((c) => c.kind === "update")).toHaveLength(1);
  });

  it("refuses a mentor who is not the intern's, and changes nothing", async () => {
    const { id } = await submit("dee");
    expect(await click(fay, "approve", { id: String(id) })).toBe(`#${id} is Dee Intern's work, and you are not their mentor. Their mentor or a coordinator can decide it.`);
    expect(await t.steps.store.decisionOf(id)).toBeUndefined();
    expect(t.connector.calls.filter((c) => c.kind === "update")).toHaveLength(0);
  });

  it("ignores tampered button data", async () => {
    const { id } = await submit("eve");
    const stale = "That button is out of date. Type `pending` to see what is waiting.";
    expect(await click(fay, "approve", { id: `${id}; drop table decisions` })).toBe(stale);
    expect(await click(fay, "delete", { id: String(id) })).toBe(stale);
    expect(await click(fay, "approve", {})).toBe(stale);
    expect(await click(fay, "approve", { id: "999999" })).toBe("There is no submission #999999. Type `pending` to see yours.");
    const stranger = t.member("zed", "zed@elsewhere.org");
    expect(await click(stranger, "approve", { id: String(id) })).toBe("You are not on this program's roster yet. Ask your coordinator to add you, then try again.");
    expect(await t.steps.store.personByIdentity("teams", stranger)).toBeUndefined();
    expect(await t.steps.store.decisionOf(id)).toBeUndefined();
  });

  it("asks for a reason before requesting changes, then sends it to the intern", async () => {
    const { intern, id, request } = await submit("gus");
    expect(await click(fay, "request_changes", { id: String(id), reason: "  " }, request)).toContain("Say what to change");
    expect(await t.steps.store.decisionOf(id)).toBeUndefined();
    t.connector.calls.length = 0;
    const decided = await clickToDecide(fay, "request_changes", { id: String(id), reason: "Add the checklist photo" }, request);
    expect(decided.actions).toEqual([]);
    expect(decided.fallbackText).toMatch(/Changes requested by Fay Mentor on .*\nReason: Add the checklist photo/);
    expect(await t.steps.store.decisionOf(id)).toMatchObject({ decision: "changes_requested", reason: "Add the checklist photo" });
    expect(sentTo(intern).map((c) => cardOf(c).fallbackText).join("\n")).toContain(`Fay Mentor sent back Safety walk (#${id}).\nReason: Add the checklist photo`);
    const [update] = t.connector.calls.filter((c) => c.kind === "update");
    expect(cardOf(update!).fallbackText).toContain("Changes requested by Fay Mentor");
    expect(cardOf(update!).fallbackText).toContain("Reason: Add the checklist photo");
  });
});

describe("Teams proactive delivery", () => {
  it("lists a mentor who never used Steps as a failed delivery instead of skipping them", async () => {
    const { id } = await submit("hal");
    const nia = (await t.steps.store.personByEmail("nia@example.org"))!;
    const row = await outboxRow(`approval:${id}:${nia.id}`);
    expect(row).toMatchObject({ status: "failed" });
    expect(row.lastError).toContain("nia@example.org has not started a chat with Steps on teams yet");
    // The coordinators' digest lists it.
    const digest = await buildDigest(t.steps.program, t.steps.store, clock);
    expect(digest.undelivered).toContainEqual({ key: row.key, recipient: `${nia.name} (${nia.email})`, error: row.lastError });
  });

  it("fails a person Teams knows but who never installed the app, with that reason", async () => {
    // Oli wrote in a channel, so Steps knows his Teams id but has no personal chat with him.
    const oli = t.member("oli", "oli@example.org");
    t.connector.notInstalled.add(oli);
    await t.post(teamsActivity(t.connector, { from: oli, text: "status", scope: "channel", mention: true }));
    // His answer cannot go to a private chat, so the channel hears how to get one, and nothing of his progress.
    const [note] = t.connector.messages();
    expect(note).toMatchObject({ kind: "reply", conversationId: expect.stringMatching(/^19:general@thread\.tacv2;messageid=/) });
    expect(cardOf(note!).fallbackText).toBe("I could not answer you in a private chat. Open Steps from Apps in Teams, then type your command there.");
    t.connector.calls.length = 0;
    const { id } = await submit("ivy");
    const person = (await t.steps.store.personByEmail("oli@example.org"))!;
    const row = await outboxRow(`approval:${id}:${person.id}`);
    expect(row).toMatchObject({ status: "failed" });
    expect(row.lastError).toBe("oli@example.org has not installed the Steps app in Teams yet, so Steps cannot message them there");
    expect(t.connector.calls.filter((c) => c.kind === "create-refused")).toHaveLength(1);
  });

  it("opens a personal chat with someone who has the app but wrote only in a channel, and remembers it", async () => {
    const pat = t.member("pat", "pat@example.org");
    await t.post(teamsActivity(t.connector, { from: pat, text: "status", scope: "channel", mention: true }));
    const { id } = await submit("jon");
    expect(t.connector.calls.filter((c) => c.kind === "create")).toHaveLength(1);
    expect(sentTo(pat).map((c) => [c.kind, cardOf(c).fallbackText])).toEqual([
      ["send", expect.stringContaining("Only interns can see intern progress")],
      ["send", expect.stringContaining(`Jon Intern completed Safety walk`)],
    ]);
    const person = (await t.steps.store.personByEmail("pat@example.org"))!;
    const [identity] = await t.steps.store.identitiesOf([person.id]);
    expect(identity!.address).toMatchObject({ reference: { conversation: { id: chat(pat) } } });
    expect(id).toBeGreaterThan(0);
  });

  it("announces in a channel named in the program file, and posts coordinator news only to a named channel", async () => {
    await t.post(teamsActivity(t.connector, { type: "conversationUpdate", from: "29:owner", scope: "channel", membersAdded: [{ id: "28:steps-bot" }] }));
    t.connector.calls.length = 0;
    const transport = (channels: { announcements?: string; coordinators?: string }) =>
      teamsTransport({ adapter: botAdapter(readTeamsEnv(t.steps.env)), appId: "", store: t.steps.store, channels });
    const news = { text: "News", blocks: [] };
    const named = transport({ announcements: "19:badges@thread.tacv2" });
    expect(await named.sendToChannel("announcements", news)).toMatchObject({ platform: "teams", reference: { conversation: { id: "19:badges@thread.tacv2" } } });
    expect(await named.sendToChannel("coordinators", news)).toBeNull();
    expect(await transport({ coordinators: "19:staff@thread.tacv2" }).sendToChannel("coordinators", news)).not.toBeNull();
    expect(await transport({}).sendToChannel("announcements", news)).not.toBeNull();
    expect(t.connector.messages().map((c) => [c.kind, c.conversationId])).toEqual([
      ["send", "19:badges@thread.tacv2"],
      ["send", "19:staff@thread.tacv2"],
      ["send", TEAM_CHANNEL],
    ]);
  });

  it("retries later when the connector answers 429", async () => {
    t.connector.throttle(10, 1, chat(max));
    const { id } = await submit("kim");
    const maxId = (await t.steps.store.personByEmail("max@example.org"))!.id;
    const row = await outboxRow(`approval:${id}:${maxId}`);
    expect(row).toMatchObject({ status: "queued" });
    expect(row.lastError).toContain("429");
    // botbuilder honours a short Retry-After itself a few times before the outbox takes over.
    expect(t.connector.calls.filter((c) => c.kind === "throttled").length).toBeGreaterThan(0);
    t.connector.throttle(0, 0, chat(max));
    expect(sentTo(max)).toHaveLength(0);
    await t.steps.dispatcher.drain();
    expect(sentTo(max)).toHaveLength(0);
    clock = new Date(clock.getTime() + 1_000);
    await t.steps.dispatcher.drain();
    expect(sentTo(max)).toHaveLength(1);
  });
});

describe("Teams approvals, long after", () => {
  it(`a request card clicked after its text was emptied (${SENT_TEXT_KEPT_DAYS} days on) is still the request: the clicker sees it decided, and it is edited in place`, async () => {
    const start = clock;
    try {
      // An intern added to the roster for this test alone, so it runs on its own.
      await t.steps.store.scoped(t.steps.program.id).upsertPeople([{ email: "ray@example.org", name: "Ray Intern", role: "intern", department: "public-works", mentorEmail: "max@example.org" }]);
      const { id, request } = await submit("ray");
      const key = `approval:${id}:${(await t.steps.store.personByEmail("max@example.org"))!.id}`;
      clock = new Date(start.getTime() + SENT_TEXT_KEPT_DAYS * 24 * 3600_000 + 1000);
      await t.steps.runDue(clock);
      expect(await outboxRow(key)).toMatchObject({ status: "sent", payload: {}, delivered: [expect.objectContaining({ activityId: request })] });

      t.connector.calls.length = 0;
      const decided = await clickToDecide(max, "approve", { id: String(id) }, request);
      expect(decided.actions).toEqual([]);
      expect(decided.fallbackText).toContain("Approved by Max Mentor");
      const updates = t.connector.calls.filter((c) => c.kind === "update");
      expect(updates).toHaveLength(1);
      expect(updates[0]).toMatchObject({ conversationId: chat(max), activityId: request });
    } finally {
      clock = start;
    }
  });
});
