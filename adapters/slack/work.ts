import type { webApi } from "@slack/bolt";
import { z } from "zod";
import { answer, errorReply, refusal } from "../../src/chat.ts";
import type { Core } from "../../src/domain/core.ts";
import { homeView } from "../../src/domain/home.ts";
import { act } from "../../src/domain/route.ts";
import { isStepsError } from "../../src/errors.ts";
import type { InboxHandler, InboxJob } from "../../src/inbox.ts";
import type { Logger } from "../../src/log.ts";
import { ACTION_IDS, type Message } from "../../src/messages.ts";
import type { Account, Person, Store } from "../../src/store.ts";
import { addressOf, rememberAddress, slackAccount } from "./identity.ts";
import { LIMITS, render } from "./render.ts";

/** A Slack request as receive.ts records it in the inbox, checked again when it is read back. */
const jobSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("command"), userId: z.string(), text: z.string(), responseUrl: z.string().optional() }),
  z.object({ kind: z.literal("click"), userId: z.string(), action: z.enum(ACTION_IDS), value: z.string(), responseUrl: z.string().optional() }),
  z.object({ kind: z.literal("changes"), userId: z.string(), value: z.string(), reason: z.string(), responseUrl: z.string().optional() }),
  z.object({ kind: z.literal("home"), userId: z.string(), channel: z.string().optional() }),
]);

export type SlackJob = z.infer<typeof jobSchema>;

export interface WorkDeps {
  client: webApi.WebClient;
  core: Core;
  store: Store;
  log: Logger;
}

export interface SlackWork {
  /** Works off a recorded request: throws when it should be tried again (Slack or the database down). */
  run: InboxHandler;
  refreshHome(person: Person, userId: string): Promise<void>;
}

/** Slack answers a response_url at once; one that hangs is tried again later rather than holding the request. */
const RESPONSE_TIMEOUT_MS = 10_000;

export function slackWork(deps: WorkDeps): SlackWork {
  const { client, core, store, log } = deps;

  async function refreshHome(person: Person, userId: string): Promise<void> {
    const view = render(await homeView(core, person), LIMITS.homeBlocks);
    await client.views.publish({ user_id: userId, view: { type: "home", blocks: view.blocks as never } });
  }

  /** The actor's own Home tab shows the change too, if they ever opened it. A stale tab is not worth answering twice over. */
  async function refreshIfOpened(account: Account | undefined, userId: string): Promise<void> {
    if (!account || !addressOf(account.address).home) return;
    await refreshHome(account.person, userId).catch((error: unknown) => log.warn("slack home refresh failed", { error: String(error) }));
  }

  /** Ephemeral reply where Slack gave a response_url (messages), else a direct message (Home tab, modals). */
  async function tell(userId: string, message: Message, responseUrl?: string): Promise<void> {
    const rendered = render(message);
    if (responseUrl) {
      const res = await fetch(responseUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ response_type: "ephemeral", replace_original: false, ...rendered }),
        signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`response_url answered ${res.status}`);
      return;
    }
    const opened = await client.conversations.open({ users: userId });
    if (opened.channel?.id) await client.chat.postMessage({ channel: opened.channel.id, ...rendered });
  }

  async function home(userId: string, channel: string | undefined): Promise<void> {
    let account: Account;
    try {
      account = await slackAccount(core, client, userId);
    } catch (error) {
      if (!isStepsError(error)) throw error;
      const text = refusal(error).text;
      await client.views.publish({ user_id: userId, view: { type: "home", blocks: render({ text, blocks: [{ type: "text", text }] }).blocks as never } });
      return;
    }
    const identity = { platformUserId: userId, personId: account.person.id, address: account.address };
    await rememberAddress(store, identity, { home: true, ...(channel ? { channel } : {}) });
    await refreshHome(account.person, userId);
  }

  /** The request's change, which the inbox runs once, in one transaction with storing the answer. */
  function change(job: Exclude<SlackJob, { kind: "home" }>, person: Person): (core: Core) => Promise<Message> {
    return async (core) => {
      if (job.kind === "command") return answer(core, person, job.text, log);
      try {
        if (job.kind === "click") return await act(core, { action: job.action, value: job.value, personId: person.id });
        return await act(core, { action: "request_changes", value: job.value, personId: person.id, reason: job.reason });
      } catch (error) {
        return errorReply(error, log, core.voiceOf(person));
      }
    };
  }

  async function perform(job: SlackJob, request: InboxJob): Promise<void> {
    if (job.kind === "home") return home(job.userId, job.channel);
    let account: Account | undefined;
    let reply: Message;
    try {
      account = await slackAccount(core, client, job.userId);
      reply = await request.once(change(job, account.person));
    } catch (error) {
      // Not on the roster: said so. Anything else (Slack or the database down) is tried again later.
      if (!isStepsError(error)) throw error;
      reply = refusal(error);
    }
    await tell(job.userId, reply, job.responseUrl);
    await refreshIfOpened(account, job.userId);
  }

  return {
    refreshHome,
    async run(request) {
      const job = jobSchema.safeParse(request.payload);
      if (!job.success) return log.error("slack request dropped: not a job this version knows", { key: request.key });
      await perform(job.data, request);
    },
  };
}
