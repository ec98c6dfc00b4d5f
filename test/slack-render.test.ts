import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escape, escapeWithin, LIMITS, render, truncate, type SlackBlock } from "../adapters/slack/render.ts";
import { ACTION_ID } from "../adapters/slack/receive.ts";
import type { Block, Button, Message } from "../src/messages.ts";

const msg = (...blocks: Block[]): Message => ({ text: "fallback", blocks });
type Text = { text: string };

describe("Slack rendering", () => {
  it("escapes the three control characters, ampersand first", () => {
    expect(escape("<!channel> & <@U1|x> > a")).toBe("&lt;!channel&gt; &amp; &lt;@U1|x&gt; &gt; a");
    const out = render({ text: "<!here> hi", blocks: [{ type: "text", text: "<!everyone>" }, { type: "context", text: "<@U123>" }] });
    expect(out.text).toBe("&lt;!here&gt; hi");
    expect(JSON.stringify(out.blocks)).not.toMatch(/<!|<@/);
  });

  it("truncates with an ellipsis, never splitting an escaped entity", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
    const cut = escapeWithin("a".repeat(2) + "&".repeat(10), 10);
    expect(cut.length).toBeLessThanOrEqual(10);
    expect(cut).toBe("aa&amp;…");
  });

  it("maps each neutral block to Block Kit", () => {
    const out = render(
      msg(
        { type: "header", text: "Title" },
        { type: "text", text: "Body" },
        { type: "fields", fields: [{ label: "Intern", value: "Ana" }] },
        { type: "progress", label: "Fleet tour", done: 1, total: 2 },
        { type: "link", label: "Badge", url: "https://steps.test/badges/x" },
        { type: "divider" },
        { type: "buttons", buttons: [{ type: "button", action: "approve", label: "Approve", value: "7", style: "primary" }] },
        { type: "context", text: "Submission #7" },
      ),
    );
    expect(out.blocks.map((b) => b.type)).toEqual(["header", "section", "section", "section", "section", "divider", "actions", "context"]);
    expect(out.blocks[2]).toEqual({ type: "section", fields: [{ type: "mrkdwn", text: "*Intern*" }, { type: "plain_text", text: "Ana", emoji: true }] });
    expect((out.blocks[3]!.text as Text).text).toBe("*Fleet tour*\n▓▓▓▓▓░░░░░ 1/2 (50%)");
    expect((out.blocks[4]!.text as Text).text).toBe("<https://steps.test/badges/x|Badge>");
    expect(out.blocks[6]!.elements).toEqual([{ type: "button", action_id: "approve", text: { type: "plain_text", text: "Approve", emoji: true }, value: "7", style: "primary" }]);
  });

  it("links only http(s) URLs and keeps `|` and `>` from ending the link early", () => {
    const [js, pipe] = render(msg({ type: "link", label: "x", url: "javascript:alert(1)" }, { type: "link", label: "a|b<c>", url: "https://e.test/a|b>c" })).blocks;
    expect((js!.text as Text).text).toBe("x: javascript:alert(1)");
    expect((pipe!.text as Text).text).toBe("<https://e.test/a%7Cb%3Ec|a¦b&lt;c&gt;>");
  });

  it("respects Slack's limits: header 150, section 3000, 10 fields per section, 25 buttons per actions, label 75, value 2000", () => {
    const long = "x".repeat(5000);
    const buttons: Button[] = Array.from({ length: 30 }, (_, i) => ({ type: "button", action: i % 2 ? "approve" : "request_changes", label: long, value: long }));
    const out = render(
      msg(
        { type: "header", text: long },
        { type: "text", text: long },
        { type: "fields", fields: Array.from({ length: 23 }, (_, i) => ({ label: `f${i}`, value: long })) },
        { type: "buttons", buttons },
      ),
    );
    expect((out.blocks[0]!.text as Text).text).toHaveLength(150);
    expect((out.blocks[0]!.text as Text).text.endsWith("…")).toBe(true);
    expect((out.blocks[1]!.text as Text).text).toHaveLength(3000);
    const sections = out.blocks.filter((b) => Array.isArray(b.fields));
    // Each field is its label and its value, side by side: 5 fields per section.
    expect(sections.map((b) => (b.fields as unknown[]).length)).toEqual([10, 10, 10, 10, 6]);
    for (const b of sections) for (const f of b.fields as Text[]) expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
    const actions = out.blocks.filter((b) => b.type === "actions");
    expect(actions.map((b) => (b.elements as unknown[]).length)).toEqual([25, 5]);
    const elements = actions.flatMap((b) => b.elements as { action_id: string; text: Text; value: string }[]);
    expect(elements.every((e) => e.text.text.length === 75 && e.value.length === 2000)).toBe(true);
    // Repeated actions in one block get distinct ids the receiver still recognises.
    const ids = (actions[0]!.elements as { action_id: string }[]).map((e) => e.action_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => ACTION_ID.test(id))).toBe(true);
  });

  it("keeps at most 50 blocks (100 on a Home tab), saying how many were left out", () => {
    const many = msg(...Array.from({ length: 80 }, (_, i): Block => ({ type: "text", text: `line ${i}` })));
    const out = render(many);
    expect(out.blocks).toHaveLength(50);
    expect(JSON.stringify(out.blocks[49])).toContain("…31 more not shown");
    expect(render(many, LIMITS.homeBlocks).blocks).toHaveLength(80);
  });

  it("holds every limit and never emits a mention for any text (property)", () => {
    const text = fc.string({ maxLength: 4000, unit: fc.constantFrom("a", "<", ">", "&", "!", "@", "|", " ", "é", "x") });
    const block: fc.Arbitrary<Block> = fc.oneof(
      text.map((t) => ({ type: "header" as const, text: t })),
      text.map((t) => ({ type: "text" as const, text: t })),
      text.map((t) => ({ type: "context" as const, text: t })),
      fc.array(fc.record({ label: text, value: text }), { maxLength: 30 }).map((fields) => ({ type: "fields" as const, fields })),
      fc.tuple(text, text).map(([label, url]) => ({ type: "link" as const, label, url })),
    );
    fc.assert(
      fc.property(text, fc.array(block, { maxLength: 70 }), (fallback, blocks) => {
        const out = render({ text: fallback, blocks });
        expect(out.blocks.length).toBeLessThanOrEqual(50);
        expect(out.text.length).toBeLessThanOrEqual(LIMITS.fallback);
        const texts = (b: SlackBlock): string[] => [
          ...(b.text ? [(b.text as Text).text] : []),
          ...((b.fields as Text[] | undefined) ?? []).map((f) => f.text),
          ...((b.elements as Text[] | undefined) ?? []).map((e) => e.text),
        ];
        for (const b of out.blocks) {
          if (b.type === "section" && b.fields) expect((b.fields as unknown[]).length).toBeLessThanOrEqual(10);
          for (const t of texts(b)) {
            expect(t.length).toBeLessThanOrEqual(b.type === "header" ? 150 : 3000);
            if (b.type !== "header") expect(t).not.toMatch(/<[!@#]/);
          }
        }
        expect(out.text).not.toMatch(/[<>]/);
      }),
      { numRuns: 200 },
    );
  });
});
