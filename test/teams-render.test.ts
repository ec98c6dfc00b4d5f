import { describe, expect, it } from "vitest";
import { cardActivity, escapeMarkdown, formatText, renderMessage } from "../adapters/teams/render.ts";
import type { Message } from "../src/messages.ts";

const approval: Message = {
  text: "Ana asks you to approve: Safety walk (#7)",
  blocks: [
    { type: "header", text: "Safety walk" },
    { type: "fields", fields: [{ label: "Intern", value: "Ana *the* [best](https://evil.example)" }] },
    { type: "progress", label: "Field hours", done: 1.5, total: 4, unit: "hours", note: "1 h waiting" },
    { type: "divider" },
    { type: "link", label: "Badge", url: "https://steps.test/badges/abc" },
    { type: "link", label: "Odd", url: "javascript:alert(1)" },
    {
      type: "buttons",
      buttons: [
        { type: "button", action: "approve", label: "Approve", value: "7", style: "primary" },
        { type: "button", action: "request_changes", label: "Request changes", value: "7", reason: { label: "Motivo, si pides cambios", placeholder: "¿Qué debe corregir?", missing: "Di qué hay que cambiar." } },
      ],
    },
    { type: "context", text: "Type `approve 7`" },
  ],
};

describe("Adaptive Card rendering", () => {
  it("maps every block to card elements on schema 1.5", () => {
    const { card, text } = renderMessage(approval);
    expect(card).toMatchObject({ type: "AdaptiveCard", version: "1.5", $schema: "http://adaptivecards.io/schemas/adaptive-card.json" });
    expect(card.body.map((e) => e.type)).toEqual(["TextBlock", "RichTextBlock", "ColumnSet", "ActionSet", "TextBlock", "Input.Text", "ActionSet", "TextBlock"]);
    expect(card.body[0]).toEqual({ type: "TextBlock", text: "Safety walk", wrap: true, size: "Medium", weight: "Bolder" });
    // A field's value is a TextRun: no markdown, so it is shown exactly as written.
    expect(card.body[1]).toEqual({
      type: "RichTextBlock",
      inlines: [
        { type: "TextRun", text: "Intern: ", weight: "Bolder" },
        { type: "TextRun", text: "Ana *the* [best](https://evil.example)" },
      ],
    });
    expect(JSON.stringify(card.body[2])).toContain("1.5/4 h (37%) · 1 h waiting");
    // The divider becomes a separator on what follows it.
    expect(card.body[3]).toEqual({ type: "ActionSet", separator: true, actions: [{ type: "Action.OpenUrl", title: "Badge", url: "https://steps.test/badges/abc" }] });
    // Not a web link: shown, never clickable.
    expect(card.body[4]).toMatchObject({ type: "TextBlock", text: "Odd: javascript:alert(1)" });
    // The reason box speaks the core's words, in the reader's language.
    expect(card.body[5]).toMatchObject({ type: "Input.Text", id: "reason", maxLength: 500, isRequired: true, label: "Motivo, si pides cambios", placeholder: "¿Qué debe corregir?", errorMessage: "Di qué hay que cambiar." });
    expect(card.body[6]).toEqual({
      type: "ActionSet",
      actions: [
        { type: "Action.Execute", title: "Approve", verb: "approve", data: { id: "7" }, associatedInputs: "none", style: "positive" },
        { type: "Action.Execute", title: "Request changes", verb: "request_changes", data: { id: "7" }, associatedInputs: "auto" },
      ],
    });
    expect(card.body[7]).toMatchObject({ text: "Type **approve 7**", isSubtle: true, size: "Small" });
    expect(card.fallbackText).toBe(text);
    expect(text).toContain("Intern: Ana *the* [best](https://evil.example)");
  });

  it("wraps the card in a message activity whose summary is the plain text and has no text to show twice", () => {
    const activity = cardActivity(approval);
    expect(activity).toEqual({ type: "message", summary: approval.text, attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: renderMessage(approval).card }] });
  });

  it("neutralises Teams markdown in user text", () => {
    expect(escapeMarkdown("**bold** _it_ [x](y) \\")).toBe("\\*\\*bold\\*\\* \\_it\\_ [x]\u2060(y) \\\\");
    expect(escapeMarkdown("- not a list\n1. nor this")).toBe("\\- not a list\n1\\. nor this");
    expect(formatText("Type `done <task>`, not `x")).toBe("Type **done <task>**, not `x");
    expect(formatText("a_b `c_d`")).toBe("a\\_b **c\\_d**");
    expect(escapeMarkdown("see https://example.org/my_file_v2.pdf, *now*")).toBe("see https://example.org/my_file_v2.pdf, \\*now\\*");
  });

  it("shows commands in bold without backticks, and brackets without backslashes (Teams' markdown has neither code spans nor escapes on every client)", () => {
    const help: Message = { text: "help", blocks: [{ type: "text", text: "<cmd>done <task> [note or link]</cmd> — Mark a task done, e.g. `interview-staff`." }] };
    expect(renderMessage(help).card.body[0]).toEqual({ type: "TextBlock", text: "**done <task> [note or link]** — Mark a task done, e.g. **interview-staff**.", wrap: true });
    expect(formatText("see [the notes] (page 2)")).toBe("see [the notes]\u2060 (page 2)");
  });

  it("keeps long text and big cards within Teams' limits", () => {
    const long = renderMessage({ text: "x", blocks: [{ type: "text", text: "y".repeat(5000) }] });
    expect((long.card.body[0]!.text as string).length).toBe(2000);
    const many: Message = { text: "many", blocks: Array.from({ length: 400 }, (_, i) => ({ type: "text" as const, text: `line ${i} ${"z".repeat(100)}` })) };
    const { card } = renderMessage(many);
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThanOrEqual(24_000);
    expect(card.body.at(-1)).toMatchObject({ text: "…shortened: type the command again for the rest." });
    expect(card.fallbackText.length).toBeLessThanOrEqual(2000);
  });

  it("renders an empty message as its text", () => {
    expect(renderMessage({ text: "Hello", blocks: [] }).card.body).toEqual([{ type: "TextBlock", text: "Hello", wrap: true }]);
  });
});
