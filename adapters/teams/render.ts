import { formatProgress, plainCommand, spellCommands, toPlainText, type Block, type Button, type Message } from "../../src/messages.ts";

// Neutral messages as Adaptive Cards. Pure: no botbuilder, no I/O, so the
// shape can be tested by value and reused unchanged by another Teams SDK.

export const CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";

/** Teams refuses messages over about 28 KB; stay well under it, leaving room for the envelope. */
const MAX_CARD_BYTES = 24_000;
const MAX_TEXT = 2_000;
const MAX_FACT = 500;
const MAX_REASON = 500;

export type CardElement = Record<string, unknown>;

export interface AdaptiveCard {
  type: "AdaptiveCard";
  $schema: string;
  version: "1.5";
  body: CardElement[];
  fallbackText: string;
  msteams: { width: "Full" };
}

export interface Rendered {
  card: AdaptiveCard;
  /** Plain text: notification summary and the fallback for clients without cards. */
  text: string;
}

/** What a button posts back (Action.Execute data). Only the id travels: the core re-checks who clicked. */
export interface ButtonData {
  id: string;
}

export function renderMessage(message: Message): Rendered {
  const text = truncate(toPlainText(message) || message.text, MAX_TEXT);
  const body: CardElement[] = [];
  let separator = false;
  for (const block of message.blocks) {
    if (block.type === "divider") {
      separator = true;
      continue;
    }
    for (const element of renderBlock(block)) {
      body.push(separator ? { ...element, separator: true } : element);
      separator = false;
    }
  }
  const card: AdaptiveCard = {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: "1.5",
    body: body.length ? body : [textBlock(message.text)],
    fallbackText: text,
    msteams: { width: "Full" },
  };
  return { card: fitCard(card), text };
}

/** A Bot Framework message activity carrying the card; the summary is what notifications show. */
export function cardActivity(message: Message) {
  // No activity text: Teams would show it above the card. The card carries its own fallbackText.
  return { type: "message", summary: truncate(message.text, 200), attachments: [{ contentType: CARD_CONTENT_TYPE, content: renderMessage(message).card }] };
}

function renderBlock(block: Exclude<Block, { type: "divider" }>): CardElement[] {
  switch (block.type) {
    case "header":
      return [{ ...textBlock(block.text), size: "Medium", weight: "Bolder" }];
    case "text":
      return [textBlock(block.text)];
    case "context":
      return [{ ...textBlock(block.text), isSubtle: true, size: "Small" }];
    case "fields":
      // TextRuns, not a FactSet: Teams reads a fact's value as markdown, which desktop and mobile parse differently
      // (mobile shows the backslash of an escape). A TextRun has no markdown, so a value is shown exactly as typed.
      return block.fields.map((f) => ({
        type: "RichTextBlock",
        inlines: [{ type: "TextRun", text: `${truncate(f.label, 100)}: `, weight: "Bolder" }, ...literalRuns(truncate(f.value, MAX_FACT))],
      }));
    case "progress":
      return [
        {
          type: "ColumnSet",
          columns: [
            { type: "Column", width: "stretch", items: [textBlock(block.label)] },
            { type: "Column", width: "auto", items: [{ ...textBlock(formatProgress(block)), horizontalAlignment: "Right" }] },
          ],
        },
      ];
    case "link":
      // Only web links become buttons; anything else is shown as text rather than made clickable.
      return /^https?:\/\//i.test(block.url)
        ? [{ type: "ActionSet", actions: [{ type: "Action.OpenUrl", title: truncate(block.label, 100), url: block.url }] }]
        : [textBlock(`${block.label}: ${block.url}`)];
    case "buttons":
      return buttonElements(block.buttons);
  }
}

/**
 * Action.Execute (Universal Actions) rather than Action.Submit: the click
 * arrives as an `adaptiveCard/action` invoke whose answer is shown to the
 * clicker at once without a new chat message, the reason travels with the
 * click from the card's own input, and the same card works in Outlook.
 * The card itself is then edited in place for everyone it was sent to.
 */
function buttonElements(buttons: Button[]): CardElement[] {
  const elements: CardElement[] = [];
  // The core's words for the reason box, in the reader's language.
  const asks = buttons.find((b) => b.action === "request_changes")?.reason;
  if (asks) {
    elements.push({
      type: "Input.Text",
      id: "reason",
      label: truncate(asks.label, 100),
      placeholder: truncate(asks.placeholder, 100),
      isMultiline: true,
      maxLength: MAX_REASON,
      // Checked by the client only for Request changes (Approve sends no inputs); the core checks again.
      isRequired: true,
      errorMessage: truncate(asks.missing, 200),
    });
  }
  elements.push({
    type: "ActionSet",
    actions: buttons.map((b) => ({
      type: "Action.Execute",
      title: truncate(b.label, 50),
      verb: b.action,
      data: { id: b.value } satisfies ButtonData,
      // Approve ignores the reason box; Request changes sends it.
      associatedInputs: b.action === "request_changes" ? "auto" : "none",
      ...(b.style === "primary" ? { style: "positive" } : b.style === "danger" ? { style: "destructive" } : {}),
    })),
  });
  return elements;
}

/**
 * Adaptive Cards still expand `{{DATE(…)}}` and `{{TIME(…)}}` inside a TextRun; splitting the braces over
 * two runs keeps a typed one as typed. A web address opens when clicked.
 */
function literalRuns(text: string): CardElement[] {
  const open = /^https?:\/\/\S+$/i.test(text) ? { selectAction: { type: "Action.OpenUrl", url: text } } : {};
  return text.split(/(?<=\{)(?=\{(?:DATE|TIME)\()/).map((part) => ({ type: "TextRun", text: part, ...open }));
}

function textBlock(text: string): CardElement {
  return { type: "TextBlock", text: formatText(truncate(text, MAX_TEXT)), wrap: true };
}

/**
 * Plain text for a TextBlock: user text is escaped so Teams' markdown cannot
 * turn it into links, emphasis or lists; the core's `command` spans become bold.
 */
export function formatText(text: string): string {
  return spellCommands(text, plainCommand)
    .split("`")
    .map((part, i, parts) => {
      const escaped = escapeMarkdown(part);
      // An odd index inside a closed pair of backticks is a command.
      return i % 2 === 1 && i < parts.length - 1 && part.trim() ? `**${escaped}**` : i % 2 === 1 ? `\`${escaped}` : escaped;
    })
    .join("");
}

/**
 * Web addresses are left whole: Teams links them itself, and an escaped `_` would break the link.
 * Brackets are not escaped: Teams shows a backslash before them as typed, and a bracket is markdown
 * only as a link, `[label](url)`, which an invisible word joiner between `]` and `(` takes apart.
 */
export function escapeMarkdown(text: string): string {
  return text
    .split(/(https?:\/\/[^\s<>()[\]]+)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[\\*_]/g, (c) => `\\${c}`).replace(/\](?=\s*\()/g, "]\u2060")))
    .join("")
    .replace(/^(\s*)([-+])(?=\s)/gm, "$1\\$2")
    .replace(/^(\s*\d+)\.(?=\s)/gm, "$1\\.");
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Drops trailing elements of an oversized card, saying so, rather than letting Teams refuse it. */
function fitCard(card: AdaptiveCard): AdaptiveCard {
  if (size(card) <= MAX_CARD_BYTES) return card;
  const body = [...card.body];
  const note = { ...textBlock("…shortened: type the command again for the rest."), isSubtle: true };
  while (body.length > 1 && size({ ...card, body: [...body, note] }) > MAX_CARD_BYTES) body.pop();
  return { ...card, body: [...body, note], fallbackText: truncate(card.fallbackText, MAX_TEXT) };
}

function size(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
