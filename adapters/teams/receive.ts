import { randomUUID } from "node:crypto";
import { ActivityTypes, TurnContext } from "botbuilder";
import { z } from "zod";
import { errorReply } from "../../src/chat.ts";
import type { Core } from "../../src/domain/core.ts";
import { act } from "../../src/domain/route.ts";
import { StepsError } from "../../src/errors.ts";
import type { Inbox } from "../../src/inbox.ts";
import type { Logger } from "../../src/log.ts";
import { toPlainText } from "../../src/messages.ts";
import type { Store } from "../../src/store.ts";
import { personFor, PLATFORM } from "./identity.ts";
import { CARD_CONTENT_TYPE, renderMessage } from "./render.ts";
import type { TeamsDeliveryRef } from "./transport.ts";
import { HANDLER } from "./work.ts";

export interface ReceiveDeps {
  core: Core;
  store: Store;
  inbox: Inbox;
  log: Logger;
}

/** An invoke answer Teams shows the clicker as a short message, the card left as it is. */
const messageAnswer = (text: string) => ({ statusCode: 200, type: "application/vnd.microsoft.activity.message", value: text });

/** An Action.Execute click as Teams sends it: the verb, our { id }, and the reason box when it was sent. */
const cardAction = z.object({
  action: z.discriminatedUnion("verb", [
    z.object({
      type: z.literal("Action.Execute"),
      verb: z.enum(["approve", "request_changes"]),
      data: z.object({ id: z.string().regex(/^\d{1,15}$/), reason: z.string().max(2000).optional() }),
    }),
    // The badge message's button: its id is the playlist slug.
    z.object({ type: z.literal("Action.Execute"), verb: z.literal("publish_badge"), data: z.object({ id: z.string().regex(/^[a-z0-9-]{1,64}$/) }) }),
    // A "which program?" button: its id is the command with the program named, checked again by the core.
    z.object({ type: z.literal("Action.Execute"), verb: z.literal("choose_program"), data: z.object({ id: z.string().min(1).max(2000) }) }),
  ]),
});

/**
 * One incoming turn. Typed commands and installs are recorded in the inbox
 * before Teams gets its 200, and worked off afterwards (work.ts); a card
 * button click is answered in its own response, which shows the clicker the
 * outcome at once.
 */
export function createTurnHandler({ core, store, inbox, log }: ReceiveDeps) {
  async function record(context: TurnContext): Promise<void> {
    const { activity } = context;
    // In a channel or group chat (where Teams may deliver every message), only one that @mentions Steps is for it.
    const personal = activity.conversation?.conversationType === "personal";
    if (activity.type === ActivityTypes.Message && !personal && !TurnContext.getMentions(activity).some((m) => m.mentioned?.id === activity.recipient?.id)) return;
    // Teams re-sends an activity it got no timely answer for, with the same id: recorded once.
    const key = `teams:${activity.conversation.id}:${activity.id ?? randomUUID()}`;
    await inbox.record(HANDLER, key, activity);
  }

  async function onCardAction(context: TurnContext): Promise<void> {
    let body: Record<string, unknown>;
    // Until the clicker is known, the program's language.
    let v = core.programVoice();
    try {
      const person = await personFor(context, core);
      v = core.voiceOf(person);
      const parsed = cardAction.safeParse(context.activity.value);
      if (!parsed.success) throw new StepsError("unknown_submission", v.say("act.out_of_date"));
      const { verb, data } = parsed.data.action;
      const reply = await act(core, { action: verb, value: data.id, personId: person.id, reason: "reason" in data ? data.reason : undefined });
      // The clicker sees the decided card at once, its buttons gone; everyone else's copy is edited once the decision is sent.
      const decided = (verb === "approve" || verb === "request_changes") && (await isRequestCard(context, data.id)) ? await core.decidedRequest(Number(data.id), person) : undefined;
      body = decided ? { statusCode: 200, type: CARD_CONTENT_TYPE, value: renderMessage(decided).card } : messageAnswer(toPlainText(reply));
    } catch (error) {
      // The card stays as it is, buttons and all; the clicker reads why.
      body = messageAnswer(toPlainText(errorReply(error, log, v)));
    }
    await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body } });
  }

  /**
   * Whether the clicked card is the approval request Steps sent, which the answer replaces. A `pending`
   * list also has these buttons, beside other requests': it is left as it is.
   */
  async function isRequestCard(context: TurnContext, id: string): Promise<boolean> {
    const clicked = context.activity.replyToId;
    if (!clicked) return false;
    const delivered = await store.deliveredUnder(`approval:${id}:`);
    return delivered.some((ref) => ref.platform === PLATFORM && (ref as TeamsDeliveryRef).activityId === clicked);
  }

  async function route(context: TurnContext): Promise<void> {
    switch (context.activity.type) {
      case ActivityTypes.Message:
        return record(context);
      case ActivityTypes.ConversationUpdate:
        // Only the bot's own install is acted on; people joining a team are not worth a row.
        if (context.activity.membersAdded?.some((m) => m.id === context.activity.recipient.id)) return record(context);
        return;
      case ActivityTypes.Invoke:
        if (context.activity.name === "adaptiveCard/action") return onCardAction(context);
    }
  }

  return async function onTurn(context: TurnContext): Promise<void> {
    try {
      await route(context);
    } catch (error) {
      // Rethrown so Teams gets a 500 and tries again (the database could not record it); the inbox key keeps a retried command from running twice.
      log.error("Teams turn failed", { type: context.activity.type, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      throw error;
    }
  };
}
