import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/log.ts";
import { slackPayloads } from "./support/fake-slack.ts";
import { startFakeSocket, type FakeSocket } from "./support/fake-socket.ts";
import { ANNOUNCE, slackStack, textOf, users, type SlackStack } from "./support/slack.ts";
import { until } from "./support/wait.ts";

// Socket Mode end to end: Bolt's own Socket Mode client against a local
// WebSocket that speaks Slack's side of the protocol.

let socket: FakeSocket;
let s: SlackStack;
const logged: { message: string }[] = [];
beforeAll(async () => {
  socket = await startFakeSocket();
  const log = createLogger("error", (line) => logged.push(JSON.parse(line) as { message: string }));
  s = await slackStack({ fake: { socketUrl: socket.url }, vars: { SLACK_APP_TOKEN: "xapp-1-test", SLACK_SIGNING_SECRET: "" }, log });
});
afterAll(async () => {
  await s?.close();
  await socket?.close();
});

const slackHealth = async () => ((await (await fetch(`${s.server.url}/healthz`)).json()) as { parts: { slack?: string } }).parts.slack;
const submissionsOf = async (email: string) => s.steps.store.submissionsOf((await s.steps.store.personByEmail(email))!.id);

describe("Slack over Socket Mode", () => {
  it("runs done → approve → badge over the socket, reconnects when asked and when dropped, and loses or repeats nothing", async () => {
    expect(socket.connections()).toBe(1);
    expect(await slackHealth()).toBe("ok");
    // Nothing listens for Slack over HTTP in Socket Mode.
    expect((await fetch(`${s.server.url}/slack/events`, { method: "POST", body: "{}" })).status).toBe(404);

    // The intern's command, acked by envelope_id once recorded; the reply goes through response_url.
    const done = slackPayloads.command(users.ana, "done safety-walk", s.fake.responseUrl("done-1"));
    expect(await socket.send("slash_commands", done)).toEqual({});
    expect(textOf((await s.waitFor("response_url"))[0]!.body)).toMatch(/^\["Recorded Safety walk \(#\d+\)/);
    const [request] = await s.waitFor("chat.postMessage");
    expect(request!.body.channel).toBe(`D${users.max}`);
    const [first] = await submissionsOf("ana@example.org");

    // The mentor approves from the message.
    await socket.send("interactive", slackPayloads.click(users.max, "approve", String(first!.id), s.fake.responseUrl("approve-1")));
    const [update] = await s.waitFor("chat.update");
    expect(textOf(update!.body)).toContain("Approved by Max Mentor");

    // Slack recycles the connection: it says so, the app reconnects, and /healthz tells meanwhile.
    // (The client waits about 5 s before it reconnects.)
    socket.refresh();
    await until("/healthz reports the socket down", async () => (await slackHealth()) !== "ok");
    expect(await slackHealth()).toMatch(/^socket disconnected/);
    await socket.connected(2);
    await until("/healthz reports the socket up again", async () => (await slackHealth()) === "ok");

    // The last task of the playlist.
    await socket.send("slash_commands", slackPayloads.command(users.ana, "done fleet-tour", s.fake.responseUrl("done-2")));
    await s.waitFor("chat.postMessage", 3);
    const second = (await submissionsOf("ana@example.org")).find((x) => x.task === "fleet-tour")!;

    // Its approval is recorded and worked off, but the ack is lost and the connection drops: Slack delivers the
    // envelope again on the next connection, and the inbox key makes it one decision.
    const approval = socket.send("interactive", slackPayloads.click(users.max, "approve", String(second.id), s.fake.responseUrl("approve-2")), { loseAck: true });
    await s.waitFor("chat.update", 2);
    socket.drop();
    await until("/healthz reports the dropped socket", async () => (await slackHealth()) !== "ok");
    await socket.connected(3);
    await approval;
    await s.settle();

    // An event, and Slack's retry of it under the same event_id; then the first command delivered again.
    const opened = slackPayloads.event({ type: "app_home_opened", user: users.ana, channel: `D${users.ana}`, tab: "home", event_ts: "1.1" }, "EvSocket1");
    await socket.send("events_api", opened);
    await socket.send("events_api", opened, { retryAttempt: 1 });
    await socket.send("slash_commands", done);
    await s.settle();

    expect(socket.acked.map((a) => a.payload)).toEqual([{}, {}, {}, {}, {}, {}, {}]);
    expect((await submissionsOf("ana@example.org")).map((x) => [x.task, x.status])).toEqual([
      ["safety-walk", "approved"],
      ["fleet-tour", "approved"],
    ]);
    expect(await s.steps.store.decisionsOf([first!.id, second.id])).toHaveLength(2);
    const answered = s.fake.of("response_url").map((c) => c.path);
    expect(answered.sort()).toEqual(["/respond/approve-1", "/respond/approve-2", "/respond/done-1", "/respond/done-2"]);
    expect(s.fake.of("chat.update")).toHaveLength(2);
    const posts = s.fake.of("chat.postMessage");
    expect(posts.filter((p) => p.body.channel === ANNOUNCE)).toHaveLength(1);
    expect(textOf(posts.find((p) => p.body.channel === ANNOUNCE)!.body)).toContain("Public Works Explorer");
    expect(posts.filter((p) => p.body.channel === `D${users.ana}` && /approved Fleet tour/.test(textOf(p.body)))).toHaveLength(1);
    expect(s.fake.of("views.publish").filter((p) => p.body.user_id === users.ana)).toHaveLength(1);
  });

  // Last: it closes the database.
  it("leaves an envelope it could not record unacked, so Slack sends it again", async () => {
    const answered = s.fake.of("response_url").length;
    await s.steps.db.close();
    void socket.send("slash_commands", slackPayloads.command(users.ana, "done safety-walk", s.fake.responseUrl("down")), { envelopeId: "EnvDown" });
    await until("the intake gives up on it", () => logged.some((l) => l.message === "slack request not recorded, so not acknowledged"));
    // Acks travel in order on the one socket: once an envelope sent after it is acked (a command Steps ignores,
    // acked without the database), an ack of the first would have arrived.
    expect(await socket.send("slash_commands", { ...slackPayloads.command(users.ana, "x", s.fake.responseUrl("other")), command: "/other" })).toBeDefined();
    expect(socket.acked.map((a) => a.envelopeId)).not.toContain("EnvDown");
    await s.settle();
    expect(s.fake.of("response_url")).toHaveLength(answered);
  });
});
