import type { Person } from "../../src/store.ts";
import { slackSeen, slackSends } from "../support/shows.ts";
import { emails, slackStack, users } from "../support/slack.ts";
import { adapterContract, type Delivery, type Seen } from "./contract.ts";

// Slack, driven as Slack drives it: signed requests into /slack/events, the Web API a recording fake.

type Text = { type: string; text: string };
type Block = Record<string, unknown> & { type: string; text?: Text; fields?: Text[]; elements?: (Text & { action_id?: string; value?: string })[] };

/**
 * What Slack refuses. chat.postMessage: at most 50 blocks, text truncated past 40,000 characters
 * (https://docs.slack.dev/reference/methods/chat.postMessage). Header: plain_text up to 150
 * (…/block-kit/blocks/header-block). Section: text up to 3000, at most 10 fields of up to 2000
 * (…/blocks/section-block). Context: at most 10 elements (…/blocks/context-block), a text object up
 * to 3000 (…/block-kit/composition-objects/text-object). Actions: at most 25 elements
 * (…/blocks/actions-block). Button: text up to 75, value up to 2000, action_id up to 255
 * (…/block-kit/block-elements/button-element).
 */
function overLimits(body: { text?: unknown; blocks?: unknown }): string[] {
  const out: string[] = [];
  const over = (what: string, n: number, max: number) => n > max && out.push(`${what}: ${n} > ${max}`);
  const blocks = (body.blocks as Block[] | undefined) ?? [];
  over("blocks", blocks.length, 50);
  over("text", String(body.text ?? "").length, 40_000);
  blocks.forEach((b, i) => {
    if (b.type === "header") over(`header ${i}`, b.text!.text.length, 150);
    if (b.type === "section") {
      if (b.text) over(`section ${i} text`, b.text.text.length, 3000);
      over(`section ${i} fields`, b.fields?.length ?? 0, 10);
      for (const f of b.fields ?? []) over(`section ${i} field`, f.text.length, 2000);
    }
    if (b.type === "context") {
      over(`context ${i} elements`, b.elements!.length, 10);
      for (const e of b.elements!) over(`context ${i} text`, e.text.length, 3000);
    }
    if (b.type === "actions") {
      over(`actions ${i} elements`, b.elements!.length, 25);
      for (const e of b.elements!) {
        over(`button text in ${i}`, (e.text as unknown as Text).text.length, 75);
        over(`button value in ${i}`, e.value!.length, 2000);
        over(`button action_id in ${i}`, e.action_id!.length, 255);
      }
    }
  });
  return out;
}

adapterContract({
  name: "Slack",
  async start() {
    // Cal is on the roster but has no Slack account: users.lookupByEmail finds nobody.
    const withAccount = Object.fromEntries(Object.entries(emails).filter(([id]) => id !== users.cal));
    const s = await slackStack({ fake: { emails: withAccount } });
    const person = async (email: string) => (await s.steps.store.personByEmail(email))!;
    const userOf = (p: Person) => Object.entries(withAccount).find(([, email]) => email.toLowerCase() === p.email)?.[0];

    /** A message body as its recipient sees it; a button is clicked as Slack posts a block_actions payload. */
    function seen(body: Record<string, unknown>, userId: string): Seen {
      const shown = slackSeen(body);
      const elements = ((body.blocks as Block[] | undefined) ?? []).filter((b) => b.type === "actions").flatMap((b) => b.elements!);
      const buttons = shown.buttons.map((b, i) => ({
        ...b,
        async press() {
          await s.send.click(userId, elements[i]!.action_id!, elements[i]!.value!);
          await s.settle();
        },
      }));
      return { ...shown, buttons, overLimits: overLimits(body) };
    }

    return {
      steps: s.steps,
      intern: await person("ana@example.org"),
      mentor: await person("max@example.org"),
      async submit(note) {
        await s.send.command(users.ana, `done safety-walk ${slackSends(note)}`);
        await s.settle();
      },
      async deliveries(p): Promise<Delivery[]> {
        const userId = userOf(p);
        if (!userId) return [];
        return s.fake
          .of("chat.postMessage")
          .filter((c) => c.body.channel === `D${userId}`)
          .map((c) => ({
            seen: seen(c.body, userId),
            async now() {
              await s.settle();
              const updates = s.fake.of("chat.update").filter((u) => u.body.channel === c.response.channel && u.body.ts === c.response.ts);
              return { seen: seen(updates.at(-1)?.body ?? c.body, userId), updates: updates.length };
            },
          }));
      },
      stranger: async () => ({ person: await person("cal@example.org"), reachable: false }),
      close: () => s.close(),
    };
  },
});
