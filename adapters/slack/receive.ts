import type { App } from "@slack/bolt";
import { z } from "zod";
import type { Logger } from "../../src/log.ts";
import type { ActionId } from "../../src/messages.ts";
import type { Store } from "../../src/store.ts";
import { decodeSlackText, LIMITS } from "./render.ts";
import type { SlackJob } from "./work.ts";

export const COMMAND = "/steps";
export const CHANGES_MODAL = "request_changes";
export const HOME_OPENED = "app_home_opened";
/** Every Events API event the app subscribes to (manifest.yml bot_events). */
export const BOT_EVENTS = [HOME_OPENED];
/** Button action ids as render.ts writes them: the action, maybe with a #n suffix for repeats in one block. */
export const ACTION_ID = /^(approve|request_changes|publish_badge)(#\d+)?$/;

export interface ReceiveDeps {
  app: App;
  store: Store;
  log: Logger;
  /** Where the work after the ack goes: this thread's SlackWork, or the work thread. */
  hand: (job: SlackJob) => Promise<void>;
}

// No length cap here: the grammar answers an over-long command itself.
const commandSchema = z.object({ user_id: z.string().min(1), text: z.string(), response_url: z.url().optional() });
const clickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1),
  response_url: z.url().optional(),
  actions: z.array(z.object({ action_id: z.string().regex(ACTION_ID), value: z.string().max(LIMITS.buttonValue) })).min(1),
});
const metadataSchema = z.object({ value: z.string().max(LIMITS.buttonValue), responseUrl: z.url().optional() });
const submissionSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({ values: z.object({ reason: z.object({ reason: z.object({ value: z.string().nullish() }) }) }) }),
  }),
});
const homeOpenedSchema = z.object({ user: z.string().min(1), channel: z.string().min(1).optional(), tab: z.string().optional() });

/**
 * Wires the /steps command, button clicks, the request-changes modal and the
 * Home tab onto a Bolt app: each request is checked, acked, and turned into a
 * job for work.ts. Only opening the modal happens here, since its trigger_id
 * expires in 3 s.
 */
export function registerHandlers(deps: ReceiveDeps): void {
  const { app, store, log, hand } = deps;

  // Slack re-sends an event it thinks failed (X-Slack-Retry-Num); the receipts table makes the first one the only one.
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === "string" && !(await store.firstReceipt(`slack:event:${eventId}`))) {
      log.debug("slack event already handled", { eventId });
      return;
    }
    await next();
  });

  app.command(COMMAND, async ({ ack, body }) => {
    // Acknowledge first: Slack gives up after 3 s, and the reply goes through response_url anyway.
    await ack();
    const parsed = commandSchema.safeParse(body);
    if (!parsed.success) return log.warn("slack command ignored: unexpected payload", { issues: parsed.error.issues.length });
    const command = parsed.data;
    await hand({ kind: "command", userId: command.user_id, text: decodeSlackText(command.text), responseUrl: command.response_url });
  });

  app.action(ACTION_ID, async ({ ack, body, client }) => {
    await ack();
    const parsed = clickSchema.safeParse(body);
    if (!parsed.success) return log.warn("slack click ignored: unexpected payload", { issues: parsed.error.issues.length });
    const click = parsed.data;
    const { action_id, value } = click.actions[0]!;
    const action = action_id.replace(/#\d+$/, "") as ActionId;
    if (action === "request_changes") {
      // Before any database work; the core checks the clicker on submit.
      await client.views
        .open({ trigger_id: click.trigger_id, view: changesModal({ value, responseUrl: click.response_url }) as never })
        .catch((error: unknown) => log.error("slack modal failed to open", { error: String(error) }));
      return;
    }
    await hand({ kind: "click", userId: click.user.id, action, value, responseUrl: click.response_url });
  });

  app.view(CHANGES_MODAL, async ({ ack, body }) => {
    const parsed = submissionSchema.safeParse(body);
    const reason = parsed.success ? decodeSlackText(parsed.data.view.state.values.reason.reason.value ?? "").trim() : undefined;
    if (!parsed.success || !reason) {
      await ack({ response_action: "errors", errors: { reason: "Say what should change." } });
      return;
    }
    await ack();
    const meta = metadataSchema.safeParse(safeJson(parsed.data.view.private_metadata));
    await hand({ kind: "changes", userId: parsed.data.user.id, value: meta.success ? meta.data.value : "", reason, responseUrl: meta.success ? meta.data.responseUrl : undefined });
  });

  app.event(HOME_OPENED, async ({ event }) => {
    const opened = homeOpenedSchema.safeParse(event);
    if (!opened.success) return log.warn("slack home event ignored: unexpected payload", { issues: opened.error.issues.length });
    if (opened.data.tab && opened.data.tab !== "home") return;
    await hand({ kind: "home", userId: opened.data.user, channel: opened.data.channel });
  });
}

function changesModal(meta: z.infer<typeof metadataSchema>) {
  return {
    type: "modal",
    callback_id: CHANGES_MODAL,
    private_metadata: JSON.stringify(meta),
    title: { type: "plain_text", text: "Request changes" },
    submit: { type: "plain_text", text: "Send back" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "input",
        block_id: "reason",
        label: { type: "plain_text", text: "What should the intern change?" },
        element: { type: "plain_text_input", action_id: "reason", multiline: true, max_length: 2000 },
      },
    ],
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
