import { formatProgress, plainCommand, spellCommands, toPlainText, type Block, type Button, type Message } from "../../src/messages.ts";
import type { Say } from "../language.ts";

// The playground's renderer of the neutral message model, beside Block Kit and
// Adaptive Cards. Pure: the same message and viewer always give the same HTML.

export interface RenderOptions {
  /** Who is looking: buttons post as this person. */
  personId: number;
  /** Unique on the page; ids of form controls are built from it. */
  key: string;
  /** The page's form token (see token.ts), carried by every button's form. */
  token?: string;
  /** The viewer's words, for what the playground adds around a message (the reason field, its buttons). */
  say: Say;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderMessage(message: Message, options: RenderOptions): string {
  return message.blocks.map((block, i) => renderBlock(block, { ...options, key: `${options.key}-${i}` })).join("\n");
}

/** The plain-text fallback: what screen-reader announcements and text/plain clients get. */
export function renderText(message: Message): string {
  return toPlainText(message);
}

function renderBlock(block: Block, options: RenderOptions): string {
  switch (block.type) {
    case "header":
      return `<h3 class="m-header">${inline(block.text)}</h3>`;
    case "text":
      return `<p>${inline(block.text)}</p>`;
    case "context":
      return `<p class="m-context">${inline(block.text)}</p>`;
    case "fields":
      return `<dl class="m-fields">${block.fields.map((f) => `<div><dt>${escapeHtml(f.label)}</dt><dd>${linkOrText(f.value)}</dd></div>`).join("")}</dl>`;
    case "progress": {
      const label = `${options.key}-label`;
      return (
        `<div class="m-progress"><span id="${label}">${escapeHtml(block.label)}</span>` +
        `<progress aria-labelledby="${label}" max="${Math.max(block.total, 0)}" value="${Math.max(0, Math.min(block.done, block.total))}"></progress>` +
        `<span>${escapeHtml(formatProgress(block))}</span></div>`
      );
    }
    case "link":
      return `<p>${isWebUrl(block.url) ? `<a href="${escapeHtml(block.url)}" rel="noopener noreferrer">${escapeHtml(block.label)}</a>` : `${escapeHtml(block.label)}: ${escapeHtml(block.url)}`}</p>`;
    case "buttons":
      return `<div class="m-actions" role="group" aria-label="${escapeHtml(options.say("page.actions"))}">${block.buttons.map((b, i) => renderButton(b, { ...options, key: `${options.key}-${i}` })).join("")}</div>`;
    case "divider":
      return "<hr>";
  }
}

/**
 * Each button is a real form, so it works without JavaScript. Sending work
 * back needs a reason: the form holds a labelled field that the script keeps
 * folded until "Request changes" is pressed (no pop-up prompt).
 */
function renderButton(button: Button, { personId, key, token, say }: RenderOptions): string {
  const hidden = `<input type="hidden" name="personId" value="${personId}"><input type="hidden" name="value" value="${escapeHtml(button.value)}">${tokenField(token)}`;
  const style = button.style ? ` class="${button.style}"` : "";
  const submit = (label: string, extra = "") =>
    `<button type="submit" name="action" value="${button.action}" data-value="${escapeHtml(button.value)}"${style}${extra}>${escapeHtml(label)}</button>`;
  if (button.action !== "request_changes") {
    return `<form class="act" method="post" action="/playground/action">${hidden}${submit(button.label)}</form>`;
  }
  const region = `${key}-reason`;
  return (
    `<form class="act needs-reason" method="post" action="/playground/action">${hidden}` +
    `<button type="button" class="reveal" aria-expanded="false" aria-controls="${region}" data-action="${button.action}" data-value="${escapeHtml(button.value)}">${escapeHtml(button.label)}</button>` +
    `<div class="reason" id="${region}"><label for="${region}-text">${escapeHtml(say("page.reason_label"))}</label>` +
    `<textarea id="${region}-text" name="reason" rows="2" maxlength="2000" required></textarea>` +
    `<div class="reason-buttons">${submit(say("page.send_back"))}<button type="button" class="cancel" aria-controls="${region}">${escapeHtml(say("page.cancel"))}</button></div></div></form>`
  );
}

/** The hidden field that carries the page's form token. */
export function tokenField(token: string | undefined): string {
  return token ? `<input type="hidden" name="token" value="${escapeHtml(token)}">` : "";
}

/** Commands are typed as they are here; they and other backticked names become <code>, everything else is escaped. */
export function inline(text: string): string {
  return spellCommands(text, plainCommand)
    .split(/(`[^`\n]+`)/)
    .map((part) => (part.length > 2 && part.startsWith("`") && part.endsWith("`") ? `<code>${escapeHtml(part.slice(1, -1))}</code>` : escapeHtml(part).replace(/\n/g, "<br>")))
    .join("");
}

/** A field's value is what a person typed: shown exactly (the stylesheet keeps its spaces and line breaks), never as code. */
function linkOrText(value: string): string {
  return isWebUrl(value) ? `<a href="${escapeHtml(value)}" rel="noopener noreferrer">${escapeHtml(value)}</a>` : escapeHtml(value);
}

/** Only http(s) becomes a link: a javascript: or data: URL in evidence stays text. */
function isWebUrl(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url);
}
