import { eq, inArray } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import badgesAdapter from "../adapters/badges/index.ts";
import slackAdapter from "../adapters/slack/index.ts";
import { awards, decisions, outbox } from "../db/schema.ts";
import { buildDigest } from "../src/domain/digest.ts";
import { createLogger } from "../src/log.ts";
import { slackSender, startFakeSlack, type FakeSlack, type SlackCall, type SlackSender } from "./support/fake-slack.ts";
import { ANNOUNCE, SECRET, textOf } from "./support/slack.ts";
import { BOT_ID, cardClick, cardOf, teamsActivity, teamsRig, type TeamsRig } from "./support/teams.ts";

// One roster, two platforms, one server: Ana, Dee (interns) and Fay (mentor) use
// Slack, Max, Nia (mentors) and Cal (intern) use Teams. Everyone is matched by email.
const SLACK_USERS = { ana: "U0ANA", fay: "U0FAY", dee: "U0DEE" } as const;
/** The Teams channel the program file names for announcements. */
const TEAMS_ANNOUNCE = "19:announce@thread.tacv2";
const TASKS = [
  { slug: "safety-walk", title: "Safety walk" },
  { slug: "fleet-tour", title: "Fleet tour" },
];
const clock = new Date("2026-06-16T17:00:00Z");

let fake: FakeSlack;
let t: TeamsRig;
let slack: SlackSender;
/** Warnings and errors logged while the flows ran: a delivery that failed for good shows up here. */
const logged: { level: string; message: string }[] = [];
const log = createLogger("warn", (line) => logged.push(JSON.parse(line) as { level: string; message: string }));
beforeAll(async () => {
  // Max and Cal have no Slack account: a message for them that went to Slack would fail.
  fake = await startFakeSlack({ emails: { [SLACK_USERS.ana]: "ana@example.org", [SLACK_USERS.fay]: "fay@example.org", [SLACK_USERS.dee]: "dee@example.org" } });
  t = await teamsRig(
    {
      PROGRAM_FILE: "test/fixtures/cross-program.yml",
      ROSTER_FILE: "test/fixtures/cross-roster.csv",
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: "xoxb-test-token",
      SLACK_API_URL: fake.apiUrl,
    },
    { now: () => clock, log, adapters: [slackAdapter, badgesAdapter] },
  );
  slack = slackSender(`${t.server.url}/slack/events`, SECRET, fake);
  // The bot is added to a team, which gives Teams announcements a way in.
  await t.post(teamsActivity(t.connector, { type: "conversationUpdate", from: "29:someone", scope: "channel", membersAdded: [{ id: BOT_ID }] }));
});
afterAll(async () => {
  await t.close();
  await fake.close();
});
beforeEach(() => {
  t.connector.calls.length = 0;
  fake.clear();
  logged.length = 0;
});
afterEach(() => {
  expect(logged).toEqual([]);
});

const chat = (teamsUser: string) => `a:personal-${teamsUser}`;
const dm = (slackUser: string) => `D${slackUser}`;
const teamsTo = (conversationId: string) => t.connector.messages().filter((c) => c.conversationId === conversationId);
const slackTo = (channel: string) => fake.of("chat.postMessage").filter((c) => c.body.channel === channel);

/** Slack work goes on after the ack: once every request's work and every delivery is done, `find` must find it. */
async function afterAllWork<T>(what: string, find: () => T | undefined | null | false | Promise<T | undefined | null | false>): Promise<T> {
  await t.server.idle();
  const found = await find();
  if (!found) throw new Error(`no ${what} once all work was done; Slack saw ${fake.calls.map((c) => c.method).join(", ")}; Teams saw ${t.connector.calls.map((c) => c.kind).join(", ")}`);
  return found;
}

async function submissionOf(email: string, task: string) {
  const person = (await t.steps.store.personByEmail(email))!;
  const found = (await t.steps.store.submissionsOf(person.id)).find((s) => s.task === task);
  if (!found) throw new Error(`${email} has no submission for ${task}`);
  return found;
}

/** What the database holds for an intern once the flow is over: one decision per submission, one award. */
async function recorded(email: string) {
  const person = (await t.steps.store.personByEmail(email))!;
  const subs = await t.steps.store.submissionsOf(person.id);
  const rows = await t.steps.db.db.select().from(decisions).where(inArray(decisions.submissionId, subs.map((s) => s.id)));
  const won = await t.steps.db.db.select().from(awards).where(eq(awards.personId, person.id));
  return { subs, decisions: rows, awards: won };
}

/** The badge page answers: unpublished until the intern publishes it, then with their name on it. */
async function badgePage(id: string): Promise<{ status: number; html: string }> {
  const res = await fetch(`${t.server.url}/badges/${id}`);
  return { status: res.status, html: await res.text() };
}

/** The badge was announced exactly once on each platform, naming the intern. */
async function expectAnnouncedOnce(name: string) {
  // Anything still queued would show up here as a second announcement.
  await t.steps.dispatcher.drain();
  const inSlack = slackTo(ANNOUNCE);
  expect(inSlack).toHaveLength(1);
  expect(textOf(inSlack[0]!.body)).toContain(`${name} earned the Public Works Explorer badge!`);
  const inTeams = teamsTo(TEAMS_ANNOUNCE);
  expect(inTeams).toHaveLength(1);
  expect(inTeams[0]!.kind).toBe("send");
  expect(cardOf(inTeams[0]!).fallbackText).toContain(`${name} earned the Public Works Explorer badge!`);
}

describe("cross-platform: one roster, one server, Slack and Teams", () => {
  it("serves both chat adapters and the badge pages on one server", () => {
    expect(t.server.adapters).toEqual(["teams", "slack", "badges"]);
  });

  it("intern on Slack, mentor on Teams: done → card → Approve → card updated, intern told on Slack → badge announced once", async () => {
    const max = t.member("max", "max@example.org");
    // Max installs the app: Steps matches him by email and keeps his personal conversation.
    await t.post(teamsActivity(t.connector, { type: "conversationUpdate", from: max, membersAdded: [{ id: BOT_ID }] }));
    expect(cardOf(teamsTo(chat(max))[0]!).fallbackText).toContain("Hi Max Mentor, Steps is ready.");
    t.connector.calls.length = 0;

    for (const [n, task] of TASKS.entries()) {
      const res = await slack.command(SLACK_USERS.ana, `done ${task.slug}`);
      expect(res.status).toBe(200);
      const reply = await afterAllWork("the ephemeral answer", () => fake.of("response_url")[n]);
      const sub = await submissionOf("ana@example.org", task.slug);
      expect(textOf(reply.body)).toContain(`Recorded ${task.title} (#${sub.id}). Max Mentor will review it.`);

      // The request reaches Max proactively, as a new message in his chat, with the two buttons.
      const request = await afterAllWork("the mentor's card", () => teamsTo(chat(max))[n]);
      expect(request.kind).toBe("send");
      const card = cardOf(request);
      expect(card.fallbackText).toContain(`Ana Intern completed ${task.title}`);
      expect(card.actions.map((a) => [a.verb, a.data])).toEqual([
        ["approve", { id: String(sub.id) }],
        ["request_changes", { id: String(sub.id) }],
      ]);

      const click = await t.post(cardClick(t.connector, max, "approve", card.actions[0].data, request.activityId));
      expect(click.status).toBe(200);
      // Max's card is replaced at once by the decided one.
      const answered = (await click.json()) as { type: string; value: unknown };
      expect(answered.type).toBe("application/vnd.microsoft.card.adaptive");
      expect(cardOf({ body: { attachments: [{ content: answered.value }] } })).toMatchObject({ actions: [], fallbackText: expect.stringContaining("Approved by Max Mentor on Jun 16, 10:00 AM") });

      // The card is edited in place: same message, no buttons, who decided and when.
      const updates = t.connector.calls.filter((c) => c.kind === "update" && c.activityId === request.activityId);
      expect(updates).toHaveLength(1);
      expect(updates[0]!.conversationId).toBe(chat(max));
      expect(cardOf(updates[0]!).actions).toEqual([]);
      expect(cardOf(updates[0]!).fallbackText).toContain("Approved by Max Mentor on Jun 16, 10:00 AM");

      // Ana hears about it on Slack, in her DM.
      const told = await afterAllWork("the intern's DM", () => slackTo(dm(SLACK_USERS.ana)).find((c) => textOf(c.body).includes(`approved ${task.title}`)));
      expect(textOf(told.body)).toContain(`Max Mentor approved ${task.title} (#${sub.id}).`);
    }

    await expectAnnouncedOnce("Ana Intern");
    const forAna = slackTo(dm(SLACK_USERS.ana)).map((c) => textOf(c.body));
    const badgeDms = forAna.filter((text) => text.includes("You earned the Public Works Explorer badge"));
    expect(badgeDms).toHaveLength(1);
    const id = /<http:\/\/steps\.test\/badges\/([\w-]{24})\|Your badge page>/.exec(badgeDms[0]!)?.[1];
    expect(id).toBeDefined();

    // Nothing for Ana went to Teams, nothing for Max went to Slack.
    expect(t.connector.messages().filter((c) => c.conversationId !== chat(max) && c.conversationId !== TEAMS_ANNOUNCE)).toEqual([]);
    expect(fake.of("users.lookupByEmail")).toEqual([]);
    expect(fake.of("chat.postMessage").filter((c) => c.body.channel !== dm(SLACK_USERS.ana) && c.body.channel !== ANNOUNCE)).toEqual([]);

    // A late second click decides nothing more.
    const first = await submissionOf("ana@example.org", "safety-walk");
    const again = await t.post(cardClick(t.connector, max, "approve", { id: String(first.id) }));
    expect(((await again.json()) as { value: string }).value).toContain("was already decided");

    const db = await recorded("ana@example.org");
    expect(db.subs.map((s) => s.status)).toEqual(["approved", "approved"]);
    expect(db.decisions.map((d) => [d.submissionId, d.decision]).sort()).toEqual(db.subs.map((s) => [s.id, "approved"]).sort());
    expect(db.awards).toHaveLength(1);
    expect(db.awards[0]).toMatchObject({ id, playlist: "public-works", published: false });

    // The link answers; once Ana publishes it from Slack it shows her badge.
    const hidden = await badgePage(id!);
    expect(hidden.status).toBe(200);
    expect(hidden.html).toContain("its owner has not made it public");
    await slack.command(SLACK_USERS.ana, "badge publish public-works");
    await afterAllWork("the publish answer", () => fake.of("response_url").find((c) => textOf(c.body).includes("public")));
    const shown = await badgePage(id!);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain("Ana Intern");
    expect(shown.html).toContain("Public Works Explorer");
  });

  it("intern on Teams, mentor on Slack: done → Block Kit buttons → Approve → message updated, intern told on Teams → badge announced once", async () => {
    const cal = t.member("cal", "cal@example.org");

    for (const [n, task] of TASKS.entries()) {
      await t.post(teamsActivity(t.connector, { from: cal, text: `done ${task.slug}` }));
      const sub = await submissionOf("cal@example.org", task.slug);
      const reply = teamsTo(chat(cal)).filter((c) => c.kind === "reply").at(-1)!;
      expect(cardOf(reply).fallbackText).toContain(`Recorded ${task.title} (#${sub.id}). Fay Mentor will review it.`);

      // Fay never wrote to Steps: found on Slack by her roster email, asked in a DM with buttons.
      const request = await afterAllWork("the mentor's DM", () => slackTo(dm(SLACK_USERS.fay))[n]);
      expect(textOf(request.body)).toContain(`Cal Intern completed ${task.title}`);
      const buttons = (request.body.blocks as { type: string; elements?: { action_id: string; value: string; text: { text: string } }[] }[]).find((b) => b.type === "actions")!.elements!;
      expect(buttons.map((b) => [b.text.text, b.value])).toEqual([
        ["Approve", String(sub.id)],
        ["Request changes", String(sub.id)],
      ]);

      const click = await slack.click(SLACK_USERS.fay, buttons[0]!.action_id, buttons[0]!.value);
      expect(click.status).toBe(200);
      const update = await afterAllWork("the edited request", () => fake.of("chat.update").find((c: SlackCall) => c.body.ts === request.response.ts));
      expect(update.body.channel).toBe(dm(SLACK_USERS.fay));
      expect(textOf(update.body)).toContain("Approved by Fay Mentor on Jun 16, 10:00 AM");
      expect((update.body.blocks as { type: string }[]).some((b) => b.type === "actions")).toBe(false);

      // Cal hears about it on Teams, proactively.
      const told = await afterAllWork("the intern's card", () => teamsTo(chat(cal)).find((c) => c.kind === "send" && cardOf(c).fallbackText.includes(`approved ${task.title}`)));
      expect(cardOf(told).fallbackText).toContain(`Fay Mentor approved ${task.title} (#${sub.id}).`);
    }
    expect(fake.of("users.lookupByEmail").map((c) => c.body.email)).toEqual(["fay@example.org"]);
    expect(fake.of("chat.update")).toHaveLength(TASKS.length);

    await afterAllWork("the badge card", () => teamsTo(chat(cal)).find((c) => cardOf(c).fallbackText.includes("You earned")));
    await expectAnnouncedOnce("Cal Intern");
    const badgeCards = teamsTo(chat(cal)).filter((c) => cardOf(c).fallbackText.includes("You earned the Public Works Explorer badge"));
    expect(badgeCards).toHaveLength(1);
    const id = /http:\/\/steps\.test\/badges\/([\w-]{24})/.exec(JSON.stringify(badgeCards[0]!.body))?.[1];
    expect(id).toBeDefined();

    // Nothing for Cal went to Slack, nothing for Fay went to Teams.
    expect(fake.of("chat.postMessage").filter((c) => c.body.channel !== dm(SLACK_USERS.fay) && c.body.channel !== ANNOUNCE)).toEqual([]);
    expect(t.connector.messages().filter((c) => c.conversationId !== chat(cal) && c.conversationId !== TEAMS_ANNOUNCE)).toEqual([]);

    const db = await recorded("cal@example.org");
    expect(db.subs.map((s) => s.status)).toEqual(["approved", "approved"]);
    expect(db.decisions.map((d) => [d.submissionId, d.decision]).sort()).toEqual(db.subs.map((s) => [s.id, "approved"]).sort());
    expect(db.awards).toHaveLength(1);
    expect(db.awards[0]!.id).toBe(id);
    expect((await badgePage(id!)).html).toContain("its owner has not made it public");

    // Cal publishes it with the card's own button; tampered button data changes nothing.
    const publish = cardOf(badgeCards[0]!).actions.find((a) => a.verb === "publish_badge");
    expect(publish).toMatchObject({ type: "Action.Execute", data: { id: "public-works" } });
    const clickPublish = async (data: Record<string, unknown>) => ((await (await t.post(cardClick(t.connector, cal, "publish_badge", data))).json()) as { value: string }).value;
    expect(await clickPublish({ id: "../public-works" })).toBe("That button is out of date. Type `pending` to see what is waiting.");
    expect(await clickPublish({ id: "fire" })).toBe("You have no badge for `fire`. Type `badges` to see yours.");
    expect((await recorded("cal@example.org")).awards[0]!.published).toBe(false);
    expect(await clickPublish(publish.data)).toContain("Your Public Works Explorer badge page is now public");
    const shown = await badgePage(id!);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain("Cal Intern");
    expect(shown.html).toContain("Public Works Explorer");
  });

  it("a mentor on Teams who never installed the app is listed for coordinators, then decides from `pending` once they do", async () => {
    await slack.command(SLACK_USERS.dee, "done safety-walk");
    await afterAllWork("the ephemeral answer", () => fake.of("response_url")[0]);
    const sub = await submissionOf("dee@example.org", "safety-walk");
    const nia = (await t.steps.store.personByEmail("nia@example.org"))!;
    // Slack reaches anyone by email, so it is tried; Nia has no Slack account either.
    const key = `approval:${sub.id}:${nia.id}`;
    const row = await afterAllWork("the failed request", () => t.steps.db.db.select().from(outbox).where(eq(outbox.key, key)).then(([r]) => r?.status === "failed" && r));
    expect(row.lastError).toBe("nia@example.org was not found on slack (slack: users_not_found) and has not started a chat with Steps on teams yet");
    expect(t.connector.messages()).toEqual([]);
    const digest = await buildDigest(t.steps.program, t.steps.store, clock);
    expect(digest.undelivered).toContainEqual({ key, recipient: "Nia Mentor (nia@example.org)", error: row.lastError });

    // Nia installs the app and asks what is waiting: the request is there, with its buttons.
    const niaId = t.member("nia", "nia@example.org");
    await t.post(teamsActivity(t.connector, { type: "conversationUpdate", from: niaId, membersAdded: [{ id: BOT_ID }] }));
    await t.post(teamsActivity(t.connector, { from: niaId, text: "pending" }));
    const pendingCard = teamsTo(chat(niaId)).at(-1)!;
    const waiting = cardOf(pendingCard);
    expect(waiting.fallbackText).toContain("Dee Intern completed Safety walk");
    const approve = waiting.actions.find((a) => a.verb === "approve");
    expect(approve.data).toEqual({ id: String(sub.id) });
    t.connector.calls.length = 0;

    const click = await t.post(cardClick(t.connector, niaId, "approve", approve.data, pendingCard.activityId));
    // The `pending` card holds other requests' buttons too: it stays, and Nia reads the outcome.
    expect(((await click.json()) as { value: string }).value).toBe(`Approved by Nia Mentor on Jun 16, 10:00 AM. #${sub.id} is decided.`);
    // No request card was ever delivered to edit, so the decided card comes to Nia as a new message.
    expect(t.connector.calls.filter((c) => c.kind === "update")).toEqual([]);
    expect(teamsTo(chat(niaId)).map((c) => cardOf(c).fallbackText)).toEqual([expect.stringContaining("Approved by Nia Mentor on Jun 16, 10:00 AM")]);
    const told = await afterAllWork("the intern's DM", () => slackTo(dm(SLACK_USERS.dee)).find((c) => textOf(c.body).includes("approved Safety walk")));
    expect(textOf(told.body)).toContain(`Nia Mentor approved Safety walk (#${sub.id}).`);
    expect((await recorded("dee@example.org")).decisions).toHaveLength(1);
    // The one failure was logged, and it is the only thing logged.
    expect(logged).toEqual([expect.objectContaining({ level: "warn", message: "delivery failed for good", key })]);
    logged.length = 0;
  });
});
