import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EVENTS_PATH } from "../adapters/slack/settings.ts";
import { COMMAND, BOT_EVENTS } from "../adapters/slack/receive.ts";

// The parts of Slack's manifest schema that Steps relies on, with Slack's own length limits.
const url = z.string().regex(/^https:\/\/YOUR-HOST\//);
const manifestSchema = z.strictObject({
  display_information: z.strictObject({
    name: z.string().min(1).max(35),
    description: z.string().max(140),
    long_description: z.string().min(174).max(4000),
    background_color: z.string().regex(/^#[0-9a-f]{6}$/i),
  }),
  features: z.strictObject({
    bot_user: z.strictObject({ display_name: z.string().min(1).max(80), always_online: z.boolean() }),
    app_home: z.strictObject({ home_tab_enabled: z.literal(true), messages_tab_enabled: z.literal(true), messages_tab_read_only_enabled: z.boolean() }),
    slash_commands: z.array(z.strictObject({ command: z.string().regex(/^\/[a-z0-9_-]+$/), url, description: z.string().min(1).max(2000), usage_hint: z.string().min(1).max(1000), should_escape: z.boolean() })).length(1),
  }),
  oauth_config: z.strictObject({ scopes: z.strictObject({ bot: z.array(z.string()) }) }),
  settings: z.strictObject({
    event_subscriptions: z.strictObject({ request_url: url, bot_events: z.array(z.string()) }),
    interactivity: z.strictObject({ is_enabled: z.literal(true), request_url: url }),
    org_deploy_enabled: z.boolean(),
    socket_mode_enabled: z.literal(false),
    token_rotation_enabled: z.boolean(),
  }),
});

describe("manifest.yml", () => {
  const manifest = manifestSchema.parse(parse(readFileSync(new URL("../manifest.yml", import.meta.url), "utf8")));

  it("declares the command, events and URLs the adapter actually handles", () => {
    const [command] = manifest.features.slash_commands;
    expect(command!.command).toBe(COMMAND);
    expect(command!.usage_hint).toContain("done <task>");
    for (const u of [command!.url, manifest.settings.event_subscriptions.request_url, manifest.settings.interactivity.request_url]) {
      expect(new URL(u.replace("YOUR-HOST", "steps.example.org")).pathname).toBe(EVENTS_PATH);
    }
    expect(manifest.settings.event_subscriptions.bot_events).toEqual([...BOT_EVENTS]);
  });

  it("asks for the minimal bot scopes and nothing more", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(["chat:write", "chat:write.public", "commands", "im:write", "users:read", "users:read.email"]);
  });

  it("is checked by a schema that can fail", () => {
    expect(manifestSchema.safeParse({ ...manifest, settings: { ...manifest.settings, socket_mode_enabled: true } }).success).toBe(false);
  });
});
