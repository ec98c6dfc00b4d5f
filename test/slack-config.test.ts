import { describe, expect, it } from "vitest";
import slack from "../adapters/slack/index.ts";
import { readSlackVars } from "../adapters/slack/settings.ts";
import { readEnv } from "../src/config.ts";
import type { AdapterContext } from "../adapters/platform.ts";

const env = (vars: Record<string, string>) => readEnv(vars);

describe("Slack settings", () => {
  it("is on with a bot token and either a signing secret (HTTP) or an app token (Socket Mode)", () => {
    expect(slack.configured(env({}))).toBe(false);
    expect(slack.configured(env({ SLACK_BOT_TOKEN: "xoxb-1" }))).toBe(false);
    expect(slack.configured(env({ SLACK_SIGNING_SECRET: "s".repeat(32) }))).toBe(false);
    expect(slack.configured(env({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s".repeat(32) }))).toBe(true);
    expect(slack.configured(env({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }))).toBe(true);
  });

  it("starts nothing and adds no route when not configured", async () => {
    const added: string[] = [];
    const ctx = { env: env({}), routes: { add: (_m: string, path: string) => added.push(path) } } as unknown as AdapterContext;
    expect(await slack.start(ctx)).toBeNull();
    expect(added).toEqual([]);
  });

  it("names each bad value", () => {
    expect(() => readSlackVars({ SLACK_BOT_TOKEN: "xoxp-user-token", SLACK_APP_TOKEN: "nope", SLACK_API_URL: "not a url" })).toThrow(
      /SLACK_BOT_TOKEN: must be a bot token \(xoxb-…\)\nSLACK_APP_TOKEN: must be an app-level token \(xapp-…\)\nSLACK_API_URL: /,
    );
    expect(readSlackVars({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "", SLACK_API_URL: "http://127.0.0.1:9/api" })).toEqual({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: undefined, SLACK_API_URL: "http://127.0.0.1:9/api" });
  });
});
