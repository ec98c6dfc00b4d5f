import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";

// What a reader sees of what each platform received, modelled as each platform
// documents it. The text round trip (test/text-roundtrip.test.ts) and the adapter
// contract (test/contract/) share these models, so both judge text the same way.
//
// - Slack sends the `&`, `<` and `>` a person types as `&amp;`, `&lt;`, `&gt;`, and a
//   client decodes exactly those three entities in every text object
//   (https://docs.slack.dev/messaging/formatting-message-text#escaping). An unescaped
//   `<…>` is a control sequence: a mention, a `<!channel>`, a link. In mrkdwn it also
//   applies `*bold*`, `_italic_`, `~strike~`, code and a leading `>`, which cannot be
//   escaped, so a typed value must be in a plain_text object, where none applies.
// - Teams reads TextBlock and FactSet text as markdown, which desktop and mobile parse
//   differently; a TextRun has none. Adaptive Cards still expand `{{DATE(…)}}` and
//   `{{TIME(…)}}` in every text, TextRuns included (AdaptiveCards
//   source/nodejs/adaptivecards/src/text-formatters.ts): the model applies those two.
// - The playground: what the browser shows, `innerText` with the page's own stylesheet.

/** A field as a reader sees it; only a value shown as literal text (no markup can apply to it) is given. */
export interface SeenField {
  label: string;
  value: string | undefined;
}

export interface SeenButton {
  label: string;
  action: string;
  value: string;
}

export interface SeenLink {
  label: string;
  url: string;
}

/** A message as its reader sees it on one platform. */
export interface SeenMessage {
  /** Everything shown as text, in order. */
  text: string;
  fields: SeenField[];
  links: SeenLink[];
  buttons: SeenButton[];
  /** Separating rules between parts of the message. */
  rules: number;
}

// ---- Slack ------------------------------------------------------------------

/** What Slack sends for what a person typed. */
export const slackSends = (typed: string) => typed.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** What a Slack client shows for a text object's text: control sequences become what they stand for, then the three entities are decoded. */
export function slackShows(text: string): string {
  return text
    .replace(/<([@!#])([^>|]*)(?:\|([^>]*))?>/g, (_, sigil: string, id: string, label?: string) => `${sigil === "#" ? "#" : "@"}${label ?? id}`)
    .replace(/<([^>|]*)\|([^>]*)>/g, "$2")
    .replace(/<([^>]*)>/g, "$1")
    .replace(/&(amp|lt|gt);/g, (_, n: string) => ({ amp: "&", lt: "<", gt: ">" })[n]!);
}

/** mrkdwn as shown: emphasis markers are formatting, not text. */
const mrkdwnShows = (text: string) => slackShows(text.replace(/([*_~])([^*_~\n]+)\1/g, "$2"));

type SlackText = { type: string; text: string };
type SlackBlock = Record<string, unknown> & { type: string };

const shownText = (t: SlackText) => (t.type === "mrkdwn" ? mrkdwnShows(t.text) : slackShows(t.text));

/** A section's fields are label, value, label, value…: the value only counts when it is plain_text. */
export function slackFields(blocks: SlackBlock[]): SeenField[] {
  const fields: SeenField[] = [];
  for (const block of blocks) {
    const cells = (block.fields as SlackText[] | undefined) ?? [];
    for (let i = 0; i + 1 < cells.length; i += 2) {
      fields.push({ label: shownText(cells[i]!), value: cells[i + 1]!.type === "plain_text" ? slackShows(cells[i + 1]!.text) : undefined });
    }
  }
  return fields;
}

/** A chat.postMessage or chat.update body (text and blocks) as a Slack client shows it. */
export function slackSeen(body: { blocks?: unknown }): SeenMessage {
  const blocks = (body.blocks as SlackBlock[] | undefined) ?? [];
  const lines: string[] = [];
  const links: SeenLink[] = [];
  const buttons: SeenButton[] = [];
  for (const block of blocks) {
    const text = block.text as SlackText | undefined;
    if (text) {
      lines.push(shownText(text));
      if (text.type === "mrkdwn") for (const [, url, label] of text.text.matchAll(/<(https?:[^>|]+)\|([^>]*)>/g)) links.push({ label: slackShows(label!), url: url! });
    }
    for (const cell of (block.fields as SlackText[] | undefined) ?? []) lines.push(shownText(cell));
    for (const element of (block.elements as (SlackText & { action_id?: string; value?: string; text: SlackText | string })[] | undefined) ?? []) {
      if (element.type === "button") {
        const label = slackShows((element.text as SlackText).text);
        lines.push(label);
        // A repeated action in one block carries a `#n` suffix the receiver ignores.
        buttons.push({ label, action: element.action_id!.split("#")[0]!, value: element.value! });
      } else lines.push(shownText(element as SlackText));
    }
  }
  return { text: lines.join("\n"), fields: slackFields(blocks), links, buttons, rules: blocks.filter((b) => b.type === "divider").length };
}

// ---- Teams ------------------------------------------------------------------

/**
 * What Teams sends for what a person typed: HTML, whatever the activity's textFormat says (see
 * adapters/teams/text.ts). The typed `&`, `<`, `>` come as entities, a space typed after another as
 * `&nbsp;`, a new line as `<br>`, the whole in a paragraph.
 */
export const teamsSends = (typed: string) => `<p>${typed.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/ {2}/g, " &nbsp;").replace(/\n/g, "<br>")}</p>`;

const AC_DATE = /\{{2}DATE\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|(?:(?:-|\+)\d{2}:\d{2})))(?:, ?(COMPACT|LONG|SHORT))?\)\}{2}/g;
const AC_TIME = /\{{2}TIME\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|(?:(?:-|\+)\d{2}:\d{2})))\)\}{2}/g;
/** What a Teams client shows for a TextRun's text: the date functions expanded (to any text that is not the source). */
export const teamsShows = (run: string) => run.replace(AC_DATE, "[date]").replace(AC_TIME, "[time]");
/** A TextBlock's markdown as shown: bold markers dropped, backslash escapes undone. */
const markdownShows = (text: string) => teamsShows(text.replace(/\*\*([^*]+)\*\*/g, "$1").replace(/\\(.)/g, "$1"));

type CardElement = Record<string, unknown>;

/** A field is a RichTextBlock whose first run is `Label: `; TextRuns have no markdown, so its value is literal. */
export function teamsFields(body: CardElement[]): SeenField[] {
  return body
    .filter((e) => e.type === "RichTextBlock")
    .map((e) => e.inlines as CardElement[])
    .filter((runs) => typeof runs[0]?.text === "string" && (runs[0].text as string).endsWith(": "))
    .map((runs) => ({ label: (runs[0]!.text as string).slice(0, -2), value: runs.slice(1).map((run) => teamsShows(run.text as string)).join("") }));
}

/** An Adaptive Card's body as a Teams client shows it. */
export function teamsSeen(card: { body: CardElement[] }): SeenMessage {
  const lines: string[] = [];
  const links: SeenLink[] = [];
  const buttons: SeenButton[] = [];
  let rules = 0;
  const walk = (elements: CardElement[]) => {
    for (const e of elements) {
      if (e.separator === true) rules++;
      if (e.type === "TextBlock") lines.push(markdownShows(e.text as string));
      if (e.type === "RichTextBlock") lines.push((e.inlines as CardElement[]).map((run) => teamsShows(run.text as string)).join(""));
      if (e.type === "ColumnSet") for (const column of e.columns as CardElement[]) walk(column.items as CardElement[]);
      if (e.type === "ActionSet") {
        for (const a of e.actions as CardElement[]) {
          lines.push(a.title as string);
          if (a.type === "Action.OpenUrl") links.push({ label: a.title as string, url: a.url as string });
          if (a.type === "Action.Execute") buttons.push({ label: a.title as string, action: a.verb as string, value: (a.data as { id: string }).id });
        }
      }
    }
  };
  walk(card.body);
  return { text: lines.join("\n"), fields: teamsFields(card.body), links, buttons, rules };
}

// ---- The playground ---------------------------------------------------------

/** A page with the playground's stylesheet, to read what its HTML shows. */
export async function playgroundPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.setContent(`<!doctype html><style>${readFileSync("adapters/web/public/app.css", "utf8")}</style><main id="m"></main>`);
  return page;
}

/** The playground's HTML for a message as the browser shows it. */
export function webSeen(page: Page, html: string): Promise<SeenMessage> {
  return page.evaluate((html) => {
    const main = document.getElementById("m")!;
    main.innerHTML = html;
    const shown = (e: Element | null | undefined) => (e instanceof HTMLElement ? e.innerText : undefined);
    return {
      text: main.innerText,
      fields: [...main.querySelectorAll("dt")].map((dt) => ({ label: dt.textContent ?? "", value: shown(dt.nextElementSibling) })),
      links: [...main.querySelectorAll("a[href]")].map((a) => ({ label: shown(a) ?? "", url: a.getAttribute("href") ?? "" })),
      buttons: [...main.querySelectorAll("form.act")].map((form) => ({
        // Request changes shows the button that unfolds the reason; its form posts the action.
        label: shown(form.querySelector(".reveal") ?? form.querySelector("button[name=action]")) ?? "",
        action: form.querySelector<HTMLButtonElement>("button[name=action]")?.value ?? "",
        value: form.querySelector<HTMLInputElement>("input[name=value]")?.value ?? "",
      })),
      rules: main.querySelectorAll("hr").length,
    };
  }, html);
}
