import { commandExample, commandHelp, englishVerb, type Command, type CommandHelp, type Examples } from "../commands/grammar.ts";
import { StepsError } from "../errors.ts";
import { languageName, type Values, type Voice } from "../i18n.ts";
import type { Block, Message } from "../messages.ts";
import { isHours, type Program } from "../program/program.ts";
import type { Task } from "../program/schema.ts";
import type { Person } from "../store.ts";
import type { CoreApi } from "./core.ts";
import { buildDigest, digestMessage, fullDigestMessages } from "./digest.ts";
import { displayUnits } from "./progress.ts";
import * as views from "./views.ts";

/** Turns one command into core calls and the reply the person sees. */
export async function replyFor(core: CoreApi, person: Person, command: Command): Promise<Message> {
  const { program, store } = core;
  const v = core.voiceOf(person);
  const lang = v.language;
  const say = v.say;
  switch (command.kind) {
    case "done":
    case "log": {
      const r =
        command.kind === "done"
          ? await core.done(person, command.task, command.note ?? null, command.link ?? null)
          : await core.logHours(person, command.minutes, command.task, command.note ?? null, command.link ?? null);
      const who = { approvers: r.approvers.length === 1 ? "one" : "many", approver: r.approvers[0]?.name ?? "", task: v.local(r.task, "title"), id: r.submission.id };
      const text = isHours(r.task) ? say("log.recorded", { ...who, hours: displayUnits(r.task, r.submission.units) }) : say("done.recorded", who);
      return views.message(text, { type: "text", text }, ...views.progressBlocks(r.progress, v));
    }
    case "status": {
      core.requireRole(person, ["intern"], "role.only_interns_status");
      const progress = await core.progressOf(person);
      const blocks: Block[] = progress.flatMap((p, i) => [...(i ? [{ type: "divider" } as const] : []), ...views.progressBlocks(p, v)]);
      const summary = v.list(progress.map((p) => say("status.playlist", { playlist: v.local(p.playlist, "title"), percent: p.percent })));
      return views.message(say("status.summary", { summary }), ...blocks, { type: "context", text: say("status.hint") });
    }
    case "tasks": {
      const playlists = command.playlist
        ? [program.playlist(command.playlist) ?? unknownPlaylist(core, lang, command.playlist)]
        : program.file.playlists.filter((p) => person.role !== "intern" || program.isOpenTo(p, person.department));
      const blocks: Block[] = playlists.flatMap((p) => [
        { type: "header", text: say("tasks.header", { playlist: v.local(p, "title"), advanced: p.advanced ? "yes" : "no" }) } as const,
        { type: "fields", fields: p.tasks.map((t) => ({ label: t.slug, value: taskLine(t, v) })) } as const,
      ]);
      return views.message(say("tasks.summary", { playlists: v.list(playlists.map((p) => v.local(p, "title"))) }), ...blocks, { type: "context", text: say("tasks.hint") });
    }
    case "pending": {
      const items = await core.pendingFor(person);
      if (items.length === 0) return views.message(say("pending.none"));
      const blocks = items.slice(0, 10).flatMap((i): Block[] => {
        if (!i.task || !i.playlist) return [{ type: "text", text: say("pending.removed_task", { id: i.submission.id, intern: i.intern.name, slug: i.submission.task }) }];
        return views.approvalRequest(i.intern, i.task, i.playlist, i.submission, v).blocks;
      });
      const more = items.length > 10 ? [{ type: "context", text: say("pending.more", { count: items.length - 10 }) } as const] : [];
      return views.message(say("pending.summary", { count: items.length }), ...blocks, ...more);
    }
    case "approve":
    case "changes": {
      const r = await core.decide(person, command.submissionId, command.kind === "approve" ? "approved" : "changes_requested", command.kind === "changes" ? command.reason : null);
      const decider = r.mine ? person : ((await store.personById(r.decision.deciderId)) ?? person);
      const sentence = views.decisionSentence(r.decision, decider, v);
      return views.message(say(r.mine ? "decide.mine" : "decide.already", { sentence, id: command.submissionId }));
    }
    case "undo": {
      const { submission, task } = await core.withdraw(person, command.submissionId);
      const again = isHours(task) ? `<cmd>log <hours> ${task.slug}</cmd>` : `<cmd>done ${task.slug}</cmd>`;
      return views.message(say("undo.done", { task: v.local(task, "title"), id: submission.id, again }));
    }
    case "digest": {
      core.requireRole(person, ["mentor", "coordinator"], "role.only_approvers_digest");
      const digest = await buildDigest(program, store, core.now(), person.role === "mentor" ? { mentorId: person.id } : {});
      if (!command.full) return digestMessage(program, digest, v);
      // The first part is the answer; the rest follow through the outbox, in order, one message each.
      const [first, ...rest] = fullDigestMessages(program, digest, v);
      if (rest.length) {
        const at = core.now().toISOString();
        await store.enqueue(rest.map((message, i) => ({ key: `digest-full:${person.id}:${at}:${i + 2}`, recipient: `person:${person.id}` as const, payload: { message } })));
        core.queued();
      }
      return first!;
    }
    case "badges": {
      core.requireRole(person, ["intern"], "role.only_interns_badges");
      const awards = await store.awardsOf(person.id);
      if (awards.length === 0) return views.message(say("badges.none"));
      const blocks = awards.flatMap((a): Block[] => {
        const badge = badgeName(program, a.playlist, v);
        const state = a.revokedAt ? "revoked" : a.published ? "public" : "unlisted";
        // Where another issuer holds it too (Credly), once it does.
        const elsewhere = Object.entries(a.revokedAt ? {} : (a.elsewhere ?? {})).flatMap(([issuer, e]): Block[] =>
          e.state === "issued" && e.url ? [{ type: "link", label: say("badges.elsewhere", { badge, issuer: views.issuerName(issuer) }), url: e.url }] : [],
        );
        return [{ type: "link", label: say("badges.item", { badge, day: v.day(a.awardedAt), state }), url: core.badgeUrl(a) }, ...elsewhere];
      });
      return views.message(say("badges.summary", { count: awards.length }), ...blocks);
    }
    case "badge_publish": {
      core.requireRole(person, ["intern"], "role.only_interns_publish");
      const award = (await store.awardsOf(person.id)).find((a) => a.playlist === command.playlist);
      if (!award) throw new StepsError("unknown_badge", say("badge.unknown", { playlist: command.playlist }));
      const badge = badgeName(program, award.playlist, v);
      const link: Block = { type: "link", label: say("badge.page"), url: core.badgeUrl(award) };
      const withLink = (text: string) => views.message(text, { type: "text", text }, link);
      const issuers = await core.publish(award);
      if (!issuers) return withLink(say("badge.already_public", { badge }));
      if (issuers.length === 0) return withLink(say("badge.now_public", { badge }));
      return withLink(say("badge.now_public_elsewhere", { badge, issuer: issuers.map(views.issuerName).join(", ") }));
    }
    case "revoke": {
      core.requireRole(person, ["coordinator"], "role.only_coordinators_revoke");
      const intern = await store.personByEmail(command.email);
      const award = intern && (await store.awardsOf(intern.id)).find((a) => a.playlist === command.playlist);
      if (!intern || !award) throw new StepsError("unknown_badge", say("revoke.unknown", { email: command.email, playlist: command.playlist }));
      const which = { intern: intern.name, playlist: command.playlist };
      if (award.revokedAt) {
        const already = { ...which, day: v.day(award.revokedAt), reason: award.revokedReason ?? "" };
        return views.message(say("revoke.already_summary", already), { type: "text", text: say("revoke.already", already) }, views.reasonField(award.revokedReason ?? "", v));
      }
      const elsewhere = await core.revoke(award, intern, person, command.reason);
      const done = { ...which, reason: command.reason, issuer: elsewhere.map(views.issuerName).join(", ") };
      const text = say(elsewhere.length ? "revoke.done_elsewhere" : "revoke.done", done);
      return views.message(say("revoke.done_summary", done), { type: "text", text }, views.reasonField(command.reason, v));
    }
    case "remind": {
      await store.setRemindersOff(person.id, !command.on);
      return views.message(say(command.on ? "remind.on" : "remind.off"));
    }
    case "language": {
      const languages = core.languages;
      const names = v.list(languages.map((l) => say("language.choice", { code: l, name: languageName(l, l) })), "disjunction");
      if (command.language === undefined) return views.message(say("language.current", { language: languageName(lang, lang), choices: names }));
      if (!languages.includes(command.language)) throw new StepsError("bad_command", say("language.unknown", { code: command.language, choices: names }));
      await store.setLanguage(person.id, command.language);
      const now = command.language;
      return views.message(core.t(now, "language.changed", { language: languageName(now, now) }));
    }
    case "help":
      return command.topic === undefined ? helpMessage(person, say) : commandHelpMessage(program, person, command.topic, lang, say);
  }
}

type Say = (key: string, values?: Values) => string;

function unknownPlaylist(core: CoreApi, lang: string, slug: string): never {
  const slugs = core.program.file.playlists.map((p) => `\`${p.slug}\``).join(", ");
  throw new StepsError("unknown_playlist", core.t(lang, "tasks.unknown_playlist", { slug, slugs }));
}

function taskLine(task: Task, v: Voice): string {
  const r = task.requirement;
  const title = v.local(task, "title");
  if (r === "once") return title;
  return "count" in r ? v.say("tasks.task_count", { task: title, count: r.count }) : v.say("tasks.task_hours", { task: title, hours: r.hours });
}

/** A badge's name in the reader's language; a playlist since removed from the file is named by its slug. */
function badgeName(program: Program, slug: string, v: Voice): string {
  const playlist = program.playlist(slug);
  return playlist ? v.local(playlist.badge, "name") : slug;
}

function helpMessage(person: Person, say: Say): Message {
  const mine = commandHelp.filter((c) => c.roles.includes(person.role));
  return views.message(
    say("help.title", { role: person.role }),
    ...mine.map((c): Block => ({ type: "text", text: say("help.line", { usage: say(c.usage), summary: say(c.summary) }) })),
    { type: "context", text: say("help.more", { name: typedName(mine[0]!, say) }) },
  );
}

/** A command's name as typed in the person's language: the first words of its usage there ("badge publish", "insignia publicar"). */
function typedName(help: CommandHelp, say: Say): string {
  return say(help.usage).split(" ").slice(0, help.name.split(" ").length).join(" ");
}

/** One command's usage, what it does and an example with this program's own names. */
function commandHelpMessage(program: Program, person: Person, topic: string, lang: string, say: Say): Message {
  const asked = topic.replace(/^\/?steps\s+/, "");
  const english = asked.split(" ").map(englishVerb).join(" ");
  const found = commandHelp.find((c) => c.name === english) ?? commandHelp.find((c) => c.name.split(" ")[0] === english.split(" ")[0]);
  const mine = commandHelp.filter((c) => c.roles.includes(person.role));
  if (!found) {
    const names = mine.map((c) => `<cmd>${typedName(c, say)}</cmd>`).join(", ");
    throw new StepsError("bad_command", say("help.unknown", { asked, names }));
  }
  if (!found.roles.includes(person.role)) {
    const roles = new Intl.ListFormat(lang, { type: "conjunction" }).format(found.roles.map((role) => say("role.plural", { role })));
    throw new StepsError("wrong_role", say("help.wrong_role", { name: typedName(found, say), roles }));
  }
  const example = commandExample(found, examplesFrom(program), say);
  const usage = say(found.usage);
  const summary = say(found.summary);
  return views.message(
    say("help.one", { usage, summary }),
    { type: "text", text: `<cmd>${usage}</cmd>` },
    { type: "text", text: summary },
    ...(example ? [{ type: "context", text: say("help.example", { example }) } as const] : []),
  );
}
/** Examples name this program's first tasks and playlist, so an intern can type them as they are. */
function examplesFrom(program: Program): Examples {
  const tasks = program.file.playlists.flatMap((p) => p.tasks);
  const hoursTask = tasks.find(isHours)?.slug;
  return {
    task: (tasks.find((t) => !isHours(t)) ?? tasks[0]!).slug,
    ...(hoursTask !== undefined && { hoursTask }),
    playlist: program.file.playlists[0]!.slug,
  };
}
