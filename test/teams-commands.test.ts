import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cardOf, teamsActivity, teamsRig, type TeamsRig } from "./support/teams.ts";

let t: TeamsRig;
beforeEach(async () => {
  t = await teamsRig();
});
afterEach(async () => {
  await t.close();
});

describe("Teams commands", () => {
  it("answers a command in personal chat with a card, after looking up the sender's email", async () => {
    const ana = t.member("ana", "ana@example.org");
    const res = await t.post(teamsActivity(t.connector, { from: ana, text: "status" }));
    expect(res.status).toBe(200);
    console.log(JSON.stringify(t.connector.calls, null, 1));
  });
});
