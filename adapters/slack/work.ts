import type { webApi } from "@slack/bolt";
import { z } from "zod";
import { answer, errorReply } from "../../src/chat.ts";
import type { Core } from "../../src/domain/core.ts";
import { homeView } from "../../src/domain/home.ts";
import { act } from "../../src/domain/replies.ts";
import type { Logger } from "../../src/log.ts";
import { ACTION_IDS, type Message } from "../../src/messages.ts";
import type { Account, Person, Store } from "../../src/store.ts";
import { addressOf, rememberAddress, slackAccount } from "./identity.ts";
import { LIMITS, render } from "./render.ts";

/**
 * The work after an ack, as plain data: what receive.ts hands over, here or
 * to the work thread's instance of this adapter (AdapterContext.offload).
 */
const jobSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("command"), userId: z.string(), text: z.string(), responseUrl: z.string().optional() }),
  z.object({ kind: z.literal("click"), userId: z.string(), action: z.enum(ACTION_IDS), value: z.string(), responseUrl: z.string().optional() }),
  z.object({ kind: z.literal("changes"), userId: z.string(), value: z.string(), reason: z.string(), responseUrl: z.string().optional() }),
  z.object({ kind: z.literal("home"), userId: z.string(), channel: z.string().optional() }),
]);

export type SlackJob = z.infer<typeof jobSchema>;

export interface WorkDeps {
  client: webApi.WebClient;
  fetch: typeof fetch;
  core: Core;
  store: Store;
  log: Logger;
}

export interface SlackWork {
  /** Runs a job; failures are logged, never thrown (the request was acked long ago). */
  run(job: unknown): Promise<void>;
  refreshHome(person: Person, userId: string): Promise<void>;
}

// Work after the ack takes turns, a few at a time: with every request's work
// in flight at once, each new request waits behind all their callbacks
// before it can be acked.
const WORK_CONCURRENCY = 8;

export function slackWork(deps: WorkDeps): SlackWork {
  const { client, core, store, log } = deps;
  const turns = limiter(WORK_CONCURRENCY);

  /** Resolves the Slack user, runs fn, and turns any failure into the reply to show. */
  async function asPerson(userId: string, fn: (person: Person) => Promise<Message>): Promise<{ reply: Message; account?: Account }> {
    let account: Account | undefined;
    try {
      account = await slackAccount(store, client, userId);
      return { reply: await fn(account.person), account };
    } catch (error) {
      return { reply: errorReply(error, log), account };
    }
  }

  async function refreshHome(person: Person, userId: string): Promise<void> {
    const view = render(await homeView(core, person), LIMITS.homeBlocks);
    await client.views.publish({ user_id: userId, view: { type: "home", blocks: view.blocks as never } });
  }

  /** The actor's own Home tab shows the change too, if they ever opened it. */
  async function refreshIfOpened(account: Account | undefined, userId: string): Promise<void> {
    if (account && addressOf(account.address).home) await refreshHome(account.person, userId);
  }

  /** Ephemeral reply where Slack gave a response_url (messages), else a direct message (Home tab, modals). */
  async function tell(userId: string, message: Message, responseUrl?: string): Promise<void> {
    const rendered = render(message);
    if (responseUrl) {
      const res = await deps.fetch(responseUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ response_type: "ephemeral", replace_original: false, ...rendered }),
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
      account = await slackAccount(store, client, userId);
    } catch (error) {
      const text = errorReply(error, log).text;
      await client.views.publish({ user_id: userId, view: { type: "home", blocks: render({ text, blocks: [{ type: "text", text }] }).blocks as never } });
      return;
    }
    const identity = { platformUserId: userId, personId: account.person.id, address: account.address };
    await rememberAddress(store, identity, { home: true, ...(channel ? { channel } : {}) });
    await refreshHome(account.person, userId);
  }

  async function perform(job: SlackJob): Promise<void> {
    if (job.kind === "home") return home(job.userId, job.channel);
    const { reply, account } = await asPerson(job.userId, (p) => {
      if (job.kind === "command") return answer(core, p, job.text, log);
      if (job.kind === "click") return act(core, { action: job.action, value: job.value, personId: p.id });
      return act(core, { action: "request_changes", value: job.value, personId: p.id, reason: job.reason });
    });
    await tell(job.userId, reply, job.responseUrl);
    await refreshIfOpened(account, job.userId);
  }

  return {
    refreshHome,
    run: (raw) =>
      turns(async () => {
        const job = jobSchema.parse(raw);
        await perform(job);
      }).catch((error: unknown) => log.error("slack work failed", { error: error instanceof Error ? (error.stack ?? error.message) : String(error) })),
  };
}

/** Runs at most n of the given tasks at once, the rest in the order they came. */
function limiter(n: number): (task: () => Promise<void>) => Promise<void> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
