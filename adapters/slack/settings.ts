import type { webApi } from "@slack/bolt";
import { z } from "zod";

/** Waits between attempts to reach Slack: doubling from firstMs, never more than maxMs. */
export interface Backoff {
  firstMs: number;
  maxMs: number;
}

export const CONNECT_BACKOFF: Backoff = { firstMs: 1_000, maxMs: 5 * 60_000 };

export const EVENTS_PATH = "/slack/events";

const blankIsUnset = (v: unknown) => (v === "" ? undefined : v);
const varsSchema = z.object({
  SLACK_SIGNING_SECRET: z.preprocess(blankIsUnset, z.string().min(8).optional()),
  SLACK_BOT_TOKEN: z.preprocess(blankIsUnset, z.string().startsWith("xoxb-", "must be a bot token (xoxb-…)").optional()),
  SLACK_APP_TOKEN: z.preprocess(blankIsUnset, z.string().startsWith("xapp-", "must be an app-level token (xapp-…)").optional()),
  SLACK_API_URL: z.preprocess(blankIsUnset, z.url().optional()),
  SLACK_DEDUP_HISTORY: z.preprocess(blankIsUnset, z.enum(["0", "1"]).optional()),
});

export type SlackVars = z.infer<typeof varsSchema>;

export function readSlackVars(raw: Record<string, string | undefined>): SlackVars {
  const parsed = varsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid Slack settings:\n${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n")}`);
  }
  return parsed.data;
}

/**
 * The client waits out a 429's Retry-After itself (pausing its queue), then
 * retries after the policy's delay. Its default policy adds 1–2 s there on top
 * of the Retry-After already waited: time in which the rate limit would have
 * allowed sends, so a rate-limited fan-out reached about half the allowed rate
 * (bench/fanout.ts). A 25 ms first delay keeps it at the limit; errors other
 * than 429 still back off. maxRetryTime keeps one send from holding up the
 * messages behind it for long (the default policy could hold it about 30
 * minutes; the dispatcher renews its lease meanwhile).
 */
export const SLACK_RETRY: webApi.RetryOptions = { retries: 10, factor: 2, minTimeout: 25, maxTimeout: 5_000, randomize: true, maxRetryTime: 30_000 };

/** SLACK_API_URL points the clients at a proxy or a test fake. */
export function apiUrl(vars: SlackVars): { slackApiUrl?: string } {
  return vars.SLACK_API_URL ? { slackApiUrl: vars.SLACK_API_URL.replace(/\/?$/, "/") } : {};
}

/** The Web API client's settings. */
export function slackClientOptions(vars: SlackVars): webApi.WebClientOptions {
  return { retryConfig: SLACK_RETRY, ...apiUrl(vars) };
}

