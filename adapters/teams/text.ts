import { Parser } from "htmlparser2";

// What a person typed, from the text Teams delivers. Pure: no botbuilder, so another Teams SDK keeps it.

/** Elements Teams shows on lines of their own. */
const BLOCKS = new Set(["p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"]);

/**
 * A message's text as it was typed. The Bot Framework lets `textFormat` say
 * whether `text` is plain, markdown or xml
 * (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-create-messages),
 * but Teams' text is HTML whatever it says, "plain" included: Teams formats text
 * with a subset of HTML tags
 * (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages),
 * a mention is an `<at>` element of that HTML
 * (https://learn.microsoft.com/graph/api/resources/chatmessagemention), and the
 * `&`, `<`, `>` a person types arrive as `&amp;`, `&lt;`, `&gt;` (with `&nbsp;`,
 * `&#39;` and the like; `<p>`, `<div>`, `<br>`, `<a>` from formatting and paste).
 * So the tags go, blocks and `<br>` break lines, every entity HTML names
 * is decoded once (a typed `&lt;` arrives as `&amp;lt;` and stays `&lt;`), a
 * no-break space is a space, and the ends are trimmed. A link whose words are
 * not its address keeps the address after them, so `done` still finds the evidence.
 */
export function typedText(html: string): string {
  let text = "";
  const links: { href: string | undefined; from: number }[] = [];
  const parser = new Parser({
    ontext(data) {
      text += data;
    },
    onopentag(name, attributes) {
      // A block starts on a line of its own, after text or after another block closes.
      if (name === "br" || (BLOCKS.has(name) && text !== "" && !text.endsWith("\n"))) text += "\n";
      if (name === "a") links.push({ href: attributes.href, from: text.length });
    },
    onclosetag(name) {
      if (BLOCKS.has(name)) text += "\n";
      if (name !== "a") return;
      const link = links.pop();
      if (link?.href && /^https?:\/\//i.test(link.href) && text.slice(link.from).trim() !== link.href) text += ` ${link.href}`;
    },
  });
  parser.end(html);
  // The line a closing paragraph ends, and the space after a removed @mention, were not typed.
  return text.replace(/\u00a0/g, " ").trim();
}
