import { formatProgress, spellCommands, type Block, type Button, type Message } from "../../src/messages.ts";

// Neutral messages → Block Kit. Pure: no client, no I/O, so every limit is unit-tested.
// Limits from https://api.slack.com/reference/block-kit (text objects, sections, actions).

export const LIMITS = {
  blocks: 50,
  homeBlocks: 100,
  sectionText: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  elementsPerActions: 25,
  buttonLabel: 75,
  buttonValue: 2000,
  header: 150,
  fallback: 3000,
} as const;

export type SlackBlock = Record<string, unknown> & { type: string };

export interface Rendered {
  text: string;
  blocks: SlackBlock[];
}

/**
 * Slack's three control characters; escaping them means user text can never become `<!channel>` or `<@U…>`.
 * Slack decodes exactly these three entities for display in every text object, plain_text too, so all
 * text is escaped once (https://docs.slack.dev/messaging/formatting-message-text#escaping).
 */
export function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * The inverse of `escape`, for text coming in: Slack sends the `&`, `<` and `>` a person types as
 * `&amp;`, `&lt;` and `&gt;`. One pass, so a typed `&amp;lt;` stays `&lt;`. Steps stores what the
 * person typed; each renderer escapes it once on the way out.
 */
export function decodeSlackText(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_, name: string) => (name === "amp" ? "&" : name === "lt" ? "<" : ">"));
}

/** Cuts to at most `max` characters, ending with "…" when something was dropped. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}

/** Escapes, then fits the escaped text within `max` without splitting an entity like `&amp;`. */
export function escapeWithin(text: string, max: number): string {
  const escaped = escape(text);
  if (escaped.length <= max) return escaped;
  let cut = "";
  for (const ch of text) {
    const next = escape(ch);
    if (cut.length + next.length > max - 1) break;
    cut += next;
  }
  return `${cut}…`;
}

/** On Slack every command is typed after the slash command. */
export const slashCommand = (command: string) => `\`/steps ${command}\``;

/** Steps' own words: commands spelled for Slack, then escaped and fitted. */
const words = (text: string, max: number) => escapeWithin(spellCommands(text, slashCommand), max);

const plain = (text: string, max: number) => ({ type: "plain_text", text: escapeWithin(text || " ", max), emoji: true });
const mrkdwn = (text: string) => ({ type: "mrkdwn", text });

/** A link only for http(s) URLs; `|` and `>` would end Slack's `<url|label>` early. */
function link(url: string, label: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return escape(`${label}: ${url}`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return escape(`${label}: ${url}`);
  const safe = parsed.href.replace(/\|/g, "%7C").replace(/</g, "%3C").replace(/>/g, "%3E");
  return `<${safe}|${escape(label).replace(/\|/g, "¦")}>`;
}

function bar(done: number, total: number): string {
  const filled = total <= 0 ? 10 : Math.min(10, Math.round((done / total) * 10));
  return "▓".repeat(filled) + "░".repeat(10 - filled);
}

function button(b: Button, actionId: string): SlackBlock {
  return {
    type: "button",
    action_id: actionId,
    text: plain(b.label, LIMITS.buttonLabel),
    // Values are ids; one longer than Slack allows is refused by the core anyway, so cutting it is safe.
    value: b.value.slice(0, LIMITS.buttonValue),
    ...(b.style ? { style: b.style } : {}),
  };
}

function renderBlock(block: Block): SlackBlock[] {
  switch (block.type) {
    case "header":
      return [{ type: "header", text: plain(spellCommands(block.text, (c) => `/steps ${c}`), LIMITS.header) }];
    case "text":
      return [{ type: "section", text: mrkdwn(words(block.text, LIMITS.sectionText)) }];
    case "context":
      return [{ type: "context", elements: [mrkdwn(words(block.text, LIMITS.sectionText))] }];
    case "divider":
      return [{ type: "divider" }];
    case "link":
      return [{ type: "section", text: mrkdwn(link(block.url, truncate(block.label, 500))) }];
    case "progress":
      return [{ type: "section", text: mrkdwn(`*${escapeWithin(block.label, 1000)}*\n${bar(block.done, block.total)} ${escapeWithin(formatProgress(block), 1000)}`) }];
    case "fields": {
      // Each label beside its value (Slack lays fields out in two columns). The value is plain_text: mrkdwn
      // has no escape for `*`, `_`, `~`, backticks or a leading `>`, and a value is shown exactly as typed.
      const cells = block.fields.flatMap((f) => [mrkdwn(`*${escapeWithin(f.label, 200)}*`), plain(f.value, LIMITS.fieldText)]);
      const out: SlackBlock[] = [];
      for (let i = 0; i < cells.length; i += LIMITS.fieldsPerSection) out.push({ type: "section", fields: cells.slice(i, i + LIMITS.fieldsPerSection) });
      return out;
    }
    case "buttons": {
      const seen = new Map<string, number>();
      // action_id must be unique within a block: a repeated action gets a #n suffix the receiver ignores.
      const elements = block.buttons.map((b) => {
        const n = seen.get(b.action) ?? 0;
        seen.set(b.action, n + 1);
        return button(b, n === 0 ? b.action : `${b.action}#${n}`);
      });
      const out: SlackBlock[] = [];
      for (let i = 0; i < elements.length; i += LIMITS.elementsPerActions) {
        out.push({ type: "actions", elements: elements.slice(i, i + LIMITS.elementsPerActions) });
      }
      return out;
    }
  }
}

/**
 * Renders a message for chat.postMessage / chat.update / respond, or (with
 * maxBlocks 100) a Home tab. Past the block limit the rest is replaced by one
 * line saying so, rather than Slack refusing the whole message.
 */
export function render(message: Message, maxBlocks: number = LIMITS.blocks): Rendered {
  const all = message.blocks.flatMap(renderBlock);
  const blocks =
    all.length <= maxBlocks
      ? all
      : [...all.slice(0, maxBlocks - 1), { type: "context", elements: [mrkdwn(`…${all.length - maxBlocks + 1} more not shown. Type ${slashCommand("help")} to narrow it down.`)] }];
  return { text: words(message.text, LIMITS.fallback), blocks };
}
