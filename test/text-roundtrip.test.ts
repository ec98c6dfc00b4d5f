import fc from "fast-check";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSlackText, escape, render as renderSlack } from "../adapters/slack/render.ts";
import { renderMessage as renderTeams } from "../adapters/teams/render.ts";
import { renderMessage as renderWeb } from "../adapters/web/render.ts";
import { speak } from "../adapters/language.ts";
import { defaultWords } from "../src/i18n.ts";
import type { Message } from "../src/messages.ts";
import { launchChromium } from "./support/browser.ts";
import { harness, type Harness } from "./support/harness.ts";
import { playgroundPage, slackFields, teamsFields, webSeen } from "./support/shows.ts";

// What a person types, through Slack's encoding, Steps' decoding, the database
// (the submission, and the queued message as JSON) and each platform's renderer,
// is shown to the reader exactly as typed. Each platform is modelled as documented,
// in test/support/shows.ts (shared with the adapter contract, test/contract/).

/** Text a person might type: every character that means something on some platform, and anything else. */
const typed = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ...["&", "<", ">", "&amp;", "&lt;", "&gt;", "&amp;lt;", "&#60;", "<!here>", "<@U0ANA|ana>", "<https://e.test|x>", "*", "_", "~", "`", "```", "> ", "&gt; "],
        ...["- ", "* ", "+ ", "1. ", "1) ", "# ", "[x](https://e.test)", "**b**", "_i_", "\\", "\\*", ":tada:", "{{DATE(2026-06-17T18:00:00Z, SHORT)}}"],
        ...["{{TIME(2026-06-17T18:00:00-07:00)}}", "{{", "}}", "\n", "\n\n", "  ", "\t", '"', "'", "https://e.test/a_b*c*", "é", "🎉", "مرحبا", " "],
      ),
      fc.string({ unit: "grapheme", maxLength: 6 }),
    ),
    { minLength: 1, maxLength: 16 },
  )
  // Control characters are not typed (and PostgreSQL refuses NUL); every platform turns CR into LF
  // (the HTML parser does so in the DOM); chat inputs trim what is typed.
  .map((parts) => parts.join("").replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "").trim())
  .filter((text) => text.length > 0);

let h: Harness;
let browser: Browser;
let page: Page;
beforeAll(async () => {
  [h, browser] = await Promise.all([harness(), launchChromium()]);
  page = await playgroundPage(browser);
});
afterAll(async () => {
  await h?.close();
  await browser?.close();
});

const slackValue = (message: Message, label: string) => slackFields(renderSlack(message).blocks).find((f) => f.label === label)?.value;
const teamsValue = (message: Message, label: string) => teamsFields(renderTeams(message).card.body).find((f) => f.label === label)?.value;
const webValue = async (message: Message, label: string) => (await webSeen(page, renderWeb(message, { personId: 1, key: "m", say: speak(defaultWords().t, "en").say }))).fields.find((f) => f.label === label)?.value;

describe("what a person types is shown exactly as typed, on every platform", () => {
  it("Slack's encoding decodes back to the typed text, in one pass", () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom("&", "a", "m", "p", "l", "t", "g", ";", "<", ">") }), (text) => decodeSlackText(escape(text)) === text));
    expect(decodeSlackText("&amp;lt; &lt;b&gt; &amp;amp; &quot;")).toBe("&lt; <b> &amp; &quot;");
  });

  it("a note and a reason, from Slack through the database to Slack, Teams and the playground (property)", async () => {
    const ana = await h.person("ana@example.org");
    const max = await h.person("max@example.org");
    await fc.assert(
      fc.asyncProperty(typed, typed, async (note, reason) => {
        // What Slack sends for what was typed, and what Steps keeps of it.
        const storedNote = decodeSlackText(escape(note));
        const storedReason = decodeSlackText(escape(reason));
        h.sent.length = 0;
        h.edits.length = 0;
        const { submission } = await h.core.done(ana, "safety-walk", storedNote, null);
        await h.dispatcher.drain();
        await h.core.decide(max, submission.id, "changes_requested", storedReason);
        await h.dispatcher.drain();

        const request = h.sent.find((s) => s.to === "max@example.org")!.message;
        const decided = h.edits.at(-1)!.message;
        const toIntern = h.sent.find((s) => s.to === "ana@example.org")!.message;
        for (const [message, label, text] of [
          [request, "Note", note],
          [decided, "Note", note],
          [decided, "Reason", reason],
          [toIntern, "Reason", reason],
        ] as const) {
          expect(slackValue(message, label)).toBe(text);
          expect(teamsValue(message, label)).toBe(text);
          expect(await webValue(message, label)).toBe(text);
        }
      }),
      { numRuns: 60 },
    );
    // Sixty round trips through the database and a browser: minutes on a busy machine, never a hang.
  }, 180_000);
});
