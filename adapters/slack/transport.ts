import { webApi } from "@slack/bolt";
import { z } from "zod";
import { DeliveryError, type Outgoing, type Transport } from "../../src/delivery/transport.ts";
import type { Logger } from "../../src/log.ts";
import type { Message } from "../../src/messages.ts";
import type { Program } from "../../src/program/program.ts";
import type { DeliveryRef, Identity, Person, Store } from "../../src/store.ts";
import { addressOf, rememberAddress } from "./identity.ts";
import { render } from "./render.ts";

const refSchema = z.object({ platform: z.literal("slack"), channel: z.string().min(1), ts: z.string().min(1) });

/** The metadata event a direct message carries with SLACK_DEDUP_HISTORY: its outbox id, nothing else (other apps can read metadata). */
export const OUTBOX_EVENT = "steps_outbox";
/** How many of a conversation's latest messages are searched for one a dead process may have posted. */
export const HISTORY_WINDOW = 15;
/** Slack's clock and the database's may differ a little; the search starts this much before the message was queued. */
const CLOCK_SKEW_MS = 60_000;

const historySchema = z.object({
  messages: z
    .array(z.object({ ts: z.string(), metadata: z.object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()).optional() }).optional() }))
    .default([]),
});

/** Errors that will not go away by trying again: the dispatcher gives up and lists them in the digest. */
const PERMANENT = new Set([
  "not_in_channel",
  "channel_not_found",
  "user_not_found",
  "users_not_found",
  "is_archived",
  "cannot_dm_bot",
  "user_disabled",
  "msg_too_long",
  "invalid_blocks",
  "message_not_found",
  "cant_update_message",
]);

/** Errors of this instance's token, not of the message: another instance, or this one with the token fixed, can send it. */
const LOCAL = new Set(["invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "missing_scope"]);

/** Slack's failure → the dispatcher's vocabulary: when to retry, never, or from an instance set up otherwise. */
export function deliveryError(error: unknown): Error {
  if (error instanceof webApi.WebAPIRateLimitedError) {
    return new DeliveryError(`slack rate limited: retry after ${error.retryAfter} s`, { retryAfterMs: error.retryAfter * 1000 });
  }
  if (error instanceof webApi.WebAPIPlatformError) {
    const code = error.data.error;
    return new DeliveryError(`slack: ${code}`, LOCAL.has(code) ? { local: true } : { permanent: PERMANENT.has(code) });
  }
  return error instanceof Error ? error : new Error(String(error));
}

export interface SlackTransportOptions {
  client: webApi.WebClient;
  store: Store;
  /** The first program: its channels, unless a post names another. */
  program: Program;
  /** The other programs by id, for a post that names one. */
  programs?: (id: string) => Program | undefined;
  log: Logger;
  /** Re-publishes a person's Home tab after a message that concerns them; only for people who opened it. */
  refreshHome?: (person: Person, userId: string) => Promise<void>;
  /**
   * SLACK_DEDUP_HISTORY: direct messages carry their outbox id, and one that a
   * process which died may have posted is looked for before it is posted again
   * (conversations.history, which needs the im:history scope).
   */
  dedupHistory?: boolean;
}

export function slackTransport(options: SlackTransportOptions): Transport {
  const { client, store, program, log } = options;

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw deliveryError(error);
    }
  }

  /** The DM channel: remembered, or opened once and remembered. */
  async function dmChannel(identity: Identity): Promise<string> {
    const address = addressOf(identity.address);
    if (address.channel) return address.channel;
    const opened = await call(() => client.conversations.open({ users: identity.platformUserId }));
    const channel = opened.channel?.id;
    if (!channel) throw new DeliveryError("slack: conversations.open returned no channel");
    await rememberAddress(store, identity, { channel });
    return channel;
  }

  async function post(channel: string, message: Message, outgoing?: Outgoing): Promise<DeliveryRef> {
    const metadata = outgoing && { event_type: OUTBOX_EVENT, event_payload: { outbox: outgoing.id } };
    const result = await call(() => client.chat.postMessage({ channel, ...render(message), unfurl_links: false, ...(metadata ? { metadata } : {}) }));
    return { platform: "slack", channel: result.channel ?? channel, ts: result.ts! };
  }

  /**
   * The message as a process that died had already posted it, if it had. If
   * the search fails the message is posted: at worst twice, as without it.
   */
  async function alreadyPosted(channel: string, outgoing: Outgoing): Promise<DeliveryRef | undefined> {
    try {
      const oldest = ((outgoing.queuedAt.getTime() - CLOCK_SKEW_MS) / 1000).toFixed(6);
      const history = historySchema.parse(await client.conversations.history({ channel, oldest, limit: HISTORY_WINDOW, include_all_metadata: true }));
      const found = history.messages.find((m) => m.metadata?.event_type === OUTBOX_EVENT && m.metadata.event_payload?.outbox === outgoing.id);
      return found && { platform: "slack", channel, ts: found.ts };
    } catch (error) {
      const text = deliveryError(error).message;
      log.warn(`slack: could not look for a message before sending it again (${text})${text.endsWith("missing_scope") ? ": SLACK_DEDUP_HISTORY needs the im:history scope, add it to the app and reinstall it" : ""}`);
      return undefined;
    }
  }

  /** Someone who never wrote to Steps (a mentor, typically) is found by their roster email, once. */
  async function lookUp(person: Person): Promise<Identity> {
    const found = await call(() => client.users.lookupByEmail({ email: person.email }));
    const userId = found.user?.id;
    if (!userId) throw new DeliveryError(`slack: no user with ${person.email}`, { permanent: true });
    // Saved with its DM channel once that is open (dmChannel), in one write.
    return { platform: "slack", platformUserId: userId, personId: person.id, address: {}, updatedAt: new Date(0) };
  }

  return {
    platform: "slack",
    // Anyone on the roster with a Slack account can be reached: by remembered id, or by email.
    reachesEveryone: true,
    async sendToPerson(person, known, message, outgoing) {
      const identity = known ?? (await lookUp(person));
      const channel = await dmChannel(identity);
      const tagged = options.dedupHistory ? outgoing : undefined;
      const ref = (tagged?.resumed ? await alreadyPosted(channel, tagged) : undefined) ?? (await post(channel, message, tagged));
      if (options.refreshHome && addressOf(identity.address).home) {
        // A stale Home tab is not worth failing a delivered message over.
        options.refreshHome(person, identity.platformUserId).catch((error: unknown) => log.warn("slack home refresh failed", { error: String(error) }));
      }
      return ref;
    },
    async sendToChannel(channel, message, programId) {
      const owner = (programId !== undefined && options.programs?.(programId)) || program;
      const id = owner.file.program.channels[channel].slack;
      if (!id) return null;
      return post(id, message);
    },
    async update(ref, message) {
      const parsed = refSchema.safeParse(ref);
      if (!parsed.success) throw new DeliveryError("not a Slack message reference", { permanent: true });
      await call(() => client.chat.update({ channel: parsed.data.channel, ts: parsed.data.ts, ...render(message) }));
    },
  };
}
