import { setTimeout as sleep } from "node:timers/promises";
import { webApi } from "@slack/bolt";
import type { Logger } from "../../src/log.ts";
import type { Health } from "../platform.ts";
import type { Backoff } from "./settings.ts";

/** Errors Slack answers when the fault is on its side: asking again later can work. */
const TRANSIENT = new Set(["ratelimited", "accesslimited", "request_timeout", "service_unavailable", "fatal_error", "internal_error"]);

/** One thing Slack must accept before Steps takes requests, and the setting a refusal is about. */
export interface Check {
  setting: "SLACK_BOT_TOKEN" | "SLACK_APP_TOKEN";
  run(): Promise<unknown>;
}

export interface Connection extends Health {
  ready(): boolean;
  /** Stops trying. */
  close(): void;
}

/** Slack's error code when Slack answered and said no, e.g. invalid_auth. */
function platformError(error: unknown): string | undefined {
  const e = error as { code?: unknown; data?: { error?: unknown } };
  return e?.code === webApi.ErrorCode.PlatformError && typeof e.data?.error === "string" ? e.data.error : undefined;
}

/** A few words on why Slack did not answer, without addresses (/healthz is public). */
function unreachableReason(error: unknown): string {
  const e = error as { code?: unknown; statusCode?: unknown; original?: { code?: unknown; name?: unknown; cause?: { code?: unknown } } };
  if (e?.code === webApi.ErrorCode.HTTPError) return `HTTP ${String(e.statusCode)}`;
  if (e?.original?.name === "TimeoutError" || e?.original?.name === "AbortError") return "no answer in time";
  // fetch wraps the socket's error (ECONNREFUSED, ENOTFOUND) as its cause.
  const code = e?.original?.code ?? e?.original?.cause?.code;
  if (typeof code === "string") return code;
  return platformError(error) ?? "no answer";
}

const REFUSED_HELP: Record<Check["setting"], string> = {
  SLACK_BOT_TOKEN: "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page into SLACK_BOT_TOKEN and restart Steps",
  SLACK_APP_TOKEN: "generate an app-level token with connections:write (xapp-…) under Basic Information, put it in SLACK_APP_TOKEN and restart Steps",
};

/**
 * Runs the checks until Slack accepts them all. A refusal (a wrong or revoked
 * token) does not go away by asking again: one line says which setting to
 * fix, and Slack stays off while the rest of Steps serves. Anything else
 * (Slack unreachable, or an error on its side) is tried again in the
 * background, waiting longer each time; the log says when the state changes,
 * not at every attempt. Resolves after the first attempt, so a reachable
 * Slack is ready before the server listens.
 */
export async function connectSlack(checks: Check[], options: { log: Logger; backoff: Backoff; readyFields: Record<string, unknown> }): Promise<Connection> {
  const { log, backoff } = options;
  const stop = new AbortController();
  let state = "connecting";

  /** One attempt; true when there is nothing more to try. */
  async function attempt(): Promise<boolean> {
    for (const check of checks) {
      try {
        await check.run();
      } catch (error) {
        const refused = platformError(error);
        if (refused && !TRANSIENT.has(refused)) {
          state = `${check.setting} refused (${refused}); fix it and restart`;
          log.error(`Slack refused ${check.setting} (${refused}), so Slack is off until it is fixed: ${REFUSED_HELP[check.setting]}.`);
          return true;
        }
        if (!state.startsWith("unreachable")) log.warn("Slack is unreachable; Steps keeps trying in the background and serves everything else meanwhile", { error: error instanceof Error ? error.message : String(error) });
        state = `unreachable (${unreachableReason(error)}); retrying`;
        return false;
      }
    }
    state = "ok";
    log.info("Slack is ready", options.readyFields);
    return true;
  }

  async function retry(): Promise<void> {
    for (let wait = backoff.firstMs; ; wait = Math.min(wait * 2, backoff.maxMs)) {
      // Spread out so that several instances do not all ask at once.
      await sleep(wait * (0.5 + Math.random() / 2), undefined, { signal: stop.signal });
      if (await attempt()) return;
    }
  }

  if (!(await attempt())) {
    // attempt() catches everything: only close() ends this, by aborting the wait.
    retry().catch(() => {});
  }
  return {
    health: () => state,
    ready: () => state === "ok",
    close: () => stop.abort(),
  };
}
