import type { Logger } from "../log.ts";
import type { ClaimedItem, DeliveryRef, Identity, Person, SentMark, Store } from "../store.ts";
import { pump, retryDelay } from "../queue.ts";
import type { Clock } from "../time.ts";
import { coalesce } from "./coalesce.ts";
import type { Message } from "../messages.ts";
import { DeliveryError, type Outgoing, type Transport } from "./transport.ts";

export interface DispatcherOptions {
  store: Store;
  now: Clock;
  log: Logger;
  /** Give up after this many attempts and list the message in the digest. */
  maxAttempts?: number;
  batchSize?: number;
  /**
   * How long a claimed item is ours before another instance may take it over.
   * Renewed while its batch is being sent, so it runs out only when this
   * process dies or stalls.
   */
  leaseMs?: number;
  /** Messages sent at once within one batch. */
  concurrency?: number;
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

/**
 * Work for another service that goes through the outbox as a message does
 * (queued with the change that asks for it, claimed, retried with backoff,
 * failed for good into the digest): an outbox item whose recipient is `job:<kind>`.
 */
export interface JobHandler {
  /** Attempts before it is marked failed; a service's outage can be longer than a chat platform's hiccup. */
  maxAttempts?: number;
  /** Does it; throws DeliveryError (permanent: refused, with the reason the digest shows) or anything else (retried). */
  run(job: unknown, item: ClaimedItem): Promise<DeliveryRef[]>;
}

export const DISPATCH_CONCURRENCY = 8;
/** Short: after a crash, what the process had claimed waits this long (and a beat) for another instance. */
export const OUTBOX_LEASE_MS = 10_000;

/**
 * Sends what the outbox holds. Items are claimed in the database before they
 * are sent, so any number of instances can run this side by side.
 */
export function createDispatcher(options: DispatcherOptions) {
  const { store, now, log } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const batchSize = options.batchSize ?? 50;
  const leaseMs = options.leaseMs ?? OUTBOX_LEASE_MS;
  const concurrency = options.concurrency ?? DISPATCH_CONCURRENCY;
  const transports: Transport[] = [];
  const jobs = new Map<string, JobHandler>();
  const jobKind = (item: ClaimedItem) => (item.recipient.startsWith("job:") ? item.recipient.slice("job:".length) : undefined);
  // Messages finish one by one; their marks share a statement (and a commit) with those that finish meanwhile.
  const markSent = coalesce((marks: SentMark[]) => store.markSent(marks));

  /** Who a batch is for, looked up once per batch rather than once per message. */
  interface Recipients {
    people: Map<number, Person>;
    identities: Map<number, Identity[]>;
  }

  async function recipientsOf(batch: ClaimedItem[]): Promise<Recipients> {
    const ids = [...new Set(batch.filter((i) => i.recipient.startsWith("person:")).map((i) => Number(i.recipient.slice("person:".length))))];
    const [people, identities] = await Promise.all([store.peopleByIds(ids), store.identitiesOf(ids)]);
    const byPerson = new Map<number, Identity[]>();
    for (const identity of identities) byPerson.set(identity.personId, [...(byPerson.get(identity.personId) ?? []), identity]);
    return { people: new Map(people.map((p) => [p.id, p])), identities: byPerson };
  }

  async function deliver(item: ClaimedItem, recipients: Recipients): Promise<DeliveryRef[]> {
    const kind = jobKind(item);
    if (kind !== undefined || "job" in item.payload) {
      const handler = kind === undefined ? undefined : jobs.get(kind);
      // Another instance may run it (a CLI process does not start every service), or this one once configured.
      if (!handler || !("job" in item.payload)) throw new DeliveryError(`no handler for ${item.recipient} here`, { local: true });
      return handler.run(item.payload.job, item);
    }
    const { message, updates, program } = item.payload;
    if (updates) {
      const refs = await store.deliveredUnder(updates);
      for (const ref of refs) await transports.find((t) => t.platform === ref.platform)?.update(ref, message);
      // Nothing to edit (the request never reached anyone): tell the decider directly instead.
      if (refs.length > 0) return refs;
    }
    if (item.recipient.startsWith("channel:")) {
      const channel = item.recipient.slice("channel:".length) as "announcements" | "coordinators";
      const refs: DeliveryRef[] = [];
      for (const t of transports) {
        const ref = await t.sendToChannel(channel, message, program);
        if (ref) refs.push(ref);
      }
      return refs;
    }
    const personId = Number(item.recipient.slice("person:".length));
    const person = recipients.people.get(personId);
    if (!person) throw new DeliveryError(`person ${personId} is no longer on the roster`, { permanent: true });
    const outgoing: Outgoing = { id: String(item.id), queuedAt: item.createdAt, resumed: item.resumed, key: item.key };
    const mail = transports.find((t) => t.byAddress);
    if (!mail || person.contact === "chat") return toChat(person, message, outgoing, recipients, mail);
    const ref = await mail.sendToPerson(person, undefined, message, outgoing);
    if (person.contact === "email") return [ref];
    // `both`: their address is the copy that must arrive, and has; a chat copy
    // retried would send the email again, so a failed one is only logged.
    try {
      return [ref, ...(await toChat(person, message, outgoing, recipients, undefined))];
    } catch (error) {
      log.info("chat copy of an emailed message not delivered", { key: item.key, error: error instanceof Error ? error.message : String(error) });
      return [ref];
    }
  }

  /** To a person on their chat platform; `mail`, when given, takes what no chat platform could deliver. */
  async function toChat(person: Person, message: Message, outgoing: Outgoing, recipients: Recipients, mail: Transport | undefined): Promise<DeliveryRef[]> {
    try {
      return await toChatOnly(person, message, outgoing, recipients, mail);
    } catch (error) {
      if (!mail || !(error instanceof DeliveryError && error.options.permanent)) throw error;
      // From this message on they are written to by address (an identity there,
      // until they use a chat platform again, which then comes first).
      log.info("not reachable in chat: sent by address instead", { person: person.id, reason: error.message });
      return [await mail.sendToPerson(person, undefined, message, outgoing)];
    }
  }

  async function toChatOnly(person: Person, message: Message, outgoing: Outgoing, recipients: Recipients, mail: Transport | undefined): Promise<DeliveryRef[]> {
    const personId = person.id;
    const chats = transports.filter((t) => !t.byAddress);
    // Without `mail` (a `both` person, already written to by address) their address is not a chat platform.
    const known = (recipients.identities.get(personId) ?? []).filter((i) => mail || !transports.find((t) => t.platform === i.platform)?.byAddress);
    // The platform the person used last is where they will see it (identitiesOf orders them so).
    for (const identity of known) {
      const transport = transports.find((t) => t.platform === identity.platform);
      if (transport) return [await transport.sendToPerson(person, identity, message, outgoing)];
    }
    // They talk to Steps where this instance does not run (a `run-due` with
    // fewer platforms, `steps as`): an instance that does will send it.
    if (known.length > 0) {
      throw new DeliveryError(`${person.email} uses Steps on ${[...new Set(known.map((i) => i.platform))].join(" and ")}, which the instance that tried does not run`, { local: true });
    }
    const anyone = chats.find((t) => t.reachesEveryone);
    if (anyone) {
      try {
        const ref = await anyone.sendToPerson(person, undefined, message, outgoing);
        // The transport has just found them and saved who they are there: this
        // batch's next messages to them need not look them up again. Only a
        // saving: if it cannot be read they are looked up again, and the
        // message, already sent, must not be retried for it.
        await store.identitiesOf([personId]).then(
          (found) => recipients.identities.set(personId, found),
          () => {},
        );
        return [ref];
      } catch (error) {
        // The digest should say what a coordinator can act on: maybe they use the other platform and never installed Steps there.
        const others = chats.filter((t) => !t.reachesEveryone).map((t) => t.platform);
        if (!(error instanceof DeliveryError && error.options.permanent) || others.length === 0) throw error;
        throw new DeliveryError(`${person.email} was not found on ${anyone.platform} (${error.message}) and has not started a chat with Steps on ${others.join(" or ")} yet`, { permanent: true });
      }
    }
    throw new DeliveryError(`${person.email} has not started a chat with Steps on ${chats.map((t) => t.platform).join(" or ") || "any chat platform"} yet`, { permanent: true });
  }

  async function handle(item: ClaimedItem, recipients: Recipients): Promise<void> {
    try {
      const refs = await deliver(item, recipients);
      await markSent({ id: item.id, claims: item.claims, delivered: refs, at: now() });
    } catch (error) {
      const e = error instanceof DeliveryError ? error : null;
      const text = error instanceof Error ? error.message : String(error);
      if (e?.options.local) {
        // Not at once, or this instance's next pass would claim it again; the
        // wait doubles each time it is handed back (claims minus attempts).
        const waitMs = Math.min(15 * 60_000, leaseMs * 2 ** (item.claims - item.attempts));
        log.warn("delivery waits for an instance that can send it", { key: item.key, reason: text, inMs: waitMs });
        await store.release(item, text, new Date(now().getTime() + waitMs));
        return;
      }
      const kind = jobKind(item);
      if (e?.options.permanent || item.attempts >= ((kind !== undefined && jobs.get(kind)?.maxAttempts) || maxAttempts)) {
        log.warn("delivery failed for good", { key: item.key, error: text });
        await store.markFailed(item, text);
        return;
      }
      const backoff = retryDelay(item.attempts, e?.options.retryAfterMs);
      log.info("delivery will be retried", { key: item.key, error: text, inMs: backoff });
      await store.markRetry(item, text, new Date(now().getTime() + backoff));
    }
  }

  /**
   * Keeps the batch's leases from running out while it is being sent (a slow
   * or rate-limited platform can take longer than a lease): only a process
   * that dies or stalls loses its claims.
   */
  function heartbeat(held: Map<number, ClaimedItem>): () => void {
    let renewing = false;
    const timer = setInterval(() => {
      if (renewing || held.size === 0) return;
      renewing = true;
      store
        .renewLeases([...held.values()], new Date(now().getTime() + leaseMs))
        .catch((error: unknown) => log.warn("outbox leases not renewed", { error: String(error) }))
        .finally(() => (renewing = false));
    }, leaseMs / 3);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Sends everything due now; returns how many items were handled. */
  async function drain(): Promise<number> {
    // Without any platform (run-due before its adapters start, or with none
    // configured) there is nothing to send with: the outbox waits, untouched.
    if (transports.length === 0) return 0;
    let total = 0;
    for (;;) {
      const batch = await store.claimDue(now(), batchSize, leaseMs);
      if (batch.length === 0) return total;
      const held = new Map(batch.map((item) => [item.id, item]));
      const stop = heartbeat(held);
      try {
        const recipients = await recipientsOf(batch);
        // One recipient's messages go in order (an outcome before its badge);
        // different recipients' go side by side.
        const byRecipient = new Map<string, ClaimedItem[]>();
        for (const item of batch) byRecipient.set(item.recipient, [...(byRecipient.get(item.recipient) ?? []), item]);
        const queues = [...byRecipient.values()];
        let next = 0;
        // Every worker runs to its end before the leases stop being renewed, even when one fails.
        const workers = await Promise.allSettled(
          Array.from({ length: Math.min(concurrency, queues.length) }, async () => {
            while (next < queues.length) {
              for (const item of queues[next++]!) {
                await handle(item, recipients);
                held.delete(item.id);
              }
            }
          }),
        );
        const failed = workers.find((w) => w.status === "rejected");
        if (failed) throw failed.reason;
      } finally {
        stop();
      }
      total += batch.length;
    }
  }

  const runs = pump("dispatcher", drain, log);

  return {
    register(transport: Transport) {
      transports.push(transport);
    },
    /** Runs the outbox items whose recipient is `job:<kind>`. */
    registerJob(kind: string, handler: JobHandler) {
      jobs.set(kind, handler);
    },
    get platforms() {
      return transports.map((t) => t.platform);
    },
    drain,
    kick: runs.kick,
    idle: runs.idle,
  };
}
