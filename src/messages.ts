/**
 * The platform-neutral message model. The core builds these; each adapter
 * renders them (Block Kit, Adaptive Cards, HTML) with a plain-text fallback.
 * Text is plain: renderers escape it for their platform, once. A field's value
 * is shown exactly as written on every platform, so what a person typed (a
 * note, a reason) goes in a field; headers, text and context are Steps' own
 * words, where a `backticked` span is a name as typed (a task, a playlist) and
 * `<cmd>approve 42</cmd>` is a command: each renderer spells it the way it is
 * typed on its platform (see spellCommands), so no hint names a platform.
 */
export const ACTION_IDS = ["approve", "request_changes", "publish_badge", "choose_program"] as const;
export type ActionId = (typeof ACTION_IDS)[number];

export interface Button {
  type: "button";
  action: ActionId;
  label: string;
  /** Only an id; the core re-checks who clicked on every click. */
  value: string;
  style?: "primary" | "danger";
  /** For a button that asks why (Request changes): the words of the reason box, where a platform shows one beside the button. */
  reason?: { label: string; placeholder: string; missing: string };
}

export type Block =
  | { type: "header"; text: string }
  | { type: "text"; text: string }
  | { type: "fields"; fields: { label: string; value: string }[] }
  /** `amount`: done of total as the reader's language writes it ("7,5/20 h (37%)"); without it, the digits as they are. */
  | { type: "progress"; label: string; done: number; total: number; unit?: "tasks" | "hours" | "percent"; note?: string; amount?: string }
  | { type: "link"; label: string; url: string }
  | { type: "buttons"; buttons: Button[] }
  /** `typing`: the same as the buttons above, by typing a command; left out where the buttons are links that work without chat (email). */
  | { type: "context"; text: string; typing?: boolean }
  | { type: "divider" };

export interface Message {
  /** Plain-text summary: notification text and the fallback for clients that cannot render blocks. */
  text: string;
  blocks: Block[];
}

/** A button click or typed decision, as it reaches the core from any platform. */
export interface Action {
  action: ActionId;
  value: string;
  /** The roster person who clicked, already resolved by the adapter's identity step. */
  personId: number;
  /** For request_changes: the reason the approver gave. */
  reason?: string;
}

export function percent(done: number, total: number): number {
  return total <= 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
}

/** How a platform shows a command: e.g. the command itself in backticks, or after a slash command's name. */
export type Spell = (command: string) => string;

/** A command where it is typed as is (a chat message, the playground): a code span. */
export const plainCommand: Spell = (command) => `\`${command}\``;

/** Replaces every `<cmd>…</cmd>` in Steps' own text with the platform's spelling of that command. */
export function spellCommands(text: string, spell: Spell): string {
  return text.replace(/<cmd>(.*?)<\/cmd>/g, (_, command: string) => spell(command));
}

/** Plain-text rendering of a whole message: the fallback of every platform where commands are typed as they are. */
export function toPlainText(message: Message): string {
  const lines: string[] = [];
  for (const block of message.blocks) {
    switch (block.type) {
      case "header":
      case "text":
      case "context":
        lines.push(spellCommands(block.text, plainCommand));
        break;
      case "fields":
        for (const f of block.fields) lines.push(`${f.label}: ${f.value}`);
        break;
      case "progress":
        lines.push(`${block.label}: ${formatProgress(block)}`);
        break;
      case "link":
        lines.push(`${block.label}: ${block.url}`);
        break;
      case "buttons":
        lines.push(block.buttons.map((b) => `[${b.label}]`).join(" "));
        break;
      case "divider":
        lines.push("---");
        break;
    }
  }
  return lines.join("\n");
}

export function formatProgress(p: Extract<Block, { type: "progress" }>): string {
  const amount =
    p.amount ??
    (p.unit === "percent"
      ? `${percent(p.done, p.total)}%`
      : `${p.unit === "hours" ? `${trimHours(p.done)}/${trimHours(p.total)} h` : `${p.done}/${p.total}`} (${percent(p.done, p.total)}%)`);
  return `${amount}${p.note ? ` · ${p.note}` : ""}`;
}

function trimHours(h: number): string {
  return Number.isInteger(h) ? String(h) : h.toFixed(1);
}
