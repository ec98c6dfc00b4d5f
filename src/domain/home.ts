import type { Block, Message } from "../messages.ts";
import type { Person } from "../store.ts";
import type { CoreApi } from "./core.ts";
import { buildDigest, digestMessage } from "./digest.ts";
import { forEachProgram } from "./route.ts";
import * as views from "./views.ts";

const PENDING_SHOWN = 10;

/**
 * A person's home page in a chat app (an app home or a tab): an
 * intern's progress, an approver's waiting work with the same buttons as the
 * request, a coordinator's program summary; for someone in several programs, each in turn.
 */
export function homeView(core: CoreApi, person: Person): Promise<Message> {
  return forEachProgram(core, person, programHome);
}

async function programHome(core: CoreApi, person: Person): Promise<Message> {
  const v = core.voiceOf(person);
  if (person.role === "intern") {
    const progress = await core.progressOf(person);
    const blocks = progress.flatMap((p, i): Block[] => [...(i ? [{ type: "divider" } as const] : []), ...views.progressBlocks(p, v)]);
    return views.message(v.say("home.progress", { name: person.name }), ...blocks, { type: "context", text: v.say("status.hint") });
  }
  const pending = await core.pendingFor(person);
  const waiting: Block[] = pending.length
    ? pending.slice(0, PENDING_SHOWN).flatMap((i): Block[] =>
        i.task && i.playlist
          ? [...views.approvalRequest(i.intern, i.task, i.playlist, i.submission, v).blocks, { type: "divider" }]
          : [{ type: "text", text: v.say("pending.removed_task", { id: i.submission.id, intern: i.intern.name, slug: i.submission.task }) }],
      )
    : [{ type: "text", text: v.say("pending.none") }];
  if (pending.length > PENDING_SHOWN) waiting.push({ type: "context", text: v.say("home.more", { count: pending.length - PENDING_SHOWN }) });
  const blocks: Block[] = [{ type: "header", text: v.say("home.waiting", { count: pending.length }) }, ...waiting];
  if (person.role === "coordinator") {
    blocks.push(...digestMessage(core.program, await buildDigest(core.program, core.store, core.now()), v).blocks);
  }
  return views.message(v.say("pending.summary", { count: pending.length }), ...blocks);
}
