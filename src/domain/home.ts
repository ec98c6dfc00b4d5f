import type { Block, Message } from "../messages.ts";
import type { Person } from "../store.ts";
import type { CoreApi } from "./core.ts";
import { buildDigest, digestMessage } from "./digest.ts";
import * as views from "./views.ts";

const PENDING_SHOWN = 10;

/**
 * A person's home page in a chat app (an app home or a tab): an
 * intern's progress, an approver's waiting work with the same buttons as the
 * request, a coordinator's program summary.
 */
export async function homeView(core: CoreApi, person: Person): Promise<Message> {
  if (person.role === "intern") {
    const progress = await core.progressOf(person);
    const blocks = progress.flatMap((p, i): Block[] => [...(i ? [{ type: "divider" } as const] : []), ...views.progressBlocks(p)]);
    return views.message(`Your progress, ${person.name}`, ...blocks, { type: "context", text: "Type <cmd>done <task></cmd> when you finish a task." });
  }
  const pending = await core.pendingFor(person);
  const waiting: Block[] = pending.length
    ? pending.slice(0, PENDING_SHOWN).flatMap((i): Block[] =>
        i.task && i.playlist
          ? [...views.approvalRequest(i.intern, i.task, i.playlist, i.submission).blocks, { type: "divider" }]
          : [{ type: "text", text: `#${i.submission.id} ${i.intern.name}: ${i.submission.task}` }],
      )
    : [{ type: "text", text: "Nothing is waiting for your approval." }];
  if (pending.length > PENDING_SHOWN) waiting.push({ type: "context", text: `…and ${pending.length - PENDING_SHOWN} more. Type <cmd>pending</cmd> to see them.` });
  const blocks: Block[] = [{ type: "header", text: `Waiting for your approval (${pending.length})` }, ...waiting];
  if (person.role === "coordinator") {
    blocks.push(...digestMessage(core.program, await buildDigest(core.program, core.store, core.now())).blocks);
  }
  return views.message(`${pending.length} waiting for your approval`, ...blocks);
}
