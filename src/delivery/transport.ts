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
  sendToPerson(person: Person, identity: Identity | undefined, message: Message): Promise<DeliveryRef>;
  /** Returns null when this platform has no such channel configured. */
  sendToChannel(channel: "announcements" | "coordinators", message: Message): Promise<DeliveryRef | null>;
  update(ref: DeliveryRef, message: Message): Promise<void>;
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
