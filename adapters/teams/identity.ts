import { TeamsInfo, TurnContext, type Activity, type ConversationReference } from "botbuilder";
import { resolvePerson } from "../../src/chat.ts";
import type { Core } from "../../src/domain/core.ts";
import type { Person } from "../../src/store.ts";

export const PLATFORM = "teams";

/** What identities.address holds for a Teams user: enough to message them later. */
export interface TeamsAddress {
  /** The personal (1:1) conversation with the bot, once there is one. */
  reference?: Partial<ConversationReference>;
  serviceUrl: string;
  tenantId?: string;
}

/**
 * The roster person behind the sender. Activities carry only Teams ids, so the
 * first time we ask Teams for the member's email (or UPN) and match the roster.
 */
export async function personFor(context: TurnContext, core: Pick<Core, "cores" | "strangerVoice">): Promise<Person> {
  const { activity } = context;
  const personal = activity.conversation?.conversationType === "personal";
  // Only a 1:1 chat is a way to reach the person; a channel message must not replace it.
  const address: TeamsAddress | undefined = personal
    ? { reference: conversationOf(activity), serviceUrl: activity.serviceUrl, tenantId: tenantOf(context) }
    : undefined;
  return (await resolvePerson(core, PLATFORM, activity.from.id, async () => ({ email: await memberEmail(context) }), address, activity.locale)).person;
}

/**
 * Where to post later: the conversation, without the id of the message it came
 * from, so proactive messages start new messages instead of replying in a thread.
 */
export function conversationOf(activity: Partial<Activity>): Partial<ConversationReference> {
  const { activityId: _, ...reference } = TurnContext.getConversationReference(activity);
  return reference;
}

async function memberEmail(context: TurnContext): Promise<string | undefined> {
  try {
    const member = await TeamsInfo.getMember(context, context.activity.from.id);
    return member.email || member.userPrincipalName || undefined;
  } catch (error) {
    // Not a member Teams knows (a guest outside the tenant): treated as not on the roster.
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

export function tenantOf(context: TurnContext): string | undefined {
  const data = context.activity.channelData as { tenant?: { id?: string } } | undefined;
  return data?.tenant?.id ?? context.activity.conversation?.tenantId;
}
