import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { typedText } from "../adapters/teams/text.ts";
import { teamsSends } from "./support/shows.ts";

// The HTML Teams sends, read back as typed (adapters/teams/text.ts); through /api/messages in test/teams-commands.test.ts.

describe("what a person typed in Teams", () => {
  it("Teams' HTML decodes back to the typed text, in one pass (property)", () => {
    // Characters that mean something in HTML, and pieces of entities; a no-break space is not typed (it reads as a space).
    const unit = fc.constantFrom("&", "<", ">", "a", "m", "p", "l", "t", "g", "n", "b", "s", "#", "x", "3", "9", ";", '"', "'", "/", " ", "\n", "é", "🎉");
    const typed = fc.string({ unit, maxLength: 40 }).map((s) => s.trim());
    fc.assert(fc.property(typed, (text) => typedText(teamsSends(text)) === text));
  });

  it("decodes named and numeric entities, including the ones HTML allows without a semicolon", () => {
    expect(typedText("Q&amp;A &quot;x&quot; &apos;y&apos; &#39;z&#39; &#x1F389; &#233; &copy; &eacute; &amp")).toBe(`Q&A "x" 'y' 'z' 🎉 é © é &`);
    // Something that only looks like an entity stays as it is.
    expect(typedText("Q&A &nosuch; a&b")).toBe("Q&A &nosuch; a&b");
    // A code point that is no character is the replacement character, never a control byte.
    expect(typedText("a&#0;b&#xD800;c")).toBe("a\uFFFDb\uFFFDc");
  });

  it("drops tags, mentions and comments, keeps their text, and ends a line where Teams does", () => {
    expect(typedText("<p>done&nbsp;walk <strong>bold</strong> <at>Max</at></p><!-- x --><p>second</p>")).toBe("done walk bold Max\nsecond");
    expect(typedText("one<br>two<br/>three<div>four</div><ul><li>five</li><li>six</li></ul>")).toBe("one\ntwo\nthree\nfour\nfive\nsix");
    // Broken HTML loses no typed text.
    expect(typedText("<p>unclosed <b>bold")).toBe("unclosed bold");
    expect(typedText("")).toBe("");
  });

  it("keeps a link's web address when its words are not the address, and nothing else a link carries", () => {
    expect(typedText('<a href="https://e.test/a?b=1&amp;c=2">https://e.test/a?b=1&amp;c=2</a>')).toBe("https://e.test/a?b=1&c=2");
    expect(typedText('see <a href="https://e.test/deck">the deck</a>.')).toBe("see the deck https://e.test/deck.");
    expect(typedText('<a href="javascript:alert(1)">click</a> <a href="mailto:a@e.test">mail</a> <a>bare</a>')).toBe("click mail bare");
  });
});
