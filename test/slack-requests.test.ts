import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SECRET, slackStack, textOf, users, type SlackStack } from "./support/slack.ts";
import { slackHeaders } from "./support/fake-slack.ts";

let s: SlackStack;
beforeAll(async () => {
  s = await slackStack();
});
beforeEach(() => s.reset());
afterAll(() => s.close());

const lastReply = async (n = 1) => textOf((await s.waitFor("response_url", n)).at(-1)!.body);
const person = async (email: string) => (await s.steps.store.personByEmail(email))!;
/** Calls that change something visible in Slack (auth.test and look-ups do not). */
const writes = () => s.fake.calls.filter((c) => /^(chat\.|views\.|conversations\.open|response_url)/.test(c.method));

async function submitAsAna(task = "safety-walk") {
  await s.send.command(users.ana, `done ${task}`);
  await s.waitFor("chat.postMessage");
  const ana = await person("ana@example.org");
  const sub = (await s.steps.store.submissionsOf(ana.id)).find((x) => x.task === task)!;
  s.fake.clear();
  return sub;
}

async function nothingDecided(id: number) {
  await s.settle();
  expect((await s.steps.store.submission(id))!.status).toBe("pending");
  expect(await s.steps.store.decisionsOf([id])).toEqual([]);
  expect(s.fake.of("chat.update")).toEqual([]);
  expect(s.fake.of("chat.postMessage")).toEqual([]);
}

describe("Slack requests: signatures", () => {
  it("refuses a forged signature, a stale timestamp and an unsigned request with 401, recording and sending nothing", async () => {
    const forged = await s.send.command(users.ana, "done safety-walk", { secret: "not-the-secret-at-all" });
    const stale = await s.send.command(users.ana, "done safety-walk", { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    const body = "command=%2Fsteps&text=done+safety-walk&user_id=U0ANA";
    const unsigned = await s.send.raw(body, "application/x-www-form-urlencoded");
    // A valid signature for a different body: the body was changed on the way.
    const swapped = await s.send.raw(body.replace("safety-walk", "fleet-tour"), "application/x-www-form-urlencoded", slackHeaders(SECRET, body, "application/x-www-form-urlencoded"));
    expect([forged.status, stale.status, unsigned.status, swapped.status]).toEqual([401, 401, 401, 401]);
    await s.settle();
    expect(writes()).toEqual([]);
    expect(s.fake.of("users.info")).toEqual([]);
    expect(await s.steps.store.submissionsOf((await person("ana@example.org")).id)).toEqual([]);
  });

  it("answers Slack's URL verification challenge", async () => {
    const body = JSON.stringify({ type: "url_verification", challenge: "abc123", token: "x" });
    const res = await s.send.raw(body, "application/json", slackHeaders(SECRET, body, "application/json"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: "abc123" });
  });
});

describe("Slack requests: commands", () => {
  it("acks a signed command whose response_url is not a URL, and records and sends nothing", async () => {
    const res = await s.send.command(users.ana, "done safety-walk", { responseUrl: "not a url" });
    expect(res.status).toBe(200);
    await s.settle();
    expect(writes()).toEqual([]);
    expect(await s.steps.store.submissionsOf((await person("ana@example.org")).id)).toEqual([]);
  });

  it("matches the Slack user by email once, remembers the id, and answers every grammar command ephemerally", async () => {
    await s.send.command(users.ana, "status");
    expect(await lastReply()).toContain("Your progress");
    await s.send.command(users.ana, "tasks");
    expect(await lastReply(2)).toContain("safety-walk");
    await s.send.command(users.ana, "help");
    expect(await lastReply(3)).toContain("done &lt;task&gt;");
    expect(s.fake.of("users.info")).toHaveLength(1);
    expect((await s.steps.store.personByIdentity("slack", users.ana))?.person.email).toBe("ana@example.org");
    expect(s.fake.of("response_url").every((c) => c.body.response_type === "ephemeral")).toBe(true);
  });

  it("tells someone not on the roster to ask their coordinator, and records nothing", async () => {
    await s.send.command(users.stranger, "done safety-walk");
    expect(await lastReply()).toContain("You are not on this program's roster yet. Ask your coordinator");
    await s.send.command("U0NOSUCHUSER", "status");
    expect(await lastReply(2)).toContain("Ask your coordinator");
    await s.settle();
    expect(await s.steps.store.personByIdentity("slack", users.stranger)).toBeUndefined();
    expect(s.fake.of("chat.postMessage")).toEqual([]);
  });

  it("answers an unknown task with suggestions and records nothing", async () => {
    await s.send.command(users.ana, "done safty-walk");
    expect(await lastReply()).toContain("There is no task `safty-walk`. Did you mean `safety-walk`?");
    await s.settle();
    expect(await s.steps.store.submissionsOf((await person("ana@example.org")).id)).toEqual([]);
    expect(s.fake.of("chat.postMessage")).toEqual([]);
  });

  it("names every command as it is typed in Slack: after /steps", async () => {
    await s.send.command(users.ana, "xyzzy");
    expect(await lastReply()).toContain("I don't know `xyzzy`. Type `/steps help` for all commands.");
    await s.send.command(users.ana, "done safety-walk");
    const [dm] = await s.waitFor("chat.postMessage");
    const id = (await s.steps.store.submissionsOf((await person("ana@example.org")).id))[0]!.id;
    expect(textOf(dm!.body)).toContain(`Or type \`/steps approve ${id}\` / \`/steps changes ${id} &lt;reason&gt;\``);
    expect(textOf(dm!.body)).not.toContain("<cmd>");
  });

  it("answers an over-long command with the grammar's own reply", async () => {
    await s.send.command(users.ana, `done interview-staff ${"y".repeat(5000)}`);
    expect(await lastReply()).toContain("commands must be under");
  });
});

describe("Slack requests: buttons", () => {
  it("ignores an Approve click by a mentor who is not the intern's", async () => {
    const sub = await submitAsAna();
    await s.send.click(users.fay, "approve", String(sub.id));
    expect(await lastReply()).toContain("you are not their mentor");
    await nothingDecided(sub.id);
  });

  it("ignores an intern approving their own work", async () => {
    const sub = await submitAsAna();
    await s.send.click(users.ana, "approve", String(sub.id));
    expect(await lastReply()).toContain("You cannot approve your own work");
    await nothingDecided(sub.id);
  });

  it.each([["abc"], ["999999"], ["-1"], ["1 OR 1=1"], ["x".repeat(2001)]])("treats a tampered button value %# as out of date", async (value) => {
    const sub = await submitAsAna();
    await s.send.click(users.max, "approve", value);
    if (value.length > 2000) {
      // Longer than Slack ever sends: refused before it reaches the core.
      await s.settle();
      expect(s.fake.of("response_url")).toEqual([]);
    } else {
      expect(await lastReply()).toMatch(/out of date|There is no submission/);
    }
    await nothingDecided(sub.id);
  });

  it("request changes: the modal asks a reason, then the request is updated and the intern told why", async () => {
    const sub = await submitAsAna();
    await s.send.click(users.max, "request_changes", String(sub.id));
    const [open] = await s.waitFor("views.open");
    const view = open!.body.view as { callback_id: string; private_metadata: string; blocks: { type: string; block_id: string }[] };
    expect(open!.body.trigger_id).toMatch(/^trig\./);
    expect(view.callback_id).toBe("request_changes");
    expect(view.blocks[0]).toMatchObject({ type: "input", block_id: "reason" });
    expect(await s.steps.store.decisionsOf([sub.id])).toEqual([]);

    const empty = await s.send.submitChanges(users.max, view.private_metadata, "   ");
    expect(await empty.json()).toEqual({ response_action: "errors", errors: { reason: "Say what should change." } });
    await nothingDecided(sub.id);

    const wrong = await s.send.submitChanges(users.fay, view.private_metadata, "Looks wrong");
    expect(wrong.status).toBe(200);
    expect(await lastReply()).toContain("you are not their mentor");
    await nothingDecided(sub.id);

    // Slack sends the `<`, `>` and `&` a person types as entities; Steps stores what was typed and escapes it once.
    await s.send.submitChanges(users.max, view.private_metadata, "Add a photo of the &lt;!here&gt; site &amp; fence");
    const [update] = await s.waitFor("chat.update");
    expect(textOf(update!.body)).toContain("Changes requested by Max Mentor");
    const reason = '{"type":"mrkdwn","text":"*Reason*"},{"type":"plain_text","text":"Add a photo of the &lt;!here&gt; site &amp; fence","emoji":true}';
    expect(textOf(update!.body)).toContain(reason);
    const dm = (await s.waitFor("chat.postMessage")).find((c) => c.body.channel === `D${users.ana}`)!;
    expect(textOf(dm.body)).toContain("Max Mentor sent back Safety walk");
    expect(textOf(dm.body)).toContain(reason);
    const decision = (await s.steps.store.decisionsOf([sub.id]))[0]!;
    expect(decision).toMatchObject({ decision: "changes_requested", reason: "Add a photo of the <!here> site & fence" });
  });
});

describe("Slack requests: App Home and event retries", () => {
  const homeText = (call: { body: Record<string, unknown> }) => JSON.stringify(call.body.view);
  const homeOpened = (user: string) => ({ type: "app_home_opened", user, channel: `D${user}`, tab: "home", event_ts: "1.1" });

  it("publishes each role's Home tab, and handles an event Slack re-sends only once", async () => {
    await s.send.event(homeOpened(users.ana), "Ev1");
    const [home] = await s.waitFor("views.publish");
    expect(home!.body.user_id).toBe(users.ana);
    expect(homeText(home!)).toContain("STEPS — 0%");
    expect(await s.send.event(homeOpened(users.ana), "Ev1", 1)).toHaveProperty("status", 200);
    expect(await s.send.event(homeOpened(users.ana), "Ev1", 2)).toHaveProperty("status", 200);
    await s.settle();
    expect(s.fake.of("views.publish")).toHaveLength(1);

    await s.send.event(homeOpened(users.cora), "Ev2");
    const coordinator = (await s.waitFor("views.publish", 2))[1]!;
    expect(homeText(coordinator)).toContain("Waiting for your approval (0)");
    expect(homeText(coordinator)).toContain("Test STEPS — week of");

    await s.send.event(homeOpened(users.stranger), "Ev3");
    expect(homeText((await s.waitFor("views.publish", 3))[2]!)).toContain("Ask your coordinator");
  });

  it("refreshes a mentor's open Home tab when work arrives, with the same buttons, and the intern's after a decision", async () => {
    await s.send.event(homeOpened(users.max), "Ev10");
    await s.send.event(homeOpened(users.ana), "Ev11");
    await s.waitFor("views.publish", 2);
    s.fake.clear();
    await s.send.command(users.ana, "done safety-walk");
    await s.waitFor("chat.postMessage");
    const publishes = await s.waitFor("views.publish", 2);
    const max = publishes.find((p) => p.body.user_id === users.max)!;
    expect(homeText(max)).toContain("Waiting for your approval (1)");
    expect(JSON.stringify(max.body)).toContain('"action_id":"approve"');
    // The DM channel learnt from app_home_opened is used: no conversations.open needed.
    expect(s.fake.of("conversations.open")).toEqual([]);
    const ana = publishes.find((p) => p.body.user_id === users.ana)!;
    expect(homeText(ana)).toContain("waiting for approval");

    // Approve from the Home tab: no response_url, so the reply comes as a direct message.
    const sub = (await s.steps.store.submissionsOf((await person("ana@example.org")).id))[0]!;
    s.fake.clear();
    await s.send.click(users.max, "approve", String(sub.id), { responseUrl: null });
    const posts = await s.waitFor("chat.postMessage", 2);
    expect(posts.map((p) => p.body.channel).sort()).toEqual([`D${users.ana}`, `D${users.max}`]);
    expect(textOf(posts.find((p) => p.body.channel === `D${users.max}`)!.body)).toContain(`#${sub.id} is decided`);
    const after = await s.waitFor("views.publish", 2);
    expect(homeText(after.find((p) => p.body.user_id === users.max)!)).toContain("Waiting for your approval (0)");
    expect(homeText(after.find((p) => p.body.user_id === users.ana)!)).toContain("1/1 (100%)");
  });
});

describe("Slack requests: database down", () => {
  it("acknowledges nothing it could not record: a 500, so Slack retries an event and tells the person a command failed", async () => {
    await s.steps.db.close();
    const command = await s.send.command(users.ana, "done safety-walk");
    const click = await s.send.click(users.max, "approve", "1");
    const event = await s.send.event({ type: "app_home_opened", user: users.ana, channel: `D${users.ana}`, tab: "home", event_ts: "1.1" }, "EvDown");
    expect([command.status, click.status, event.status]).toEqual([500, 500, 500]);
    expect(await command.text()).not.toMatch(/sql|database|connect|pglite|postgres/i);
    await s.settle();
    expect(writes()).toEqual([]);
  });
});
