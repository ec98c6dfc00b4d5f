import { parseCommand } from "./commands/grammar.ts";
import type { Core } from "./domain/core.ts";
import { replyFor } from "./domain/replies.ts";
import { isStepsError } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { Message } from "./messages.ts";
import type { Account, Person, Store } from "./store.ts";
import { StepsError } from "./errors.ts";

/** What every platform does with a typed command: parse it, run it, and always answer. */
export async function answer(core: Core, person: Person, text: string, log: Logger): Promise<Message> {
  try {
    const parsed = parseCommand(text);
    if (!parsed.ok) throw parsed.error;
    return await replyFor(core, person, parsed.command);
  } catch (error) {
    return errorReply(error, log);
  }
}

/**
 * The one place an error becomes words: coded errors are shown as they are,
 * anything else (a database outage, a bug) is logged and answered vaguely.
 */
export function errorReply(error: unknown, log: Logger): Message {
  if (isStepsError(error)) return { text: error.message, blocks: [{ type: "text", text: error.message }] };
  log.error("command failed", { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  const text = "Steps could not do that just now. Nothing was lost; please try again in a minute.";
  return { text, blocks: [{ type: "text", text }] };
}

/**
 * Finds the roster person behind a platform account: by the remembered id, or
 * else by the email the platform reports, which is then remembered.
 */
export async function resolvePerson(
  store: Store,
  platform: string,
  platformUserId: string,
  lookupEmail: () => Promise<string | undefined>,
  address?: unknown,
): Promise<Account> {
  const known = await store.personByIdentity(platform, platformUserId);
  if (known) {
    if (address === undefined) return known;
    await store.saveIdentity({ platform, platformUserId, personId: known.person.id, address });
    return { person: known.person, address };
  }
  const email = await lookupEmail();
  const person = email ? await store.personByEmail(email) : undefined;
  if (!person) {
    throw new StepsError("not_on_roster", "You are not on this program's roster yet. Ask your coordinator to add you, then try again.");
  }
  await store.saveIdentity({ platform, platformUserId, personId: person.id, address: address ?? null });
  return { person, address: address ?? null };
}
