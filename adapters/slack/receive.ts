import type { AckFn, App, Receiver, ReceiverEvent, webApi } from "@slack/bolt";
import { z } from "zod";
import type { Inbox } from "../../src/inbox.ts";
import type { Logger } from "../../src/log.ts";
import type { Voice } from "../../src/i18n.ts";
import type { ActionId } from "../../src/messages.ts";
import { decodeSlackText, escapeWithin, LIMITS } from "./render.ts";
import type { SlackJob } from "./work.ts";

export const COMMAND = "/steps";
export const CHANGES_MODAL = "request_changes";
export const HOME_OPENED = "app_home_opened";
/** Every Events API event the app subscribes to (manifest.yml bot_events). */
export const BOT_EVENTS = [HOME_OPENED];
/** Button action ids as render.ts writes them: the action, maybe with a #n suffix for repeats in one block. */
export const ACTION_ID = /^(approve|request_changes|publish_badge|choose_program)(#\d+)?$/;
/** The inbox handler Slack's requests are recorded for (work.ts). */
export const HANDLER = "slack";

export interface ReceiveDeps {
  client: webApi.WebClient;
  inbox: Inbox;
  log: Logger;
  /**
   * The words of the person behind a Slack user id, for the modal Steps opens
   * and answers within Slack's 3 seconds: it must answer at once (the program's
   * language for someone not yet known, or when the lookup is slow).
   */
  voiceOf(userId: string): Promise<Voice>;
}

// No length cap here: the grammar answers an over-long command itself.
const commandSchema = z.object({ user_id: z.string().min(1), text: z.string(), trigger_id: z.string().min(1), response_url: z.url().optional() });
const clickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1),
  response_url: z.url().optional(),
  container: z.object({ message_ts: z.string().optional(), view_id: z.string().optional() }).optional(),
  actions: z
    .array(z.object({ action_id: z.string().regex(ACTION_ID), block_id: z.string().optional(), action_ts: z.string().min(1), value: z.string().max(LIMITS.buttonValue) }))
    .min(1),
});
const metadataSchema = z.object({ value: z.string().max(LIMITS.buttonValue), responseUrl: z.url().optional() });
const submissionSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({
    id: z.string().min(1),
    hash: z.string().min(1),
    private_metadata: z.string(),
    state: z.object({ values: z.object({ reason: z.object({ reason: z.object({ value: z.string().nullish() }) }) }) }),
  }),
});
const homeOpenedSchema = z.object({
  event_id: z.string().min(1),
  event: z.object({ type: z.literal(HOME_OPENED), user: z.string().min(1), channel: z.string().min(1).optional(), tab: z.string().optional() }),
});

/** A request Steps could not record: answered 500 (Steps' fault, not the sender's), so Slack tries again. */
export class NotRecorded extends Error {
  constructor(key: string) {
    super(`${key} was not recorded`);
    this.name = "NotRecorded";
  }
}

/**
 * Bolt's receiver checks the signature (HTTP) or holds the socket (Socket
 * Mode); each request then goes to the intake below instead of Bolt's
 * listeners, which acknowledge an event before any listener runs. Steps
 * acknowledges nothing it has not recorded.
 */
export function intakeReceiver(receiver: Receiver, deps: Omit<ReceiveDeps, "client">): Receiver {
  return {
    // Bolt's receivers only ever call processEvent on the app they are given.
    init: (app: App) => receiver.init({ processEvent: createIntake({ ...deps, client: app.client }) } as unknown as App),
    start: (...args) => receiver.start(...args),
    stop: (...args) => receiver.stop(...args),
  };
}

/**
 * The /steps command, button clicks, the request-changes modal and the Home
 * tab: each request is checked, recorded in the inbox under an id its
 * redeliveries share, and only then acknowledged; work.ts does the rest.
 * Only opening the modal happens here, since its trigger_id expires in 3 s.
 */
export function createIntake(deps: ReceiveDeps): (event: ReceiverEvent) => Promise<void> {
  const { client, inbox, log, voiceOf } = deps;

  async function recordThenAck(key: string, job: SlackJob, ack: AckFn<unknown>): Promise<void> {
    try {
      await inbox.record(HANDLER, key, job);
    } catch (error) {
      // No ack: over HTTP Slack gets an error (and retries an event), over the socket the envelope is sent again.
      log.error("slack request not recorded, so not acknowledged", { key, error: String(error) });
      throw new NotRecorded(key);
    }
    await ack();
  }

  async function command(body: unknown, ack: AckFn<unknown>): Promise<void> {
    const parsed = commandSchema.safeParse(body);
    if (!parsed.success) {
      log.warn("slack command ignored: unexpected payload", { issues: parsed.error.issues.length });
      return ack();
    }
    const command = parsed.data;
    // Slack and the socket resend a command with the same trigger_id.
    await recordThenAck(`slack:command:${command.trigger_id}`, { kind: "command", userId: command.user_id, text: decodeSlackText(command.text), responseUrl: command.response_url }, ack);
  }

  async function click(body: unknown, ack: AckFn<unknown>): Promise<void> {
    const parsed = clickSchema.safeParse(body);
    if (!parsed.success) {
      log.warn("slack click ignored: unexpected payload", { issues: parsed.error.issues.length });
      return ack();
    }
    const click = parsed.data;
    const { action_id, block_id, action_ts, value } = click.actions[0]!;
    const action = action_id.replace(/#\d+$/, "") as ActionId;
    if (action === "request_changes") {
      await ack();
      // Only the clicker's language is looked up first, within a bound (the trigger id lasts 3 s); the core checks the clicker on submit.
      const v = await voiceOf(click.user.id);
      await client.views
        .open({ trigger_id: click.trigger_id, view: changesModal({ value, responseUrl: click.response_url }, v) as never })
        .catch((error: unknown) => log.error("slack modal failed to open", { error: String(error) }));
      return;
    }
    const where = click.container?.message_ts ?? click.container?.view_id ?? "";
    const key = `slack:click:${click.user.id}:${action_ts}:${where}:${block_id ?? ""}:${action_id}`;
    await recordThenAck(key, { kind: "click", userId: click.user.id, action, value, responseUrl: click.response_url }, ack);
  }

  async function submit(body: unknown, ack: AckFn<unknown>): Promise<void> {
    const parsed = submissionSchema.safeParse(body);
    const reason = parsed.success ? decodeSlackText(parsed.data.view.state.values.reason.reason.value ?? "").trim() : undefined;
    if (!parsed.success || !reason) {
      const userId = (body as { user?: { id?: unknown } }).user?.id;
      const v = await voiceOf(typeof userId === "string" ? userId : "");
      await ack({ response_action: "errors", errors: { reason: v.say("modal.missing") } });
      return;
    }
    const { user, view } = parsed.data;
    const meta = metadataSchema.safeParse(safeJson(view.private_metadata));
    const job: SlackJob = { kind: "changes", userId: user.id, value: meta.success ? meta.data.value : "", reason, responseUrl: meta.success ? meta.data.responseUrl : undefined };
    await recordThenAck(`slack:submit:${view.id}:${view.hash}`, job, ack);
  }

  async function event(body: unknown, ack: AckFn<unknown>): Promise<void> {
    const parsed = homeOpenedSchema.safeParse(body);
    // Any other event, or another tab: acknowledged, or Slack turns the app's events off after repeated failures.
    if (!parsed.success || (parsed.data.event.tab && parsed.data.event.tab !== "home")) return ack();
    const { event_id, event } = parsed.data;
    // Slack re-sends an event it thinks failed (X-Slack-Retry-Num) with the same event_id.
    await recordThenAck(`slack:event:${event_id}`, { kind: "home", userId: event.user, channel: event.channel }, ack);
  }

  return async ({ body, ack }) => {
    if (typeof body.command === "string") return body.command === COMMAND ? command(body, ack) : ack();
    if (body.type === "block_actions") return click(body, ack);
    if (body.type === "view_submission" && (body.view as { callback_id?: unknown } | undefined)?.callback_id === CHANGES_MODAL) return submit(body, ack);
    if (body.type === "event_callback") return event(body, ack);
    log.debug("slack request ignored", { type: String(body.type) });
    await ack();
  };
}

/** Slack caps a modal's title, submit and close at 24 characters, an input's label at 2000 (docs.slack.dev/reference/views/modal-views). */
function changesModal(meta: z.infer<typeof metadataSchema>, v: Voice) {
  const short = (text: string) => escapeWithin(text, 24);
  return {
    type: "modal",
    callback_id: CHANGES_MODAL,
    private_metadata: JSON.stringify(meta),
    title: { type: "plain_text", text: short(v.say("button.request_changes")) },
    submit: { type: "plain_text", text: short(v.say("modal.submit")) },
    close: { type: "plain_text", text: short(v.say("modal.cancel")) },
    blocks: [
      {
        type: "input",
        block_id: "reason",
        label: { type: "plain_text", text: escapeWithin(v.say("modal.label"), 2000) },
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
