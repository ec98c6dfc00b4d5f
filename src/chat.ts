import { parseCommand } from "./commands/grammar.ts";
import type { Core } from "./domain/core.ts";
import { routeCommand } from "./domain/route.ts";
import { isStepsError } from "./errors.ts";
import { languageOfLocale, type Voice } from "./i18n.ts";
import type { Logger } from "./log.ts";
import type { Message } from "./messages.ts";
import type { Account, Person, Store } from "./store.ts";
import { StepsError } from "./errors.ts";

/** What every platform does with a typed command: parse it, run it, and always answer. */
export async function answer(core: Core, person: Person, text: string, log: Logger): Promise<Message> {
  const v = core.voiceOf(person);
  try {
    const parsed = parseCommand(text, v.say);
    if (!parsed.ok) throw parsed.error;
    return await routeCommand(core, person, parsed.command);
  } catch (error) {
    return errorReply(error, log, v);
  }
}

/**
 * The one place an error becomes words: coded errors are shown as they are
 * (already in the reader's language), anything else (a database outage, a
 * bug) is logged and answered vaguely in the reader's language.
 */
export function errorReply(error: unknown, log: Logger, v: Voice): Message {
  if (isStepsError(error)) return refusal(error);
  log.error("command failed", { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  const text = v.say("error.unexpected");
  return { text, blocks: [{ type: "text", text }] };
}

/** A coded error as the message that says it: where a platform rethrows every other error, to be tried again. */
export function refusal(error: StepsError): Message {
  return { text: error.message, blocks: [{ type: "text", text: error.message }] };
}

/** What a platform says about an account it was asked about. */
export interface Profile {
  email?: string | undefined;
  /** The account's locale (e.g. "es-MX"), where the platform tells. */
  locale?: string | undefined;
}

/**
 * Finds the roster person behind a platform account: by the remembered id, or
 * else by the email the platform reports, which is then remembered. A locale,
 * asked for with the email or sent with every activity, becomes the person's
 * language until the roster or the person chooses one.
 */
export async function resolvePerson(
  core: Pick<Core, "cores" | "strangerVoice">,
  platform: string,
  platformUserId: string,
  lookup: () => Promise<Profile>,
  address?: unknown,
  locale?: string,
): Promise<Account> {
  // Across programs: a core's own store sees only its program's people, and an account may belong to someone in any of them.
  const { store } = core.cores();
  const known = await store.personByIdentity(platform, platformUserId);
  if (known) {
    const account = { person: await learnLanguage(store, known.person, locale), address: known.address };
    if (address === undefined) return account;
    await store.saveIdentity({ platform, platformUserId, personId: known.person.id, address });
    return { person: account.person, address };
  }
  const profile = await lookup();
  const [found] = profile.email ? await store.peopleByEmail(profile.email) : [];
  const person = found && (await learnLanguage(store, found, locale ?? profile.locale));
  if (!person) {
    throw new StepsError("not_on_roster", core.strangerVoice(locale ?? profile.locale).say("identity.not_on_roster"));
  }
  await store.saveIdentity({ platform, platformUserId, personId: person.id, address: address ?? null });
  return { person, address: address ?? null };
}

async function learnLanguage(store: Store, person: Person, locale: string | undefined): Promise<Person> {
  const language = languageOfLocale(locale);
  if (person.language !== null || language === undefined) return person;
  await store.setLanguage(person.id, language, { onlyUnset: true });
  return { ...person, language };
}
