import type { Message } from "../messages.ts";
import type { DeliveryRef, Identity, Person } from "../store.ts";

/**
 * What an adapter offers the dispatcher. Every outgoing message, whatever
 * the platform, is sent through one of these.
 */
export interface Transport {
  platform: string;
  /** Playground and CLI transports reach anyone on the roster, with or without an identity. */
  reachesEveryone?: boolean;
  /**
   * Reaches a person at their roster address rather than through an account on
   * a chat platform: what a person whose `contact` is not `chat` gets, and the
   * fallback for a message no chat platform could deliver. It is given no
   * identity when it is the fallback for the first time.
   */
  byAddress?: boolean;
  sendToPerson(person: Person, identity: Identity | undefined, message: Message, outgoing?: Outgoing): Promise<DeliveryRef>;
  /** Returns null when this platform has no such channel configured. `program`: whose channel (the first program's when absent). */
  sendToChannel(channel: "announcements" | "coordinators", message: Message, program?: string): Promise<DeliveryRef | null>;
  update(ref: DeliveryRef, message: Message): Promise<void>;
}

/**
 * Which outbox message is being sent, for a transport that can tell whether
 * an interrupted earlier attempt already arrived.
 */
export interface Outgoing {
  /** Names the message and nothing else (its outbox row), so it may travel with it. */
  id: string;
  queuedAt: Date;
  /** A process that died while sending it may have got it to the platform already. */
  resumed: boolean;
  /** The outbox key: stable across attempts, and says what the message is (`approval:…`, `reminder:…`). */
  key: string;
}

/** A failure the transport knows more about: when to try again, or that trying again is pointless. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly options: {
      retryAfterMs?: number;
      permanent?: boolean;
      /**
       * The message is fine but this instance cannot send it as it is set up
       * (a refused token, a missing scope, not the person's platform): it
       * waits for another instance, or for this one once fixed, and never
       * counts as failed.
       */
      local?: boolean;
    } = {},
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}
