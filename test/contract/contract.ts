import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Steps } from "../../app/boot.ts";
import { outbox } from "../../db/schema.ts";
import { ACTION_IDS, formatProgress, type Block, type Message } from "../../src/messages.ts";
import { commandHelp, type Command } from "../../src/commands/grammar.ts";
import { replyFor } from "../../src/domain/replies.ts";
import type { SeenButton, SeenMessage } from "../support/shows.ts";
import { digestMessage, fullDigestMessages, type Digest } from "../../src/domain/digest.ts";
import { homeView } from "../../src/domain/home.ts";
import { playlistProgress } from "../../src/domain/progress.ts";
import * as views from "../../src/domain/views.ts";
import type { Voice } from "../../src/i18n.ts";
import { isHours } from "../../src/program/program.ts";
import { nudgeMessage, reminderMessage } from "../../src/schedule/messages.ts";
import type { Decision, Person, Submission } from "../../src/store.ts";

// The one shape every platform adapter keeps, checked the same way for each
// (test/contract/<platform>.test.ts): a driver drives the adapter as its
// platform does and says what the platform received; this suite judges it.
// A new adapter gets the whole suite by writing a driver.

export interface Seen extends SeenMessage {
  /** The platform's limits the message breaks, in the platform's words (cited in the driver); empty when it fits. */
  overLimits: string[];
  buttons: (SeenButton & { press(): Promise<void> })[];
}

export interface Delivery {
  seen: Seen;
  /** The message as the platform shows it now, and how many times it was updated in place. */
  now(): Promise<{ seen: Seen; updates: number }>;
}

export interface ContractRig {
  steps: Steps;
  /** An intern and their mentor, both reachable here. */
  intern: Person;
  mentor: Person;
  /** The intern types `done <task> <note>` (a task their mentor approves) in the platform's chat, sent as the platform sends typed text; resolves once its work is done. */
  submit(note: string): Promise<void>;
  /** The messages delivered to this person in private, as the platform received them, oldest first. */
  deliveries(person: Person): Promise<Delivery[]>;
  /**
   * A roster person this platform has no way to: no account, or the app never
   * installed. `reachable` only on a platform that reaches everyone on the
   * roster (the playground), where they get the message after all.
   */
  stranger(): Promise<{ person: Person; reachable: boolean }>;
  close(): Promise<void>;
}

export interface ContractDriver {
  name: string;
  start(): Promise<ContractRig>;
}

type Kind = Block["type"];
type Of<K extends Kind> = Extract<Block, { type: K }>;

/**
 * One block of every kind of the neutral union. Keyed by kind, so a new kind
 * in src/messages.ts fails the typecheck here until it has a sample and a check.
 * The divider sits between blocks: a separator is drawn above what follows it.
 */
const samples: { [K in Kind]: Of<K> } = {
  header: { type: "header", text: "Every kind of block" },
  text: { type: "text", text: "A paragraph in Steps' own words." },
  fields: { type: "fields", fields: [{ label: "Intern", value: "Ana" }, { label: "Task", value: "Safety walk (safety-walk)" }] },
  progress: { type: "progress", label: "Field hours", done: 7.5, total: 20, unit: "hours", note: "2 h waiting for approval" },
  divider: { type: "divider" },
  link: { type: "link", label: "See the badge", url: "https://steps.test/badges/abc" },
  // Every action there is, every style.
  buttons: { type: "buttons", buttons: ACTION_IDS.map((action, i) => ({ type: "button", action, label: `Button ${i + 1}`, value: String(100 + i), ...(i === 0 ? { style: "primary" } : i === 1 ? { style: "danger" } : {}) })) },
  context: { type: "context", text: "Submission #7, small print" },
};

/** How each kind must show: its words as text, its fields literal, its links and buttons working. */
const shows: { [K in Kind]: (seen: Seen, block: Of<K>) => void } = {
  header: (seen, b) => expect(seen.text).toContain(b.text),
  text: (seen, b) => expect(seen.text).toContain(b.text),
  context: (seen, b) => expect(seen.text).toContain(b.text),
  fields: (seen, b) => {
    for (const f of b.fields) expect(seen.fields).toContainEqual(f);
  },
  progress: (seen, b) => {
    expect(seen.text).toContain(b.label);
    expect(seen.text).toContain(formatProgress(b));
  },
  divider: (seen) => expect(seen.rules).toBeGreaterThanOrEqual(1),
  link: (seen, b) => expect(seen.links).toContainEqual({ label: b.label, url: b.url }),
  buttons: (seen, b) => expect(seen.buttons.map(({ label, action, value }) => ({ label, action, value }))).toEqual(b.buttons.map(({ label, action, value }) => ({ label, action, value }))),
};

const kinds = Object.keys(samples) as Kind[];

/**
 * Words of Steps' own English that a Spanish message must not contain once the
 * program's own names (as the file writes them) and people's names are taken out.
 */
const ENGLISH = /\b(?:the|and|your|you|with|for|of|is|has|approve|approved|request|changes|reminder|submission|waiting|type|week|badge|badges|task|tasks|note|evidence|reason|intern|interns|playlist|hours|when|where|earned|congratulations|withdrew|digest|pending|done|progress|starts|today|tomorrow|minutes|none|nothing)\b/gi;

function englishIn(text: string, names: string[]): string[] {
  let rest = text;
  for (const name of names) rest = rest.split(name).join(" ");
  // Commands typed as they are (`approve 42`) work in every language; their Spanish words are what a Spanish message shows.
  return [...new Set(rest.match(ENGLISH) ?? [])];
}

/** Every name the program file and the roster write, longest first so a name inside another is taken out after it. */
function programNames(file: Steps["program"]["file"], people: Person[]): string[] {
  const all = [
    file.program.name,
    file.program.organization,
    ...file.departments.map((d) => d.name),
    ...file.playlists.flatMap((p) => [p.title, p.slug, p.badge.name, ...p.tasks.flatMap((t) => [t.title, t.slug])]),
    ...file.events.weekly.map((e) => e.title),
    ...file.events.dated.map((e) => e.title),
    ...people.flatMap((p) => [p.name, p.email]),
  ];
  return [...new Set(all)].sort((a, b) => b.length - a.length);
}

/** One of every message the core sends a person, built as the core builds it, in one voice. */
function everyKind(rig: ContractRig, v: Voice): [string, Message][] {
  const { program } = rig.steps;
  const playlist = program.file.playlists[0]!;
  const task = playlist.tasks[0]!;
  // A program without an hours task shows the hours request with its first task.
  const hoursTask = program.file.playlists.flatMap((p) => p.tasks).find(isHours) ?? task;
  const at = new Date("2026-06-22T17:00:00Z");
  const submission: Submission = { id: 41, personId: rig.intern.id, playlist: playlist.slug, task: task.slug, units: 1, isOnce: true, note: "Notes", link: "https://example.org/notes", status: "pending", createdAt: at };
  const hours: Submission = { ...submission, id: 42, task: hoursTask.slug, units: 90 };
  const approved: Decision = { submissionId: 41, decision: "approved", deciderId: rig.mentor.id, reason: null, decidedAt: at };
  const sentBack: Decision = { ...approved, decision: "changes_requested", reason: "Add a photo" };
  const progress = playlistProgress(playlist, [submission]);
  const digest: Digest = {
    at,
    departments: program.file.departments.slice(0, 2).map((d, i) => ({ slug: d.slug, name: d.name, interns: i + 1, percent: 30, badges: i })),
    staleApprovals: [{ submission, intern: rig.intern, mentor: rig.mentor, days: 4 }, { submission: hours, intern: rig.intern, mentor: null, days: 1 }],
    inactive: [{ intern: rig.intern, days: null }, { intern: rig.intern, days: 6 }],
    behind: [{ intern: rig.intern, percent: 10, expected: 40 }],
    badges: [{ name: rig.intern.name, department: null, badge: playlist.badge.name, playlist: playlist.slug, at }],
    notDoneElsewhere: [{ issuer: "Credly", error: null, issue: true }],
    undelivered: [{ key: "reminder:x", recipient: "#coordinators", error: null }],
  };
  const long: Digest = { ...digest, inactive: Array.from({ length: 40 }, (_, i) => ({ intern: rig.intern, days: i + 5 })) };
  const event = { slug: "council", title: program.file.events.dated[0]?.title ?? "", place: "City Hall", reminders: [], audience: "everyone" as const, starts: () => [] };
  return [
    ["approval request", views.approvalRequest(rig.intern, task, playlist, submission, v)],
    ["hours approval request", views.approvalRequest(rig.intern, hoursTask, playlist, hours, v)],
    ["approved request", views.decidedRequest(rig.intern, task, playlist, submission, approved, rig.mentor, v)],
    ["sent-back request", views.decidedRequest(rig.intern, task, playlist, submission, sentBack, rig.mentor, v)],
    ["withdrawn request", views.withdrawnRequest(rig.intern, task, playlist, submission, at, v)],
    ["approved outcome", views.outcomeForIntern(task, submission, approved, rig.mentor, v)],
    ["sent-back outcome", views.outcomeForIntern(task, submission, sentBack, rig.mentor, v)],
    ["badge announcement", views.awardAnnouncement(rig.intern, playlist, "https://steps.test/badges/abc", v)],
    ["badge for the intern", views.awardForIntern(playlist, "https://steps.test/badges/abc", "https://www.linkedin.com/profile/add", v)],
    ["progress", views.message(v.say("home.progress", { name: rig.intern.name }), ...views.progressBlocks(progress, v))],
    ["digest", digestMessage(program, digest, v)],
    ["cut digest", digestMessage(program, long, v)],
    ...fullDigestMessages(program, long, v).map((m, i): [string, Message] => [`full digest part ${i + 1}`, m]),
    ["reminder tomorrow", reminderMessage(event, new Date("2026-06-18T01:00:00Z"), new Date("2026-06-17T00:00:00Z"), v)],
    ["reminder in an hour", reminderMessage(event, new Date("2026-06-18T01:00:00Z"), new Date("2026-06-18T00:00:00Z"), v)],
    ["reminder next week", reminderMessage({ ...event, title: "" }, new Date("2026-06-25T01:00:00Z"), new Date("2026-06-18T00:00:00Z"), v)],
    ["nudge", nudgeMessage([{ submission, intern: rig.intern, days: 3 }, { submission: hours, intern: undefined, days: 2 }], v)],
  ];
}

/** Text that means something on some platform: HTML, an entity, Markdown emphasis, a Slack mention and @channel. */
export const HOSTILE_NOTE = "<b>&amp; *bold* <@U123> <!channel>";

export function adapterContract(driver: ContractDriver): void {
  describe(`adapter contract: ${driver.name}`, () => {
    let rig: ContractRig;
    beforeAll(async () => {
      rig = await driver.start();
    });
    afterAll(() => rig?.close());

    let sent = 0;
    /** Queues a message for a person, as the core does, and sends it as the dispatcher does; returns the outbox row. */
    async function send(person: Person, message: Message) {
      const key = `contract:${++sent}`;
      await rig.steps.store.enqueue([{ key, recipient: `person:${person.id}`, payload: { message } }]);
      await rig.steps.dispatcher.drain();
      await rig.steps.dispatcher.idle();
      const [row] = await rig.steps.db.db.select().from(outbox).where(eq(outbox.key, key));
      return row!;
    }

    /** Sends a message and returns it as the platform received it. */
    async function deliver(message: Message): Promise<Delivery> {
      const before = (await rig.deliveries(rig.mentor)).length;
      expect((await send(rig.mentor, message)).status).toBe("sent");
      const after = await rig.deliveries(rig.mentor);
      expect(after).toHaveLength(before + 1);
      return after.at(-1)!;
    }

    let request: Promise<Delivery> | undefined;
    /** The intern's hostile note, submitted once; the mentor's approval request as delivered. */
    function approvalRequest(): Promise<Delivery> {
      request ??= (async () => {
        const before = (await rig.deliveries(rig.mentor)).length;
        await rig.submit(HOSTILE_NOTE);
        const after = await rig.deliveries(rig.mentor);
        expect(after).toHaveLength(before + 1);
        return after.at(-1)!;
      })();
      return request;
    }

    it("renders every kind of block in the neutral message union, within the platform's limits", async () => {
      const { seen } = await deliver({ text: "Every kind", blocks: kinds.map((k) => samples[k]) });
      for (const kind of kinds) shows[kind](seen, samples[kind] as never);
      expect(seen.overLimits).toEqual([]);
    });

    it("renders every reply and help text in every language, within the platform's limits", async () => {
      const intern: Command[] = [{ kind: "help" }, ...commandHelp.filter((c) => c.roles.includes("intern")).map((c): Command => ({ kind: "help", topic: c.name }))];
      const asIntern: Command[] = [...intern, { kind: "tasks" }, { kind: "status" }, { kind: "badges" }, { kind: "language" }];
      const asMentor: Command[] = [{ kind: "help" }, { kind: "pending" }, { kind: "digest" }];
      for (const language of rig.steps.core.languages) {
        const replies = [
          ...(await Promise.all(asIntern.map((c) => replyFor(rig.steps.core, { ...rig.intern, language }, c)))),
          ...(await Promise.all(asMentor.map((c) => replyFor(rig.steps.core, { ...rig.mentor, language }, c)))),
        ];
        for (const reply of replies) {
          const { seen } = await deliver(reply);
          expect(seen.overLimits, `${language}: ${reply.text}`).toEqual([]);
          // Each platform spells the commands Steps names; the markup never shows.
          expect(seen.text, `${language}: ${reply.text}`).not.toMatch(/<\/?cmd>/);
        }
      }
    });

    it("renders every message the core sends, in every language, within the platform's limits; Spanish with no English of Steps' own", async () => {
      const { core, program } = rig.steps;
      const names = programNames(program.file, [rig.intern, rig.mentor]);
      for (const language of core.languages) {
        const homes: [string, Message][] = [
          ["intern's home", await homeView(core, { ...rig.intern, language })],
          ["mentor's home", await homeView(core, { ...rig.mentor, language })],
        ];
        for (const [kind, message] of [...everyKind(rig, core.voiceIn(language)), ...homes]) {
          const { seen } = await deliver(message);
          expect(seen.overLimits, `${language} ${kind}`).toEqual([]);
          if (language !== "es") continue;
          const shown = [seen.text, ...seen.fields.map((f) => f.label), ...seen.buttons.map((b) => b.label), ...seen.links.map((l) => l.label)].join("\n");
          expect(englishIn(shown, names), `${kind}: ${shown}`).toEqual([]);
        }
      }
      // Some forty deliveries, each shown as the platform shows it (the web driver's in Chromium): minutes on a busy two-core machine.
    }, 300_000);

    it("keeps a message far past every limit within them, and still delivers it", async () => {
      const long = "Long words ".repeat(600);
      const blocks = kinds.flatMap((k): Block[] => {
        const b = samples[k];
        switch (b.type) {
          case "header":
          case "text":
          case "context":
            return Array.from({ length: 20 }, () => ({ ...b, text: long }));
          case "fields":
            return [{ type: "fields", fields: Array.from({ length: 30 }, (_, i) => ({ label: `Field ${i} ${long}`, value: long })) }];
          case "progress":
            return Array.from({ length: 20 }, () => ({ ...b, label: long, note: long }));
          case "link":
            return Array.from({ length: 20 }, () => ({ ...b, label: long }));
          case "buttons":
            return [{ type: "buttons", buttons: Array.from({ length: 40 }, (_, i) => ({ ...b.buttons[i % b.buttons.length]!, label: long, value: "9".repeat(3000) })) }];
          case "divider":
            return Array.from({ length: 20 }, () => b);
        }
      });
      const { seen } = await deliver({ text: long.repeat(10), blocks });
      expect(seen.overLimits).toEqual([]);
    });

    it("shows what a person typed as literal text, never as markup or a mention", async () => {
      const { seen } = await approvalRequest();
      const [submission] = await rig.steps.store.submissionsOf(rig.intern.id);
      expect(submission!.note).toBe(HOSTILE_NOTE);
      expect(seen.fields).toContainEqual({ label: "Note", value: HOSTILE_NOTE });
      expect(seen.overLimits).toEqual([]);
    });

    it("decides a submission from an Approve click sent as the platform sends it", async () => {
      const { seen } = await approvalRequest();
      const [submission] = await rig.steps.store.submissionsOf(rig.intern.id);
      expect(seen.buttons.map((b) => [b.action, b.value])).toEqual([
        ["approve", String(submission!.id)],
        ["request_changes", String(submission!.id)],
      ]);
      await seen.buttons.find((b) => b.action === "approve")!.press();
      expect(await rig.steps.store.decisionOf(submission!.id)).toMatchObject({ decision: "approved", deciderId: rig.mentor.id });
    });

    it("updates the decided request in place, without its buttons, rather than sending it again", async () => {
      const delivered = await approvalRequest();
      const [submission] = await rig.steps.store.submissionsOf(rig.intern.id);
      if (!(await rig.steps.store.decisionOf(submission!.id))) await delivered.seen.buttons.find((b) => b.action === "approve")!.press();
      const before = (await rig.deliveries(rig.mentor)).length;
      const { seen, updates } = await delivered.now();
      expect(updates).toBe(1);
      expect(seen.buttons).toEqual([]);
      expect(seen.text).toContain(`Approved by ${rig.mentor.name}`);
      expect(seen.fields).toContainEqual({ label: "Note", value: HOSTILE_NOTE });
      expect(seen.overLimits).toEqual([]);
      expect(await rig.deliveries(rig.mentor)).toHaveLength(before);
    });

    it("records a person it cannot reach as a failed delivery, and goes on sending the rest", async () => {
      const thrown: unknown[] = [];
      const record = (error: unknown) => thrown.push(error);
      process.on("unhandledRejection", record);
      process.on("uncaughtException", record);
      try {
        const { person, reachable } = await rig.stranger();
        const hello: Message = { text: "Hello", blocks: [{ type: "text", text: "Hello" }] };
        const row = await send(person, hello);
        if (reachable) {
          // A platform that reaches everyone on the roster reaches someone it has never seen.
          expect(row.status).toBe("sent");
          expect(await rig.deliveries(person)).toHaveLength(1);
        } else {
          // Failed at the first attempt: only a permanent DeliveryError does that (anything else is retried).
          expect(row).toMatchObject({ status: "failed", attempts: 1, lastError: expect.stringMatching(/./) });
          expect(await rig.deliveries(person)).toEqual([]);
          const digest = await rig.steps.store.digestRows(new Date(0));
          expect(digest.failedDeliveries).toContainEqual(expect.objectContaining({ key: row.key, lastError: row.lastError }));
        }
        // The dispatcher is still working: the next message goes out.
        expect((await deliver(hello)).seen.text).toContain("Hello");
      } finally {
        process.off("unhandledRejection", record);
        process.off("uncaughtException", record);
      }
      expect(thrown).toEqual([]);
    });
  });
}
