import type { Env } from "../../src/config.ts";
import type { PlatformAdapter } from "../platform.ts";
import { CONNECT_BACKOFF, type Backoff } from "./settings.ts";

const slack = {
  name: "slack",
  /** Waits between attempts to reach Slack; a test gives its copy a shorter one. */
  backoff: CONNECT_BACKOFF as Backoff,

  configured(env: Env) {
    const raw = env.raw;
    return Boolean(raw.SLACK_BOT_TOKEN && (raw.SLACK_SIGNING_SECRET || raw.SLACK_APP_TOKEN));
  },

  async start(ctx) {
    if (!slack.configured(ctx.env)) return null;
    // Bolt and the Web API client take a few hundred milliseconds to load: only a Steps that serves Slack pays for them.
    const { startSlack } = await import("./serve.ts");
    return startSlack(ctx, this.backoff);
  },
} satisfies PlatformAdapter & { backoff: Backoff };

export default slack;
