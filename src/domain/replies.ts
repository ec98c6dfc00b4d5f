import { commandHelp, type Command, type Examples } from "../commands/grammar.ts";
import { StepsError } from "../errors.ts";
import { languageName, type Values } from "../i18n.ts";
import type { Action, Block, Message } from "../messages.ts";
import { isHours, type Program } from "../program/program.ts";
import type { Person } from "../store.ts";
import { formatDay } from "../time.ts";
import type { CoreApi } from "./core.ts";
import { buildDigest, digestMessage, fullDigestMessages } from "./digest.ts";
import { displayUnits } from "./progress.ts";
import * as views from "./views.ts";

/** Turns one command into core calls and the reply the person sees. */
export async function replyFor(core: CoreApi, person: Person, command: Command): Promise<Message> {
  const { program, store } = core;
  const tz = program.timeZone;
  const lang = core.languageOf(person);
  const say = (key: string, values?: Values) => core.t(lang, key, values);
  switch (command.kind) {
    case "done":
    case "log": {
      const r =
        command.kind === "done"
          ? await core.done(person, command.task, command.note ?? null, command.link ?? null)
          : await core.logHours(person, command.minutes, command.task, command.note ?? null, command.link ?? null);
      const who = r.approvers.length === 1 ? r.approvers[0]!.name : "the coordinators";
      const what = isHours(r.task) ? `${displayUnits(r.task, r.submission.units)} h of ${r.task.title}` : r.task.title;
      const text = `Recorded ${what} (#${r.submission.id}). ${who} will review it.`;
      return views.message(text, { type: "text", text }, ...views.progressBlocks(r.progress));
    }
    case "status": {
      core.requireRole(person, ["intern"], "see intern progress");
      const progress = await core.progressOf(person);
      const blocks: Block[] = progress.flatMap((p, i) => [...(i ? [{ type: "divider" } as const] : []), ...views.progressBlocks(p)]);
      const summary = progress.map((p) => `${p.playlist.title} ${p.percent}%`).join(", ");
      return views.message(`Your progress: ${summary}`, ...blocks, { type: "context", text: "Type <cmd>done <task></cmd> when you finish a task." });
    }
    case "tasks": {
      const playlists = command.playlist
        ? [program.playlist(command.playlist) ?? unknownPlaylist(core, command.playlist)]
        : program.file.playlists.filter((p) => person.role !== "intern" || program.isOpenTo(p, person.department));
      const blocks: Block[] = playlists.flatMap((p) => [
        { type: "header", text: `${p.title}${p.advanced ? " (advanced)" : ""}` } as const,
        {
          type: "fields",
          fields: p.tasks.map((t) => ({ label: t.slug, value: `${t.title}${requirementText(t.requirement)}` })),
        } as const,
      ]);
      return views.message(`Tasks: ${playlists.map((p) => p.title).join(", ")}`, ...blocks, {
        type: "context",
        text: "Type <cmd>done <task></cmd>, or <cmd>log <hours> <task></cmd> for hours.",
      });
    }
    case "pending": {
      const items = await core.pendingFor(person);
      if (items.length === 0) return views.message("Nothing is waiting for your approval.");
      const blocks = items.slice(0, 10).flatMap((i): Block[] => {
        if (!i.task || !i.playlist) return [{ type: "text", text: `#${i.submission.id} ${i.intern.name}: ${i.submission.task}` }];
        return views.approvalRequest(i.intern, i.task, i.playlist, i.submission).blocks;
      });
      const more = items.length > 10 ? [{ type: "context", text: `…and ${items.length - 10} more.` } as const] : [];
      return views.message(`${items.length} waiting for your approval`, ...blocks, ...more);
    }
    case "approve":
    case "changes": {
      const r = await core.decide(person, command.submissionId, command.kind === "approve" ? "approved" : "changes_requested", command.kind === "changes" ? command.reason : null);
      const decider = r.mine ? person : ((await store.personById(r.decision.deciderId)) ?? person);
      const sentence = views.decisionSentence(r.decision, decider, tz);
      const text = r.mine ? `${sentence}. #${command.submissionId} is decided.` : `#${command.submissionId} was already decided: ${sentence}.`;
      return views.message(text);
    }
    case "undo": {
      const { submission, task } = await core.withdraw(person, command.submissionId);
      const again = isHours(task) ? `<cmd>log <hours> ${task.slug}</cmd>` : `<cmd>done ${task.slug}</cmd>`;
      return views.message(`You withdrew ${task.title} (#${submission.id}): it is no longer waiting for approval. To send it again, type ${again}.`);
    }
    case "digest": {
      core.requireRole(person, ["mentor", "coordinator"], "see a digest");
      const digest = await buildDigest(program, store, core.now(), person.role === "mentor" ? { mentorId: person.id } : {});
      if (!command.full) return digestMessage(program, digest);
      // The first part is the answer; the rest follow through the outbox, in order, one message each.
      const [first, ...rest] = fullDigestMessages(program, digest);
      if (rest.length) {
        const at = core.now().toISOString();
        await store.enqueue(rest.map((message, i) => ({ key: `digest-full:${person.id}:${at}:${i + 2}`, recipient: `person:${person.id}` as const, payload: { message } })));
        core.queued();
      }
      return first!;
    }
    case "badges": {
      core.requireRole(person, ["intern"], "earn badges");
      const awards = await store.awardsOf(person.id);
      if (awards.length === 0) return views.message("No badges yet. Type <cmd>status</cmd> to see how close you are.");
      const blocks = awards.map((a): Block => ({
        type: "link",
        label: `${program.playlist(a.playlist)?.badge.name ?? a.playlist} — ${formatDay(a.awardedAt, tz)}${a.revokedAt ? " (revoked)" : a.published ? "" : " (unlisted)"}`,
        url: core.badgeUrl(a),
      }));
      return views.message(`Your badges: ${awards.length}`, ...blocks);
    }
    case "badge_publish": {
      core.requireRole(person, ["intern"], "publish badges: each intern publishes their own");
      const award = (await store.awardsOf(person.id)).find((a) => a.playlist === command.playlist);
      if (!award) throw new StepsError("unknown_badge", `You have no badge for \`${command.playlist}\`. Type <cmd>badges</cmd> to see yours.`);
      const name = program.playlist(award.playlist)?.badge.name ?? award.playlist;
      const link: Block = { type: "link", label: "Badge page", url: core.badgeUrl(award) };
      const say = (text: string) => views.message(text, { type: "text", text }, link);
      if (award.published) return say(`Your ${name} badge page is already public.`);
      await store.updateAward(award.id, { published: true });
      return say(`Your ${name} badge page is now public: it shows your name, the badge and your evidence.`);
    }
    case "revoke": {
      core.requireRole(person, ["coordinator"], "revoke badges");
      const intern = await store.personByEmail(command.email);
      const award = intern && (await store.awardsOf(intern.id)).find((a) => a.playlist === command.playlist);
      if (!intern || !award) throw new StepsError("unknown_badge", `${command.email} has no \`${command.playlist}\` badge.`);
      if (award.revokedAt) {
        const already = `${intern.name}'s ${command.playlist} badge was already revoked on ${formatDay(award.revokedAt, tz)}`;
        return views.message(`${already}: ${award.revokedReason}`, { type: "text", text: `${already}.` }, views.reasonField(award.revokedReason ?? ""));
      }
      const name = program.playlist(award.playlist)?.badge.name ?? award.playlist;
      await store.transaction(async (tx) => {
        await tx.updateAward(award.id, { revokedAt: core.now(), revokedReason: command.reason });
        const revoked = `Your ${name} badge was revoked by ${person.name}`;
        const message = views.message(`${revoked}: ${command.reason}`, { type: "text", text: `${revoked}.` }, views.reasonField(command.reason));
        await tx.enqueue([{ key: `award:${award.id}:revoked`, recipient: `person:${intern.id}`, payload: { message } }]);
      });
      core.queued();
      const done = `Revoked ${intern.name}'s ${command.playlist} badge`;
      return views.message(`${done}: ${command.reason}`, { type: "text", text: `${done}. Its page and \`steps verify\` now say so.` }, views.reasonField(command.reason));
    }
    case "remind": {
      await store.setRemindersOff(person.id, !command.on);
      return views.message(say(command.on ? "remind.on" : "remind.off"));
    }
    case "language": {
      const languages = core.languages;
      const names = languages.map((l) => `<cmd>language ${l}</cmd> (${languageName(l, l)})`).join(", ");
      if (command.language === undefined) return views.message(say("language.current", { language: languageName(lang, lang), choices: names }));
      if (!languages.includes(command.language)) throw new StepsError("bad_command", say("language.unknown", { code: command.language, choices: names }));
      await store.setLanguage(person.id, command.language);
      const now = command.language;
      return views.message(core.t(now, "language.changed", { language: languageName(now, now) }));
    }
    case "help":
      return command.topic === undefined ? helpMessage(person) : commandHelpMessage(program, person, command.topic);
  }
}

/** A button click from any platform: the clicker is re-checked here, the value is only an id. */
export async function act(core: CoreApi, action: Action): Promise<Message> {
  const person = await core.store.personById(action.personId);
  if (!person) throw new StepsError("not_on_roster", "You are not on the program roster. Ask your coordinator to add you.");
  const id = Number(action.value);
  switch (action.action) {
    case "approve":
    case "request_changes":
      if (!Number.isSafeInteger(id) || id <= 0) throw new StepsError("unknown_submission", "That button is out of date. Type <cmd>pending</cmd> to see what is waiting.");
      return replyFor(core, person, action.action === "approve" ? { kind: "approve", submissionId: id } : { kind: "changes", submissionId: id, reason: action.reason ?? "" });
    case "publish_badge":
      return replyFor(core, person, { kind: "badge_publish", playlist: action.value });
  }
}

function unknownPlaylist(core: CoreApi, slug: string): never {
  const slugs = core.program.file.playlists.map((p) => `\`${p.slug}\``).join(", ");
  throw new StepsError("unknown_playlist", `There is no playlist \`${slug}\`. Playlists: ${slugs}.`);
}

function requirementText(r: import("../program/schema.ts").Requirement): string {
  if (r === "once") return "";
  return "count" in r ? ` (×${r.count})` : ` (${r.hours} h)`;
}

function helpMessage(person: Person): Message {
  const mine = commandHelp.filter((c) => c.roles.includes(person.role));
  return views.message(
    `Steps commands for ${person.role}s`,
    ...mine.map((c): Block => ({ type: "text", text: `<cmd>${c.usage}</cmd> — ${c.summary}` })),
    { type: "context", text: `Type <cmd>help <command></cmd> for more about one, e.g. <cmd>help ${mine[0]!.name}</cmd>.` },
  );
}

/** One command's usage, what it does and an example with this program's own names. */
function commandHelpMessage(program: Program, person: Person, topic: string): Message {
  const asked = topic.replace(/^\/?steps\s+/, "");
  const found = commandHelp.find((c) => c.name === asked) ?? commandHelp.find((c) => c.name.split(" ")[0] === asked.split(" ")[0]);
  const mine = commandHelp.filter((c) => c.roles.includes(person.role));
  if (!found) {
    const names = mine.map((c) => `<cmd>${c.name}</cmd>`).join(", ");
    throw new StepsError("bad_command", `There is no command \`${asked}\`. Your commands are ${names}.`);
  }
  if (!found.roles.includes(person.role)) {
    const who = found.roles.map((r) => `${r}s`).join(" and ");
    throw new StepsError("wrong_role", `<cmd>${found.name}</cmd> is only for ${who}. Type <cmd>help</cmd> to see your commands.`);
  }
  const example = found.example(examplesFrom(program));
  return views.message(
    `${found.usage}: ${found.summary}`,
    { type: "text", text: `<cmd>${found.usage}</cmd>` },
    { type: "text", text: found.summary },
    ...(example ? [{ type: "context", text: `Example: <cmd>${example}</cmd>` } as const] : []),
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
