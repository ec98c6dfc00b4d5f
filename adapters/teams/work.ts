import { ActivityTypes, CloudAdapter, TurnContext, type Activity } from "botbuilder";
import { z } from "zod";
import { answer, refusal } from "../../src/chat.ts";
import { isStepsError } from "../../src/errors.ts";
import type { Core } from "../../src/domain/core.ts";
import type { InboxHandler, InboxJob } from "../../src/inbox.ts";
import type { Logger } from "../../src/log.ts";
import type { Transport } from "../../src/delivery/transport.ts";
import type { Message } from "../../src/messages.ts";
import type { Person, Store } from "../../src/store.ts";
import { conversationOf, personFor, PLATFORM, tenantOf, type TeamsAddress } from "./identity.ts";
import { cardActivity } from "./render.ts";
import { typedText } from "./text.ts";
import { TEAM_CHANNEL_SETTING } from "./transport.ts";

/** The inbox handler Teams activities are recorded for (receive.ts). */
export const HANDLER = "teams";

/** botbuilder's adapter, able to take up an activity recorded earlier in a turn of its own. */
export class ReplayingAdapter extends CloudAdapter {
  /** Runs logic on the recorded activity with the bot's own credentials, as proactive messages are sent. */
  replay(appId: string, activity: Partial<Activity>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    return this.processProactive(this.createClaimsIdentity(appId), activity, undefined, logic);
  }
}

/** What the work below reads of a recorded activity; botbuilder checked the rest when it came in. */
const recordedActivity = z.looseObject({
  type: z.enum([ActivityTypes.Message, ActivityTypes.ConversationUpdate]),
  serviceUrl: z.string().min(1),
  conversation: z.looseObject({ id: z.string().min(1) }),
  from: z.looseObject({ id: z.string().min(1) }),
  recipient: z.looseObject({ id: z.string().min(1) }),
});

export interface WorkDeps {
  adapter: ReplayingAdapter;
  appId: string;
  /** Who people are and the words they read. */
  core: Core;
  store: Store;
  log: Logger;
  /** Answers to a command typed in a channel go to the person's 1:1 chat through it. */
  transport: Pick<Transport, "sendToPerson">;
}

/** Works off a recorded message or install: the reply goes to the conversation it came from. */
export function teamsWork({ adapter, appId, core, store, log, transport }: WorkDeps): InboxHandler {
  async function onMessage(context: TurnContext, request: InboxJob): Promise<void> {
    // The grammar itself drops a leading `steps`; only the @mention is Teams' business. It is taken out of
    // the HTML as Teams sent it (the mention entity's text is `<at>Steps</at>`), before the HTML is read as text.
    const text = typedText(TurnContext.removeRecipientMention(context.activity) ?? context.activity.text ?? "");
    let person: Person;
    let reply: Message;
    try {
      person = await personFor(context, core);
      reply = await request.once((core) => answer(core, person, text, log));
    } catch (error) {
      // Not on the roster: said so. Anything else (Teams or the database down) is tried again later.
      if (!isStepsError(error)) throw error;
      await context.sendActivity(cardActivity(refusal(error)));
      return;
    }
    if (context.activity.conversation.conversationType === "personal") await context.sendActivity(cardActivity(reply));
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
      const text = core.voiceOf(person).say("teams.no_private_chat");
      await context.sendActivity(cardActivity({ text, blocks: [{ type: "text", text }] }));
    }
  }

  /** The bot was added (receive.ts records nothing else): to a team's channel, or to a person's chat. */
  async function onInstall(context: TurnContext): Promise<void> {
    const { activity } = context;
    if (activity.conversation.conversationType === "channel") {
      const reference = conversationOf(activity);
      // A channel reference names the channel itself, not the thread the event came from.
      const channelId = reference.conversation!.id.split(";")[0]!;
      await store.setSetting(TEAM_CHANNEL_SETTING, { ...reference, conversation: { ...reference.conversation, id: channelId } });
      log.info("Teams channel remembered for announcements", { channel: channelId });
      // A team's channel is everyone's: the program's language.
      const text = core.programVoice().say("teams.installed");
      await context.sendActivity(cardActivity({ text, blocks: [{ type: "text", text }] }));
      return;
    }
    if (activity.conversation.conversationType !== "personal") return;
    let reply: Message;
    try {
      const person = await personFor(context, core);
      const text = core.voiceOf(person).say("teams.welcome", { name: person.name });
      reply = { text, blocks: [{ type: "text", text }] };
    } catch (error) {
      if (!isStepsError(error)) throw error;
      reply = refusal(error);
    }
    await context.sendActivity(cardActivity(reply));
  }

  return async (request) => {
    const parsed = recordedActivity.safeParse(request.payload);
    if (!parsed.success) return log.error("teams activity dropped: not one this version records", { key: request.key });
    // The checks above are the ones this file relies on; the activity is botbuilder's own type.
    await adapter.replay(appId, parsed.data as unknown as Partial<Activity>, (context) =>
      context.activity.type === ActivityTypes.Message ? onMessage(context, request) : onInstall(context),
    );
  };
}
