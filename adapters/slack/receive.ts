import type { App, RespondFn, webApi } from "@slack/bolt";
import { z } from "zod";
import { answer, errorReply } from "../../src/chat.ts";
import type { Core } from "../../src/domain/core.ts";
import { homeView } from "../../src/domain/home.ts";
import type { Logger } from "../../src/log.ts";
import type { ActionId, Message } from "../../src/messages.ts";
import type { Account, Person, Store } from "../../src/store.ts";
import { addressOf, rememberAddress, slackAccount } from "./identity.ts";
import { LIMITS, render } from "./render.ts";

export const COMMAND = "/steps";
export const CHANGES_MODAL = "request_changes";
export const HOME_OPENED = "app_home_opened";
/** Every Events API event the app subscribes to (manifest.yml bot_events). */
export const BOT_EVENTS = [HOME_OPENED];
/** Button action ids as render.ts writes them: the action, maybe with a #n suffix for repeats in one block. */
export const ACTION_ID = /^(approve|request_changes|publish_badge)(#\d+)?$/;

export interface ReceiveDeps {
  app: App;
  client: webApi.WebClient;
  /** For response_urls Bolt does not answer itself (after a modal). */
  fetch: typeof fetch;
  core: Core;
  store: Store;
  log: Logger;
}

// No length cap here: the grammar answers an over-long command itself.
const commandSchema = z.object({ user_id: z.string().min(1), text: z.string() });
const clickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1),
  response_url: z.url().optional(),
  actions: z.array(z.object({ action_id: z.string().regex(ACTION_ID), value: z.string().max(LIMITS.buttonValue) })).min(1),
});
const metadataSchema = z.object({ value: z.string().max(LIMITS.buttonValue), responseUrl: z.url().optional() });
const submissionSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({ values: z.object({ reason: z.object({ reason: z.object({ value: z.string().nullish() }) }) }) }),
  }),
});
const homeOpenedSchema = z.object({ user: z.string().min(1), channel: z.string().min(1).optional(), tab: z.string().optional() });

/** Wires the /steps command, button clicks, the request-changes modal and the Home tab onto a Bolt app. */
export function registerHandlers(deps: ReceiveDeps): { refreshHome(person: Person, userId: string): Promise<void> } {
  const { app, client, core, store, log } = deps;

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
  async function tell(userId: string, message: Message, respond?: RespondFn | string): Promise<void> {
    const rendered = render(message);
    if (typeof respond === "function") return void (await respond({ response_type: "ephemeral", replace_original: false, ...rendered }));
    if (typeof respond === "string") {
      const res = await deps.fetch(respond, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ response_type: "ephemeral", replace_original: false, ...rendered }) });
      if (!res.ok) throw new Error(`response_url answered ${res.status}`);
      return;
    }
    const opened = await client.conversations.open({ users: userId });
    if (opened.channel?.id) await client.chat.postMessage({ channel: opened.channel.id, ...rendered });
  }

  // Work after the ack takes turns, a few at a time: with every request's work
  // in flight at once, each new request waits behind all their callbacks
  // before it can be acked.
  const turns = limiter(WORK_CONCURRENCY);
  const safely = (what: string, fn: () => Promise<void>) =>
    turns(fn).catch((error: unknown) => log.error(`slack ${what} failed`, { error: error instanceof Error ? (error.stack ?? error.message) : String(error) }));

  // Slack re-sends an event it thinks failed (X-Slack-Retry-Num); the receipts table makes the first one the only one.
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === "string" && !(await store.firstReceipt(`slack:event:${eventId}`))) {
      log.debug("slack event already handled", { eventId });
      return;
    }
    await next();
  });

  app.command(COMMAND, async ({ ack, body, respond }) => {
    // Acknowledge first: Slack gives up after 3 s, and the reply goes through response_url anyway.
    await ack();
    await safely("command", async () => {
      const command = commandSchema.parse(body);
      const { reply, account } = await asPerson(command.user_id, (p) => answer(core, p, command.text, log));
      await tell(command.user_id, reply, respond);
      await refreshIfOpened(account, command.user_id);
    });
  });

  app.action(ACTION_ID, async ({ ack, body, respond }) => {
    await ack();
    await safely("button", async () => {
      const parsed = clickSchema.safeParse(body);
      if (!parsed.success) return log.warn("slack click ignored: unexpected payload", { issues: parsed.error.issues.length });
      const click = parsed.data;
      const { action_id, value } = click.actions[0]!;
      const action = action_id.replace(/#\d+$/, "") as ActionId;
      const userId = click.user.id;
      if (action === "request_changes") {
        // trigger_id expires in 3 s: open the modal before any database work; the core checks the clicker on submit.
        await client.views.open({ trigger_id: click.trigger_id, view: changesModal({ value, responseUrl: click.response_url }) as never });
        return;
      }
      const { reply, account } = await asPerson(userId, (p) => core.act({ action, value, personId: p.id }));
      await tell(userId, reply, click.response_url ? respond : undefined);
      await refreshIfOpened(account, userId);
    });
  });

  app.view(CHANGES_MODAL, async ({ ack, body }) => {
    const parsed = submissionSchema.safeParse(body);
    const reason = parsed.success ? parsed.data.view.state.values.reason.reason.value?.trim() : undefined;
    if (!parsed.success || !reason) {
      await ack({ response_action: "errors", errors: { reason: "Say what should change." } });
      return;
    }
    await ack();
    await safely("modal", async () => {
      const userId = parsed.data.user.id;
      const meta = metadataSchema.safeParse(safeJson(parsed.data.view.private_metadata));
      const { reply, account } = await asPerson(userId, (p) =>
        core.act({ action: "request_changes", value: meta.success ? meta.data.value : "", personId: p.id, reason }),
      );
      await tell(userId, reply, meta.success ? meta.data.responseUrl : undefined);
      await refreshIfOpened(account, userId);
    });
  });

  app.event(HOME_OPENED, async ({ event }) => {
    await safely("home", async () => {
      const opened = homeOpenedSchema.parse(event);
      if (opened.tab && opened.tab !== "home") return;
      let account: Account;
      try {
        account = await slackAccount(store, client, opened.user);
      } catch (error) {
        const text = errorReply(error, log).text;
        await client.views.publish({ user_id: opened.user, view: { type: "home", blocks: render({ text, blocks: [{ type: "text", text }] }).blocks as never } });
        return;
      }
      const identity = { platformUserId: opened.user, personId: account.person.id, address: account.address };
      await rememberAddress(store, identity, { home: true, ...(opened.channel ? { channel: opened.channel } : {}) });
      await refreshHome(account.person, opened.user);
    });
  });

  return { refreshHome };
}

function changesModal(meta: z.infer<typeof metadataSchema>) {
  return {
    type: "modal",
    callback_id: CHANGES_MODAL,
    private_metadata: JSON.stringify(meta),
    title: { type: "plain_text", text: "Request changes" },
    submit: { type: "plain_text", text: "Send back" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "input",
        block_id: "reason",
        label: { type: "plain_text", text: "What should the intern change?" },
        element: { type: "plain_text_input", action_id: "reason", multiline: true, max_length: 2000 },
      },
    ],
  };
}

const WORK_CONCURRENCY = 8;

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

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
