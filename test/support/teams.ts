import teamsAdapter from "../../adapters/teams/index.ts";
import { startServer, type RunningServer } from "../../app/server.ts";
import type { Steps } from "../../app/boot.ts";
import type { Logger } from "../../src/log.ts";
import type { PlatformAdapter } from "../../adapters/platform.ts";
import type { Clock } from "../../src/time.ts";
import { bootForTest } from "./boot.ts";
import { startFakeConnector, type FakeConnector } from "./fake-connector.ts";

export const BOT_ID = "28:steps-bot";
export const TENANT = "tenant-1";
export const TEAM_CHANNEL = "19:general@thread.tacv2";

let activities = 0;

/** Teams user ids are opaque; these make them readable in tests. */
export const userId = (name: string) => `29:${name}`;

export interface ActivityOptions {
  type?: string;
  from: string;
  text?: string;
  /** Personal chat by default; "channel" sends it in the team's channel, as an @mention would be. */
  scope?: "personal" | "channel";
  /** Adds a mention of the bot, as Teams does when the message starts with @Steps. */
  mention?: boolean;
  name?: string;
  value?: unknown;
  membersAdded?: { id: string }[];
  id?: string;
  /** The message the activity answers: for a card click, the message holding the card. */
  replyToId?: string;
}

/** A Bot Framework activity as Teams posts it to /api/messages, pointing back at the fake connector. */
export function teamsActivity(connector: Pick<FakeConnector, "url">, o: ActivityOptions): Record<string, unknown> {
  const channel = o.scope === "channel";
  const conversation = channel
    ? { id: `${TEAM_CHANNEL};messageid=${++activities}`, conversationType: "channel", tenantId: TENANT, isGroup: true }
    : { id: `a:personal-${o.from}`, conversationType: "personal", tenantId: TENANT };
  const text = o.mention ? `<at>Steps</at> ${o.text ?? ""}` : o.text;
  return {
    type: o.type ?? "message",
    id: o.id ?? `in-${++activities}`,
    timestamp: new Date().toISOString(),
    channelId: "msteams",
    serviceUrl: connector.url,
    from: { id: o.from, name: o.from, aadObjectId: `aad-${o.from}` },
    recipient: { id: BOT_ID, name: "Steps" },
    conversation,
    ...(text !== undefined ? { text, textFormat: "plain" } : {}),
    ...(o.mention ? { entities: [{ type: "mention", text: "<at>Steps</at>", mentioned: { id: BOT_ID, name: "Steps" } }] } : {}),
    ...(o.name ? { name: o.name } : {}),
    ...(o.value !== undefined ? { value: o.value } : {}),
    ...(o.membersAdded ? { membersAdded: o.membersAdded } : {}),
    ...(o.replyToId ? { replyToId: o.replyToId } : {}),
    channelData: { tenant: { id: TENANT }, ...(channel ? { team: { id: "19:team@thread.tacv2" }, channel: { id: TEAM_CHANNEL } } : {}) },
  };
}

/** An Action.Execute click on a card button, as Teams invokes it; replyToId is the message holding the card. */
export function cardClick(connector: Pick<FakeConnector, "url">, from: string, verb: string, data: Record<string, unknown>, replyToId?: string): Record<string, unknown> {
  return teamsActivity(connector, { type: "invoke", name: "adaptiveCard/action", from, value: { action: { type: "Action.Execute", verb, data } }, replyToId });
}

export interface TeamsRig {
  steps: Steps;
  server: RunningServer;
  connector: FakeConnector;
  /** POSTs an activity to /api/messages and waits for the inbox and the outbox to settle. */
  post(activity: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
  /** Registers a Teams user on the fake connector with the email a member look-up returns. */
  member(name: string, email: string, upnOnly?: boolean): string;
  close(): Promise<void>;
}

/** POSTs an activity to a running server's /api/messages, as Teams does. */
export function postActivity(serverUrl: string, activity: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${serverUrl}/api/messages`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(activity) });
}

/**
 * The real server with the Teams adapter (plus any others given, e.g. Slack for a
 * cross-platform test), against a fake connector. TEAMS=1 unless vars say otherwise.
 */
export async function teamsRig(vars: Record<string, string> = {}, options: { now?: Clock; log?: Logger; adapters?: PlatformAdapter[]; connectorHost?: string } = {}): Promise<TeamsRig> {
  const connector = await startFakeConnector({ host: options.connectorHost });
  const steps = await bootForTest({ TEAMS: "1", PROGRAM_FILE: "test/fixtures/teams-program.yml", ROSTER_FILE: "test/fixtures/teams-roster.csv", ...vars }, options);
  const server = await startServer(steps, [teamsAdapter, ...(options.adapters ?? [])], { retryEveryMs: 3_600_000 });
  return {
    steps,
    server,
    connector,
    async post(activity, headers = {}) {
      const res = await postActivity(server.url, activity, headers);
      await steps.inbox.idle();
      await steps.dispatcher.idle();
      return res;
    },
    member(name, email, upnOnly = false) {
      const id = userId(name);
      connector.members.set(id, upnOnly ? { userPrincipalName: email, name } : { email, name });
      return id;
    },
    async close() {
      await server.close();
      await steps.close();
      await connector.close();
    },
  };
}

/** The card a connector call carried, and its plain fallback. */
export function cardOf(call: { body: any }): { body: any[]; actions: any[]; fallbackText: string } {
  const card = call.body?.attachments?.[0]?.content;
  if (!card) throw new Error(`no card in ${JSON.stringify(call.body)}`);
  const actions = (card.body as any[]).filter((e) => e.type === "ActionSet").flatMap((e) => e.actions);
  return { body: card.body, actions, fallbackText: card.fallbackText };
}
