import type { CloudAdapter, ConversationParameters, ConversationReference, TurnContext } from "botbuilder";
import { DeliveryError, type Transport } from "../../src/delivery/transport.ts";
import type { Message } from "../../src/messages.ts";
import type { DeliveryRef, Identity, Person, Store } from "../../src/store.ts";
import { conversationOf, PLATFORM, type TeamsAddress } from "./identity.ts";
import { cardActivity } from "./render.ts";

/** The team channel the bot was last added to, remembered on install. */
export const TEAM_CHANNEL_SETTING = "teams:team-channel";

export interface TeamsDeliveryRef extends DeliveryRef {
  platform: "teams";
  activityId: string;
  reference: Partial<ConversationReference>;
}

export interface TeamsTransportOptions {
  adapter: CloudAdapter;
  appId: string;
  store: Store;
  /** Channel ids named in the program file (channels.<name>.teams); they take precedence over the remembered one. */
  channels: { announcements?: string; coordinators?: string };
  /** Another program's channel ids, for a post that names that program. */
  channelsOf?: (program: string) => { announcements?: string; coordinators?: string } | undefined;
}

const DEFAULT_RETRY_MS = 30_000;
/** Undefined makes botbuilder use its configured Bot Framework scope; an empty string would be sent as the scope. */
const BOT_FRAMEWORK_AUDIENCE = undefined as unknown as string;

/** Sends a new message, not a reply to the synthetic event botbuilder starts a proactive turn with (in a channel that would open a thread). */
async function sendNew(context: TurnContext, message: Message): Promise<string> {
  delete context.activity.id;
  return (await context.sendActivity(cardActivity(message)))?.id ?? "";
}

/** Proactive messages: every outgoing Teams message goes through here, outside any incoming turn. */
export function teamsTransport(options: TeamsTransportOptions): Transport {
  const { adapter, appId, store } = options;

  async function post(reference: Partial<ConversationReference>, message: Message): Promise<TeamsDeliveryRef> {
    let activityId = "";
    await adapter.continueConversationAsync(appId, reference, async (context) => {
      activityId = await sendNew(context, message);
    });
    return { platform: PLATFORM, activityId, reference };
  }

  /** Opens the 1:1 chat with someone who has the app but never wrote to it, and remembers it. */
  async function openChat(person: Person, identity: Identity, address: Partial<TeamsAddress>, message: Message): Promise<TeamsDeliveryRef> {
    const team = await store.getSetting<Partial<ConversationReference>>(TEAM_CHANNEL_SETTING);
    const serviceUrl = address.serviceUrl ?? team?.serviceUrl;
    const tenantId = address.tenantId ?? team?.conversation?.tenantId;
    if (!serviceUrl) throw notInstalled(person);
    let sent: TeamsDeliveryRef | undefined;
    try {
      const parameters: Partial<ConversationParameters> = {
        isGroup: false,
        bot: { id: appId ? `28:${appId}` : "steps", name: "Steps" },
        members: [{ id: identity.platformUserId, name: person.name }],
        tenantId,
        channelData: { tenant: { id: tenantId } },
      };
      await adapter.createConversationAsync(appId, "msteams", serviceUrl, BOT_FRAMEWORK_AUDIENCE, parameters as ConversationParameters, async (context) => {
        const reference = conversationOf(context.activity);
        sent = { platform: PLATFORM, activityId: await sendNew(context, message), reference };
      });
    } catch (error) {
      // Teams answers 403/404 when the user has not installed the app: no use trying again.
      const status = statusOf(error);
      if (status === 403 || status === 404) throw notInstalled(person);
      throw error;
    }
    const remembered: TeamsAddress = { reference: sent!.reference, serviceUrl, tenantId };
    await store.saveIdentity({ platform: PLATFORM, platformUserId: identity.platformUserId, personId: person.id, address: remembered });
    return sent!;
  }

  async function channelReference(channel: "announcements" | "coordinators", program: string | undefined): Promise<Partial<ConversationReference> | null> {
    const team = await store.getSetting<Partial<ConversationReference>>(TEAM_CHANNEL_SETTING);
    if (!team?.conversation) return null;
    const named = ((program !== undefined && options.channelsOf?.(program)) || options.channels)[channel];
    if (named) return { ...team, conversation: { ...team.conversation, id: named } };
    // Without a channel named in the program file, only announcements go to the team's channel.
    return channel === "announcements" ? team : null;
  }

  return {
    platform: PLATFORM,
    async sendToPerson(person, identity, message) {
      const address = (identity?.address ?? {}) as Partial<TeamsAddress>;
      return translate(() => {
        if (address.reference?.conversation) return post(address.reference, message);
        if (!identity) throw notInstalled(person);
        return openChat(person, identity, address, message);
      });
    },
    async sendToChannel(channel, message, program) {
      const reference = await channelReference(channel, program);
      return reference ? translate(() => post(reference, message)) : null;
    },
    async update(ref, message) {
      const { activityId, reference } = ref as TeamsDeliveryRef;
      await translate(() =>
        adapter.continueConversationAsync(appId, reference, async (context) => {
          await context.updateActivity({ ...cardActivity(message), id: activityId, conversation: reference.conversation });
        }),
      );
    },
  };
}

function notInstalled(person: Person): DeliveryError {
  return new DeliveryError(`${person.email} has not installed the Steps app in Teams yet, so Steps cannot message them there`, { permanent: true });
}

/** Connector errors in the dispatcher's terms: throttled → retry when told, gone → permanent. */
async function translate<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof DeliveryError) throw error;
    const status = statusOf(error);
    if (status === 429) throw new DeliveryError("Teams is throttling Steps (429)", { retryAfterMs: retryAfter(error) });
    // The bot was removed from that chat or team: the stored conversation no longer works.
    if (status === 403 || status === 404) throw new DeliveryError(`Teams refused the message (${status}): the app was removed from that chat`, { permanent: true });
    throw error;
  }
}

function statusOf(error: unknown): number | undefined {
  const e = error as { statusCode?: number; response?: { status?: number } } | null;
  return e?.statusCode ?? e?.response?.status;
}

function retryAfter(error: unknown): number {
  const headers = (error as { response?: { headers?: { get?(name: string): string | undefined } } }).response?.headers;
  const seconds = Number(headers?.get?.("retry-after"));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_RETRY_MS;
}
