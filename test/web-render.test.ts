import { describe, expect, it } from "vitest";
import { escapeHtml, renderMessage, renderText } from "../adapters/web/render.ts";
import { speak } from "../adapters/language.ts";
import { defaultWords } from "../src/i18n.ts";
import { toPlainText, type Message } from "../src/messages.ts";

const { say } = speak(defaultWords().t, "en");
const as = { personId: 7, key: "m1", say };
const render = (message: Message) => renderMessage(message, as);
const one = (block: Message["blocks"][number]): string => render({ text: "t", blocks: [block] });

describe("web render: escaping", () => {
  const evil = `<script>alert("x")</script> & 'quotes'`;

  it("escapes text in every kind of block", () => {
    const html = render({
      text: evil,
      blocks: [
        { type: "header", text: evil },
        { type: "text", text: evil },
        { type: "context", text: evil },
        { type: "fields", fields: [{ label: evil, value: evil }] },
        { type: "progress", label: evil, done: 1, total: 2, note: evil },
        { type: "link", label: evil, url: "https://example.org/?a=1&b=<2>" },
      ],
    });
    expect(html).not.toMatch(/<script|<\/script|'quotes'|"x"/);
    expect(html.match(/&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62; &#38; &#39;quotes&#39;/g)?.length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('href="https://example.org/?a=1&#38;b=&#60;2&#62;"');
  });

  it("escapes button values inside attributes", () => {
    const html = one({ type: "buttons", buttons: [{ type: "button", action: "publish_badge", label: "Publish <b>", value: `x"><img src=y>` }] });
    expect(html).not.toContain("<img");
    expect(html).toContain('value="x&#34;&#62;&#60;img src=y&#62;"');
    expect(html).toContain(">Publish &#60;b&#62;</button>");
  });

  it("turns backticked commands into code, still escaped, and keeps line breaks", () => {
    expect(one({ type: "text", text: "Type `approve <3>` now\nor `help`" })).toBe("<p>Type <code>approve &#60;3&#62;</code> now<br>or <code>help</code></p>");
  });

  it("links only http(s) URLs: javascript: and data: stay text", () => {
    expect(one({ type: "link", label: "Badge", url: "https://steps.test/badges/abc" })).toBe('<p><a href="https://steps.test/badges/abc" rel="noopener noreferrer">Badge</a></p>');
    expect(one({ type: "link", label: "Badge", url: "javascript:alert(1)" })).toBe("<p>Badge: javascript:alert(1)</p>");
    const fields = one({ type: "fields", fields: [{ label: "Evidence", value: "javascript:alert(1)" }, { label: "Link", value: "https://example.org/notes" }] });
    expect(fields).not.toContain('href="javascript');
    expect(fields).toContain('<dd><a href="https://example.org/notes" rel="noopener noreferrer">https://example.org/notes</a></dd>');
  });

  it("escapes the five characters that matter", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;");
  });
});

describe("web render: buttons", () => {
  const request: Message = {
    text: "Approve?",
    blocks: [
      {
        type: "buttons",
        buttons: [
          { type: "button", action: "approve", label: "Approve", value: "12", style: "primary" },
          { type: "button", action: "request_changes", label: "Request changes", value: "12" },
        ],
      },
    ],
  };

  it("renders real buttons in forms that post the action, the value and who is acting", () => {
    const html = render(request);
    expect(html).toContain('<div class="m-actions" role="group" aria-label="Actions">');
    expect(html).toContain('<form class="act" method="post" action="/playground/action"><input type="hidden" name="personId" value="7"><input type="hidden" name="value" value="12"><button type="submit" name="action" value="approve" data-value="12" class="primary">Approve</button></form>');
  });

  it("asks for the reason in a labelled inline field, not a prompt", () => {
    const html = render(request);
    expect(html).toContain('<button type="button" class="reveal" aria-expanded="false" aria-controls="m1-0-1-reason" data-action="request_changes" data-value="12">Request changes</button>');
    expect(html).toContain('<div class="reason" id="m1-0-1-reason"><label for="m1-0-1-reason-text">What should change?</label>');
    expect(html).toContain('<textarea id="m1-0-1-reason-text" name="reason" rows="2" maxlength="2000" required></textarea>');
    expect(html).toContain('<button type="submit" name="action" value="request_changes" data-value="12">Send back</button>');
    expect(html).not.toContain("prompt");
  });

  it("keeps ids unique per message key", () => {
    const a = renderMessage(request, { personId: 7, key: "m1", say });
    const b = renderMessage(request, { personId: 7, key: "m2", say });
    const ids = (html: string) => [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(a).filter((id) => ids(b).includes(id))).toEqual([]);
  });
});

describe("web render: progress, fields and the fallback", () => {
  it("renders progress as a labelled <progress> with the same figures as the text", () => {
    const html = one({ type: "progress", label: "Field hours", done: 7.5, total: 20, unit: "hours", note: "2 h waiting for approval" });
    expect(html).toContain('<span id="m1-0-label">Field hours</span><progress aria-labelledby="m1-0-label" max="20" value="7.5"></progress>');
    expect(html).toContain("<span>7.5/20 h (37%) · 2 h waiting for approval</span>");
  });

  it("never shows a progress bar past its end", () => {
    expect(one({ type: "progress", label: "Shifts", done: 5, total: 4 })).toContain('max="4" value="4"');
  });

  it("renders fields as a description list and dividers as rules", () => {
    expect(one({ type: "fields", fields: [{ label: "Intern", value: "Ana" }] })).toBe('<dl class="m-fields"><div><dt>Intern</dt><dd>Ana</dd></div></dl>');
    expect(one({ type: "divider" })).toBe("<hr>");
  });

  it("falls back to the shared plain text for announcements and no-HTML clients", () => {
    const message: Message = {
      text: "Sam earned a badge",
      blocks: [
        { type: "text", text: "Sam <earned> a badge" },
        { type: "buttons", buttons: [{ type: "button", action: "approve", label: "Approve", value: "1" }] },
      ],
    };
    expect(renderText(message)).toBe(toPlainText(message));
    expect(renderText(message)).toBe("Sam <earned> a badge\n[Approve]");
  });
});
