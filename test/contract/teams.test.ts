import type { ConnectorCall } from "../support/fake-connector.ts";
import { teamsSeen, teamsSends } from "../support/shows.ts";
import { cardClick, cardOf, teamsActivity, teamsRig, userId } from "../support/teams.ts";
import type { Person } from "../../src/store.ts";
import { adapterContract, type Delivery, type Seen } from "./contract.ts";

// Teams, driven as Teams drives it: Bot Framework activities into /api/messages, the connector a recording fake.

/**
 * What Teams refuses: a bot message over 100 KB, counted as the whole payload in UTF-16, is
 * answered 413 MessageSizeTooBig, and Microsoft advises staying within 80 KB
 * (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages).
 */
function overLimits(activity: unknown): string[] {
  const utf16Bytes = JSON.stringify(activity).length * 2;
  return utf16Bytes > 80 * 1024 ? [`message: ${utf16Bytes} bytes in UTF-16 > 80 KB`] : [];
}

adapterContract({
  name: "Teams",
  async start() {
    const t = await teamsRig();
    const person = async (email: string) => (await t.steps.store.personByEmail(email))!;
    const idOf = (p: Person) => userId(p.email.split("@")[0]!);
    // Both have the app and have talked to it, so Steps holds their personal chats.
    for (const name of ["ana", "max"]) await t.post(teamsActivity(t.connector, { from: t.member(name, `${name}@example.org`), text: "help" }));
    const chat = (p: Person) => `a:personal-${idOf(p)}`;

    /** A posted card as its recipient sees it; a button is clicked as Teams invokes adaptiveCard/action on the message holding it. */
    function seen(call: ConnectorCall, clicker: string, card: string): Seen {
      const shown = teamsSeen(cardOf(call));
      const buttons = shown.buttons.map((b) => ({
        ...b,
        async press() {
          await t.post(cardClick(t.connector, clicker, b.action, { id: b.value }, card));
        },
      }));
      return { ...shown, buttons, overLimits: overLimits(call.body) };
    }

    return {
      steps: t.steps,
      intern: await person("ana@example.org"),
      mentor: await person("max@example.org"),
      async submit(note) {
        await t.post(teamsActivity(t.connector, { from: userId("ana"), text: teamsSends(`done safety-walk ${note}`) }));
      },
      async deliveries(p): Promise<Delivery[]> {
        return t.connector
          .messages()
          .filter((c) => c.conversationId === chat(p))
          .map((c) => ({
            seen: seen(c, idOf(p), c.activityId!),
            async now() {
              await t.steps.dispatcher.idle();
              const updates = t.connector.calls.filter((u) => u.kind === "update" && u.conversationId === c.conversationId && u.activityId === c.activityId);
              return { seen: seen(updates.at(-1) ?? c, idOf(p), c.activityId!), updates: updates.length };
            },
          }));
      },
      async stranger() {
        // Oli wrote to Steps in a channel, so Teams and Steps know his id, but he never installed the app: no personal chat can be opened.
        const oli = t.member("oli", "oli@example.org");
        t.connector.notInstalled.add(oli);
        await t.post(teamsActivity(t.connector, { from: oli, text: "status", scope: "channel", mention: true }));
        return { person: await person("oli@example.org"), reachable: false };
      },
      close: () => t.close(),
    };
  },
});
