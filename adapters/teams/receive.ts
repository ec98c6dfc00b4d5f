import { ActivityTypes, TurnContext } from "botbuilder";
import { z } from "zod";
import { answer, errorReply } from "../../src/chat.ts";
import type { Transport } from "../../src/delivery/transport.ts";
import type { Core } from "../../src/domain/core.ts";
import { act } from "../../src/domain/replies.ts";
import { StepsError } from "../../src/errors.ts";
import type { Logger } from "../../src/log.ts";
import { toPlainText, type Message } from "../../src/messages.ts";
import type { Person, Store } from "../../src/store.ts";
import { conversationOf, personFor, PLATFORM, tenantOf, type TeamsAddress } from "./identity.ts";
import { CARD_CONTENT_TYPE, cardActivity, renderMessage } from "./render.ts";
import { TEAM_CHANNEL_SETTING, type TeamsDeliveryRef } from "./transport.ts";

export interface ReceiveDeps {
  core: Core;
  store: Store;
  log: Logger;
  /** Answers to a command typed in a channel go to the person's 1:1 chat through it. */
  transport: Pick<Transport, "sendToPerson">;
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
  ]),
});

/** One incoming turn: typed commands, installs, and card button clicks. */
export function createTurnHandler({ core, store, log, transport }: ReceiveDeps) {
  async function onMessage(context: TurnContext): Promise<void> {
    const { activity } = context;
    const personal = activity.conversation?.conversationType === "personal";
    // In a channel or group chat (where Teams may deliver every message), only one that @mentions Steps is for it.
    if (!personal && !TurnContext.getMentions(activity).some((m) => m.mentioned?.id === activity.recipient?.id)) return;
    // Teams re-sends an activity it got no timely answer for; answer each once.
    if (activity.id && !(await store.firstReceipt(`teams:${activity.conversation.id}:${activity.id}`))) return;
    // The grammar itself drops a leading `steps`; only the @mention is Teams' business.
    const text = TurnContext.removeRecipientMention(activity) ?? activity.text ?? "";
    let person: Person;
    try {
      person = await personFor(context, store);
    } catch (error) {
      await context.sendActivity(cardActivity(errorReply(error, log)));
      return;
    }
    let reply: Message;
    try {
      reply = await answer(core, person, text, log);
    } catch (error) {
      reply = errorReply(error, log);
    }
    if (personal) await context.sendActivity(cardActivity(reply));
    else await answerPrivately(context, person, reply);
  }

  /** A command typed in a channel is answered in the person's 1:1 chat, as Slack answers only the person. */
  async function answerPrivately(context: TurnContext, person: Person, reply: Message): Promise<void> {
    const { activity } = context;
    const identity = (await store.identitiesOf([person.id])).find((i) => i.platform === PLATFORM);
    // Someone known only from channels has no 1:1 chat yet: this message's service and tenant open one.
    const address: Partial<TeamsAddress> = { serviceUrl: activity.serviceUrl, tenantId: tenantOf(context), ...(identity?.address as Partial<TeamsAddress> | null) };
    try {
      await transport.sendToPerson(person, identity && { ...identity, address }, reply);
    } catch (error) {
      log.warn("Teams: could not answer in the person's chat", { error: error instanceof Error ? error.message : String(error) });
      const text = "I could not answer you in a private chat. Open Steps from Apps in Teams, then type your command there.";
      await context.sendActivity(cardActivity({ text, blocks: [{ type: "text", text }] }));
    }
  }

  async function onConversationUpdate(context: TurnContext): Promise<void> {
    const { activity } = context;
    if (!activity.membersAdded?.some((m) => m.id === activity.recipient.id)) return;
    if (activity.conversation.conversationType === "channel") {
      const reference = conversationOf(activity);
      // A channel reference names the channel itself, not the thread the event came from.
      const channelId = reference.conversation!.id.split(";")[0]!;
      await store.setSetting(TEAM_CHANNEL_SETTING, { ...reference, conversation: { ...reference.conversation, id: channelId } });
      log.info("Teams channel remembered for announcements", { channel: channelId });
      const text = "Steps is here. Badge announcements for the program will be posted in this team.";
      await context.sendActivity(cardActivity({ text, blocks: [{ type: "text", text }] }));
      return;
    }
    if (activity.conversation.conversationType !== "personal") return;
    let reply: Message;
    try {
      const person = await personFor(context, store);
      const text = `Hi ${person.name}, Steps is ready. Type \`help\` to see what you can do.`;
      reply = { text, blocks: [{ type: "text", text }] };
    } catch (error) {
      reply = errorReply(error, log);
    }
    await context.sendActivity(cardActivity(reply));
  }

  async function onCardAction(context: TurnContext): Promise<void> {
    let body: Record<string, unknown>;
    try {
      const parsed = cardAction.safeParse(context.activity.value);
      if (!parsed.success) throw new StepsError("unknown_submission", "That button is out of date. Type `pending` to see what is waiting.");
      const { verb, data } = parsed.data.action;
      const person = await personFor(context, store);
      const reply = await act(core, { action: verb, value: data.id, personId: person.id, reason: "reason" in data ? data.reason : undefined });
      // The clicker sees the decided card at once, its buttons gone; everyone else's copy is edited once the decision is sent.
      const decided = verb !== "publish_badge" && (await isRequestCard(context, data.id)) ? await core.decidedRequest(Number(data.id)) : undefined;
      body = decided ? { statusCode: 200, type: CARD_CONTENT_TYPE, value: renderMessage(decided).card } : messageAnswer(toPlainText(reply));
    } catch (error) {
      // The card stays as it is, buttons and all; the clicker reads why.
      body = messageAnswer(toPlainText(errorReply(error, log)));
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
        return onMessage(context);
      case ActivityTypes.ConversationUpdate:
        return onConversationUpdate(context);
      case ActivityTypes.Invoke:
        if (context.activity.name === "adaptiveCard/action") return onCardAction(context);
    }
  }

  return async function onTurn(context: TurnContext): Promise<void> {
    try {
      await route(context);
    } catch (error) {
      // Rethrown so Teams gets a 500 and tries again; the receipt keeps a retried command from running twice.
      log.error("Teams turn failed", { type: context.activity.type, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      throw error;
    }
  };
}
