import type { webApi } from "@slack/bolt";
import { z } from "zod";
import { resolvePerson, type Profile } from "../../src/chat.ts";
import type { Core } from "../../src/domain/core.ts";
import type { Account, Identity, Store } from "../../src/store.ts";

/** What Steps remembers about a Slack account: its DM channel with the bot, and whether its Home tab was opened. */
export interface SlackAddress {
  channel?: string;
  home?: boolean;
}

const addressSchema = z.object({ channel: z.string().min(1).optional(), home: z.boolean().optional() });

export function addressOf(raw: unknown): SlackAddress {
  const parsed = addressSchema.safeParse(raw);
  return parsed.success ? parsed.data : {};
}

const userInfoSchema = z.object({
  user: z.object({ locale: z.string().optional(), profile: z.object({ email: z.string().optional() }).optional() }).optional(),
});

/** The email Slack reports for a user (scope users:read.email), undefined for bots and guests without one, and their locale. */
export async function profileOf(client: webApi.WebClient, userId: string): Promise<Profile> {
  try {
    const info = userInfoSchema.parse(await client.users.info({ user: userId, include_locale: true }));
    return { email: info.user?.profile?.email || undefined, locale: info.user?.locale };
  } catch (error) {
    // An unknown user is simply not on the roster; anything else (Slack down) must not look like that.
    if ((error as { data?: { error?: string } }).data?.error === "user_not_found") return {};
    throw error;
  }
}

/** The roster person behind a Slack user id, with the account's address: remembered, or matched by email once and remembered. */
export function slackAccount(core: Pick<Core, "cores" | "strangerVoice">, client: webApi.WebClient, userId: string): Promise<Account> {
  return resolvePerson(core, "slack", userId, () => profileOf(client, userId));
}

/** Merges what was learnt into the stored address; writes only when something changed. */
export async function rememberAddress(store: Store, identity: Pick<Identity, "platformUserId" | "personId" | "address">, learnt: SlackAddress): Promise<void> {
  const current = addressOf(identity.address);
  const next = { ...current, ...learnt };
  if (next.channel === current.channel && next.home === current.home) return;
  await store.saveIdentity({ platform: "slack", platformUserId: identity.platformUserId, personId: identity.personId, address: next });
}
