import type { Transport } from "../../src/delivery/transport.ts";
import type { Logger } from "../../src/log.ts";
import type { Message } from "../../src/messages.ts";
import type { Clock } from "../../src/time.ts";

// What the playground has "delivered", kept in memory: the outbox in the
// database is the record, so a restart only empties the screens.

export interface Posted {
  id: number;
  /** Bumped when the message is edited in place (an approval request after the decision). */
  rev: number;
  at: Date;
  message: Message;
}

export interface ChatLine {
  id: number;
  from: "you" | "steps";
  /** What the person typed or clicked (from "you"), or Steps' reply. */
  text: string;
  message?: Message;
}

export type Channel = "announcements" | "coordinators";

/** Oldest entries are dropped beyond this, so a long-running playground stays small. */
const KEEP = 200;

export type Mailbox = ReturnType<typeof createMailbox>;

export function createMailbox(now: Clock) {
  const dms = new Map<number, Posted[]>();
  const channels: Record<Channel, Posted[]> = { announcements: [], coordinators: [] };
  const chats = new Map<number, ChatLine[]>();
  const byId = new Map<number, Posted>();
  let next = 0;
  let version = 0;
  let posted = 0;

  function push<T extends { id: number }>(list: T[], item: T): void {
    list.push(item);
    const dropped = list.splice(0, Math.max(0, list.length - KEEP));
    for (const d of dropped) byId.delete(d.id);
    version++;
  }

  function listOf<T>(map: Map<number, T[]>, personId: number): T[] {
    let list = map.get(personId);
    if (!list) map.set(personId, (list = []));
    return list;
  }

  return {
    /** Changes whenever anything is posted or edited: clients poll it to know when to refresh. */
    get version() {
      return version;
    },
    /** How many messages have been delivered here since start. */
    get posted() {
      return posted;
    },
    post(to: { personId: number } | { channel: Channel }, message: Message): Posted {
      const item: Posted = { id: ++next, rev: 1, at: now(), message };
      push("channel" in to ? channels[to.channel] : listOf(dms, to.personId), item);
      byId.set(item.id, item);
      posted++;
      return item;
    },
    /** False when the message is gone (an earlier run of the server, or dropped as old). */
    edit(id: number, message: Message): boolean {
      const posted = byId.get(id);
      if (!posted) return false;
      posted.message = message;
      posted.rev++;
      version++;
      return true;
    },
    say(personId: number, line: Omit<ChatLine, "id">): ChatLine {
      const said = { ...line, id: ++next };
      push(listOf(chats, personId), said);
      return said;
    },
    inbox: (personId: number): readonly Posted[] => dms.get(personId) ?? [],
    channel: (channel: Channel): readonly Posted[] => channels[channel],
    chat: (personId: number): readonly ChatLine[] => chats.get(personId) ?? [],
  };
}

/** The dispatcher's way into the playground: anyone on the roster can be reached here. */
export function webTransport(mailbox: Mailbox, log: Logger): Transport {
  return {
    platform: "web",
    reachesEveryone: true,
    async sendToPerson(person, _identity, message) {
      return { platform: "web", id: mailbox.post({ personId: person.id }, message).id };
    },
    async sendToChannel(channel, message) {
      return { platform: "web", id: mailbox.post({ channel }, message).id };
    },
    async update(ref, message) {
      // Not an error worth retrying: the screen it was on no longer exists.
      if (!mailbox.edit(Number(ref.id), message)) log.info("playground message to edit is gone", { id: ref.id });
    },
  };
}
