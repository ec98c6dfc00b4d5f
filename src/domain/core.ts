import { randomBytes } from "node:crypto";
import { addToProfileUrl } from "../badges/linkedin.ts";
import { StepsError, type ErrorCode } from "../errors.ts";
import { defaultWords, languageFor, languageOfLocale, voice, type Values, type Voice, type Words } from "../i18n.ts";
import type { Message } from "../messages.ts";
import { isHours, requiredUnits, type Program } from "../program/program.ts";
import type { Playlist, Task } from "../program/schema.ts";
import type { Award, Decision, Person, Store, Submission } from "../store.ts";
import { closest } from "../suggest.ts";
import type { Clock } from "../time.ts";
import { playlistProgress } from "./progress.ts";
import * as views from "./views.ts";

export interface CoreOptions {
  program: Program;
  store: Store;
  now: Clock;
  /** Public base URL of this server: badge links point here. */
  baseUrl: string;
  /** Called after a change commits that queued messages, so they go out now rather than at the next tick. */
  onQueued?: () => void;
  /** Called after an award commits (the badge issue signs credentials here). */
  onAward?: (award: Award, store: Store) => Promise<void>;
  /** The words people read; defaults to the catalogs that ship in locales/ with the program file's own texts over them. */
  words?: Words;
  /**
   * Other issuers this deployment can issue through (`credly` when its settings are
   * there). A playlist that names one not in this list stays self-issued.
   */
  issuers?: readonly string[];
  /** Every loaded program's core (see createCores); without it this core is the only program. */
  cores?: () => Cores;
}

/** The cores of every loaded program, in load order, and a store that sees across them (people by email, submissions by id). */
export interface Cores {
  list: Core[];
  get(program: string): Core | undefined;
  /** The core of the person's program, or the first program's when theirs is not loaded (a removed program's rows stay). */
  of(person: Pick<Person, "program">): Core;
  store: Store;
}

/**
 * One core per program, each on a store scoped to its program, that know one
 * another: a command is answered by the core of the program it is about.
 */
export function createCores(programs: Program[], store: Store, options: (program: Program) => Omit<CoreOptions, "program" | "store" | "cores">): Cores {
  const byId = new Map<string, Core>();
  const cores: Cores = { list: [], get: (id) => byId.get(id), of: (person) => byId.get(person.program) ?? cores.list[0]!, store };
  for (const program of programs) {
    const core = createCore({ ...options(program), program, store: store.scoped(program.id), cores: () => cores });
    byId.set(program.id, core);
    cores.list.push(core);
  }
  return cores;
}

export interface DecisionResult {
  decision: Decision;
  /** False when someone else had already decided: the decision shown is theirs. */
  mine: boolean;
  award?: Award;
}

/**
 * Every program's core working inside a transaction (as the inbox and the email
 * links run a request): the change, its answer and the messages it queues
 * commit together, and go out once it has (so nothing is kicked meanwhile).
 */
export function coreWithin(core: Core, tx: Store): Core {
  const cores = core.cores();
  return createCores(cores.list.map((c) => c.program), tx, (p) => ({ ...cores.get(p.id)!.options, onQueued: undefined })).get(core.program.id)!;
}

/** The platform-neutral core: every rule about who may do what lives here; the words people read are in replies.ts. */
export type Core = ReturnType<typeof createCore>;

export function createCore(options: CoreOptions) {
  const { program, store, now } = options;
  const tz = program.timeZone;
  const queued = () => options.onQueued?.();
  const words = options.words ?? defaultWords(program.file.texts);
  const { t } = words;

  /** The person's own language if Steps speaks it, else the program's, else English. */
  function languageOf(person: Person): string {
    return languageFor(person.language, words.languages, program.file.program.language);
  }

  /** Words in one language, dates in the program's time zone: what views speak with. */
  function voiceIn(language: string): Voice {
    return voice(t, language, tz);
  }

  function voiceOf(person: Person): Voice {
    return voiceIn(languageOf(person));
  }

  /** Words for someone not on the roster: the language their platform reports, if Steps speaks it, else the program's. */
  function strangerVoice(locale?: string): Voice {
    return voiceIn(languageFor(languageOfLocale(locale) ?? null, words.languages, program.file.program.language));
  }

  /** The program's own voice, for what no one person reads (the announcements channel). */
  const programVoice = () => voiceIn(languageFor(null, words.languages, program.file.program.language));

  /** Words in the person's language. */
  function say(person: Person, key: string, values?: Values): string {
    return t(languageOf(person), key, values);
  }

  /** `refusal`: the catalog key of the whole sentence the person reads when their role may not. */
  function requireRole(person: Person, roles: Person["role"][], refusal: string): void {
    if (!roles.includes(person.role)) throw new StepsError("wrong_role", say(person, refusal));
  }

  function findTask(slug: string, intern: Person): { playlist: Playlist; task: Task } {
    const found = program.task(slug);
    if (!found) {
      const open = program.file.playlists.filter((p) => program.isOpenTo(p, intern.department)).flatMap((p) => p.tasks.map((t) => t.slug));
      const suggestions = closest(slug, open);
      const meant = voiceOf(intern).list(suggestions.map((s) => `\`${s}\``), "disjunction");
      throw new StepsError("unknown_task", say(intern, "task.unknown", { slug, suggestions: suggestions.length, meant }), { suggestions });
    }
    if (!program.isOpenTo(found.playlist, intern.department)) {
      throw new StepsError("not_open_to_you", say(intern, "task.not_open", { slug, playlist: voiceOf(intern).local(found.playlist, "title") }));
    }
    return found;
  }

  /** Records a completion or hours entry and asks the approver, in one transaction. */
  async function submit(intern: Person, slug: string, units: number, note: string | null, link: string | null, asHours: boolean) {
    requireRole(intern, ["intern"], "role.only_interns_record");
    const { playlist, task } = findTask(slug, intern);
    if (asHours && !isHours(task)) {
      throw new StepsError("not_hours_task", say(intern, "task.not_hours", { slug }));
    }
    if (!asHours && isHours(task)) {
      throw new StepsError("hours_task", say(intern, "task.hours", { slug }));
    }
    if (task.evidence === "required" && !note && !link) {
      throw new StepsError("evidence_required", say(intern, "task.evidence_required", { task: voiceOf(intern).local(task, "title"), slug }));
    }
    const result = await store.transaction(async (tx) => {
      // Queries are round trips, the hot path's main cost: the id is reserved and
      // the mentor read beside the lock, so the submission and its approval
      // request go out together and the reply needs no query of its own.
      const [all, id, named] = await Promise.all([tx.lockPerson(intern.id), tx.reserveSubmissionId(), namedApprovers(tx, intern, task)]);
      const mine = all.filter((s) => s.playlist === playlist.slug && s.task === task.slug);
      const required = requiredUnits(task);
      const approved = mine.filter((s) => s.status === "approved").reduce((n, s) => n + s.units, 0);
      const pending = mine.filter((s) => s.status === "pending");
      if (approved >= required) {
        throw new StepsError("already_approved", say(intern, "task.already_approved", { task: voiceOf(intern).local(task, "title") }));
      }
      if (!isHours(task) && approved + pending.reduce((n, s) => n + s.units, 0) >= required) {
        throw new StepsError("already_pending", say(intern, "task.already_pending", { task: voiceOf(intern).local(task, "title"), id: pending[0]!.id }));
      }
      const submission: Submission = {
        id,
        personId: intern.id,
        playlist: playlist.slug,
        task: task.slug,
        units,
        isOnce: task.requirement === "once",
        note,
        link,
        status: "pending",
        createdAt: now(),
      };
      // Nobody named for the task (no mentor, no coach on the roster): the coordinators decide.
      const approvers = named.length > 0 ? named : await tx.peopleByRole("coordinator");
      // Each approver reads the request in their own language.
      const request = (a: Person) => views.approvalRequest(intern, task, playlist, submission, voiceOf(a));
      await Promise.all([
        tx.createSubmission(submission),
        tx.enqueue(approvers.map((a) => ({ key: `approval:${id}:${a.id}`, recipient: `person:${a.id}` as const, payload: { message: request(a) } }))),
      ]);
      const progress = playlistProgress(playlist, [...all, submission]);
      return { submission, approvers, progress };
    });
    queued();
    return { ...result, task, playlist };
  }

  /** Who the task names to sign it off for this intern: their mentor, or whoever fills the task's role (their coach); none for coordinators. */
  function namedApprovers(tx: Store, intern: Person, task: Task): Promise<Person[]> {
    if (task.approver === "mentor") return intern.mentorId === null ? Promise.resolve([]) : tx.peopleByIds([intern.mentorId]);
    const email = intern.approvers[task.approver];
    return email === undefined ? Promise.resolve([]) : tx.personByEmail(email).then((p) => (p ? [p] : []));
  }

  async function done(intern: Person, slug: string, note: string | null, link: string | null) {
    return submit(intern, slug, 1, note, link, false);
  }

  async function logHours(intern: Person, minutes: number, slug: string, note: string | null, link: string | null) {
    return submit(intern, slug, minutes, note, link, true);
  }

  /**
   * Approve or send back a submission. The intern's row lock makes concurrent
   * clicks take turns, and the decisions table's key makes the first one final.
   */
  async function decide(decider: Person, submissionId: number, decision: Decision["decision"], reason: string | null): Promise<DecisionResult> {
    if (decision === "changes_requested" && !reason?.trim()) {
      throw new StepsError("reason_required", say(decider, "decide.reason_required", { id: submissionId }));
    }
    const result = await store.transaction(async (tx) => {
      const owner = await tx.lockSubmissionOwner(submissionId);
      if (!owner) throw new StepsError("unknown_submission", say(decider, "decide.unknown", { id: submissionId }));
      const { person: intern, submissions: subs } = owner;
      const s = subs.find((x) => x.id === submissionId)!;
      authorize(decider, intern, s);
      if (s.status === "withdrawn") throw new StepsError("already_withdrawn", say(decider, "decide.withdrawn", { intern: intern.name, id: s.id }));
      // Under the owner's lock the status read above is final: only a pending submission can still be decided.
      if (s.status !== "pending") return { decision: (await tx.decisionOf(s.id))!, mine: false } satisfies DecisionResult;
      const d: Decision = { submissionId: s.id, decision, deciderId: decider.id, reason: reason?.trim() || null, decidedAt: now() };
      const decided = { ...s, status: d.decision };
      const [recorded] = await Promise.all([tx.decide(d), tx.enqueue(decisionNotices(intern, decided, d, decider))]);
      if (!recorded) throw new Error(`submission ${s.id} was decided by someone else despite the lock`);
      const after = subs.map((x) => (x.id === s.id ? decided : x));
      const award = d.decision === "approved" ? await awardIfComplete(tx, intern, s.playlist, after) : undefined;
      return { decision: d, mine: true, award } satisfies DecisionResult;
    });
    if (result.mine) queued();
    return result;
  }

  /**
   * The intern takes back their own submission while it is undecided. Under the same lock as a decision,
   * so an undo and an approval cannot both win; every copy of the request is then edited in place.
   */
  async function withdraw(intern: Person, submissionId: number) {
    requireRole(intern, ["intern"], "role.only_interns_undo");
    const result = await store.transaction(async (tx) => {
      const owner = await tx.lockSubmissionOwner(submissionId);
      if (!owner) throw new StepsError("unknown_submission", say(intern, "undo.unknown", { id: submissionId }));
      if (owner.person.id !== intern.id) throw new StepsError("not_yours", say(intern, "undo.not_yours", { id: submissionId }));
      const s = owner.submissions.find((x) => x.id === submissionId)!;
      const { task, playlist } = taskOf(s);
      const which = { id: s.id, task: voiceOf(intern).local(task, "title") };
      if (s.status === "withdrawn") throw new StepsError("already_withdrawn", say(intern, "undo.already_withdrawn", which));
      if (s.status === "approved") throw new StepsError("already_decided", say(intern, "undo.already_approved", which));
      if (s.status === "changes_requested") throw new StepsError("already_decided", say(intern, "undo.already_sent_back", which));
      await tx.withdraw(s.id);
      if (playlist) {
        // One edit for every copy of the request: in the language of the mentor's copy, as it is their chat it lands in.
        const approver = intern.mentorId === null ? undefined : (await tx.peopleByIds([intern.mentorId]))[0];
        const message = views.withdrawnRequest(intern, task, playlist, s, now(), approver ? voiceOf(approver) : programVoice());
        await tx.enqueue([{ key: `withdrawn:${s.id}`, recipient: `person:${intern.id}`, payload: { message, updates: `approval:${s.id}:` } }]);
      }
      return { submission: { ...s, status: "withdrawn" as const }, task };
    });
    queued();
    return result;
  }

  function authorize(decider: Person, intern: Person, s: Submission): void {
    if (decider.id === intern.id) throw new StepsError("own_work", say(decider, "decide.own_work"));
    const refusal = refusalFor(decider, intern, s);
    if (refusal) throw new StepsError(refusal.code, say(decider, refusal.key, refusal.values));
  }

  /** Why this person may not decide this submission, or undefined when they may: the one rule `decide` and `pending` share. */
  function refusalFor(decider: Person, intern: Person, s: Submission): { code: ErrorCode; key: string; values?: Values } | undefined {
    if (decider.role === "coordinator") return undefined;
    if (decider.role !== "mentor") return { code: "wrong_role", key: "role.only_approvers_approve" };
    const approver = program.task(s.task)?.task.approver ?? "mentor";
    if (approver === "coordinator") return { code: "wrong_role", key: "decide.needs_coordinator", values: { id: s.id } };
    if (approver === "mentor") {
      return intern.mentorId === decider.id ? undefined : { code: "not_your_intern", key: "decide.not_your_intern", values: { id: s.id, intern: intern.name } };
    }
    // A role such as coach: only the person the roster names for this intern, not their mentor.
    return intern.approvers[approver] === decider.email ? undefined : { code: "wrong_role", key: "decide.needs_role", values: { id: s.id, intern: intern.name, role: approver } };
  }

  function taskOf(s: Submission): { task: Task; playlist: Playlist | undefined } {
    const found = program.task(s.task);
    // A task removed from the file since it was recorded still gets its outcome, under its slug.
    const task = found?.task ?? { slug: s.task, title: s.task, description: "", requirement: "once" as const, evidence: "none" as const, approver: "mentor" };
    return { task, playlist: found?.playlist ?? program.playlist(s.playlist) };
  }

  function decisionNotices(intern: Person, s: Submission, d: Decision, decider: Person): Parameters<Store["enqueue"]>[0] {
    const { task, playlist } = taskOf(s);
    const items: Parameters<Store["enqueue"]>[0] = [
      { key: `outcome:${s.id}`, recipient: `person:${intern.id}`, payload: { message: views.outcomeForIntern(task, s, d, decider, voiceOf(intern)) } },
    ];
    if (playlist) {
      items.push({
        key: `approval-update:${s.id}`,
        recipient: `person:${decider.id}`,
        payload: { message: views.decidedRequest(intern, task, playlist, s, d, decider, voiceOf(decider)), updates: `approval:${s.id}:` },
      });
    }
    return items;
  }

  /** A decided approval request as everyone it was sent to sees it once edited: for a platform that shows the clicker the new version at once. */
  async function decidedRequest(submissionId: number, reader: Person): Promise<Message | undefined> {
    const [s, d] = await Promise.all([store.submission(submissionId), store.decisionOf(submissionId)]);
    if (!s || !d) return undefined;
    const [intern, decider] = await Promise.all([store.personById(s.personId), store.personById(d.deciderId)]);
    if (!intern || !decider) return undefined;
    // Another program's request is shown with that program's tasks.
    if (intern.program !== program.id) return allCores().get(intern.program)?.decidedRequest(submissionId, reader);
    const { task, playlist } = taskOf(s);
    if (!playlist) return undefined;
    return views.decidedRequest(intern, task, playlist, s, d, decider, voiceOf(reader));
  }

  /** The other issuers a playlist names (`issue: { credly: … }`) that this deployment can reach. */
  function issuersFor(playlist: Playlist | undefined): string[] {
    if (!playlist) return [];
    return Object.entries(playlist.issue)
      .filter(([name, settings]) => name !== "self" && settings && options.issuers?.includes(name))
      .map(([name]) => name);
  }

  /**
   * Makes the intern's badge page public and, in the same transaction, queues its
   * issue at the other issuers the playlist names: only now, because that sends a
   * minor's name and email to a third party, which the intern has just agreed to.
   * Returns those issuers, or null when the badge was public already.
   */
  async function publish(award: Award): Promise<string[] | null> {
    if (award.published) return null;
    const issuers = issuersFor(program.playlist(award.playlist));
    const done = await store.transaction(async (tx) => {
      // Under the intern's lock a second publish waits, then finds it public: an issue
      // already done elsewhere is never marked queued again.
      await tx.lockPerson(award.personId);
      if ((await tx.award(award.id))?.published) return false;
      await tx.updateAward(award.id, { published: true });
      for (const issuer of issuers) await tx.setElsewhere(award.id, issuer, { state: "queued" });
      await tx.enqueue(issuers.map((issuer) => ({ key: `${issuer}:issue:${award.id}`, recipient: `job:${issuer}` as const, payload: { job: { action: "issue", award: award.id } } })));
      return true;
    });
    if (!done) return null;
    queued();
    return issuers;
  }

  /**
   * Queues again the issue of this program's badges that `issuer` refused, once the
   * coordinator has fixed the cause (`steps credly retry`). The first try's outbox key is
   * taken, so each time asked has its own (`<issuer>:issue:<award id>:retry-<n>`).
   * Under the intern's lock and only while still refused: a badge queued again (never
   * two tries in flight), issued or revoked meanwhile is left as it is. Returns those queued.
   */
  async function retryElsewhere(issuer: string): Promise<Award[]> {
    const again: Award[] = [];
    for (const found of await store.awardsElsewhere(issuer, "refused")) {
      const award = await store.transaction(async (tx) => {
        await tx.lockPerson(found.personId);
        const award = await tx.award(found.id);
        const held = award?.elsewhere?.[issuer];
        if (!award || award.revokedAt || held?.state !== "refused") return undefined;
        const retry = (held.retry ?? 0) + 1;
        await tx.setElsewhere(award.id, issuer, { state: "queued", retry });
        await tx.enqueue([{ key: `${issuer}:issue:${award.id}:retry-${retry}`, recipient: `job:${issuer}`, payload: { job: { action: "issue", award: award.id, retry } } }]);
        return award;
      });
      if (award) again.push(award);
    }
    if (again.length > 0) queued();
    return again;
  }

  /**
   * Revokes the award, tells the intern, and queues its revocation at every other issuer
   * asked to issue it (even one not reachable now: the job waits for it). Returns those issuers.
   */
  async function revoke(award: Award, intern: Person, coordinator: Person, reason: string): Promise<string[]> {
    // A refused issue too: a try whose answer never came may have issued it (the job looks it up).
    const issuers = Object.entries(award.elsewhere ?? {})
      .filter(([, e]) => e.state !== "revoked")
      .map(([name]) => name);
    await store.transaction(async (tx) => {
      await tx.updateAward(award.id, { revokedAt: now(), revokedReason: reason });
      // The intern reads it in their own language.
      const theirs = voiceOf(intern);
      const playlist = program.playlist(award.playlist);
      const notice = { badge: playlist ? theirs.local(playlist.badge, "name") : award.playlist, coordinator: coordinator.name, reason };
      const message = views.message(theirs.say("revoke.notice_summary", notice), { type: "text", text: theirs.say("revoke.notice", notice) }, views.reasonField(reason, theirs));
      await tx.enqueue([
        { key: `award:${award.id}:revoked`, recipient: `person:${intern.id}`, payload: { message } },
        ...issuers.map((issuer) => ({ key: `${issuer}:revoke:${award.id}`, recipient: `job:${issuer}` as const, payload: { job: { action: "revoke", award: award.id } } })),
      ]);
    });
    queued();
    return issuers;
  }

  /** The intern's award message in their words (`v`), with the badge's pages at other issuers once they hold it. */
  function awardMessage(award: Award, playlist: Playlist, v: Voice): Message {
    const url = badgeUrl(award);
    const elsewhere = Object.entries(award.elsewhere ?? {}).flatMap(([issuer, e]) => (e.state === "issued" && e.url ? [{ issuer, url: e.url }] : []));
    return views.awardForIntern(playlist, url, linkedInUrl(award, playlist, url), v, { elsewhere, sentOnPublish: issuersFor(playlist), published: award.published });
  }

  /** Awards the playlist's badge once every requirement is approved; the unique key makes it once. */
  async function awardIfComplete(tx: Store, intern: Person, playlistSlug: string, subs: Submission[]): Promise<Award | undefined> {
    const playlist = program.playlist(playlistSlug);
    if (!playlist) return undefined;
    const progress = playlistProgress(playlist, subs);
    if (!progress.complete) return undefined;
    const approved = subs.filter((s) => s.playlist === playlist.slug && s.status === "approved");
    const decisions = await tx.decisionsOf(approved.map((s) => s.id));
    const deciders = new Map((await tx.peopleByIds([...new Set(decisions.map((d) => d.deciderId))])).map((p) => [p.id, p]));
    const byId = new Map(decisions.map((d) => [d.submissionId, d]));
    const award = await tx.createAward({
      id: randomBytes(18).toString("base64url"),
      personId: intern.id,
      playlist: playlist.slug,
      awardedAt: now(),
      evidence: approved.map((s) => {
        const d = byId.get(s.id)!;
        return {
          task: s.task,
          title: program.task(s.task)?.task.title ?? s.task,
          units: s.units,
          note: s.note,
          link: s.link,
          submittedAt: s.createdAt.toISOString(),
          approvedBy: deciders.get(d.deciderId)?.name ?? "",
          approvedAt: d.decidedAt.toISOString(),
        };
      }),
    });
    if (!award) return undefined;
    // `self: false`: the other issuer's badge is the only credential and Steps signs none,
    // unless that issuer is not set up here: then Steps' own is the badge.
    if (playlist.issue.self || issuersFor(playlist).length === 0) await options.onAward?.(award, tx);
    const url = badgeUrl(award);
    await tx.enqueue([
      { key: `award:${award.id}:channel`, recipient: "channel:announcements", payload: { message: views.awardAnnouncement(intern, playlist, url, programVoice()), program: program.id } },
      { key: `award:${award.id}:intern`, recipient: `person:${intern.id}`, payload: { message: awardMessage(award, playlist, voiceOf(intern)) } },
    ]);
    return award;
  }

  function linkedInUrl(award: Award, playlist: Playlist, url: string): string {
    return addToProfileUrl({ name: playlist.badge.name, organization: program.file.program.organization, issuedAt: award.awardedAt, timeZone: tz, url, id: award.id });
  }

  function badgeUrl(award: Pick<Award, "id">): string {
    return `${options.baseUrl.replace(/\/$/, "")}/badges/${award.id}`;
  }

  async function progressOf(intern: Person) {
    const subs = await store.submissionsOf(intern.id);
    const started = new Set(subs.map((s) => s.playlist));
    const playlists = program.file.playlists.filter(
      (p) => program.isOpenTo(p, intern.department) && (!p.advanced || started.has(p.slug)),
    );
    return playlists.map((p) => playlistProgress(p, subs));
  }

  async function pendingFor(approver: Person) {
    requireRole(approver, ["mentor", "coordinator"], "role.only_approvers_review");
    const subs = await store.pendingForApprover(approver);
    const interns = new Map((await store.peopleByIds([...new Set(subs.map((s) => s.personId))])).map((p) => [p.id, p]));
    // The store finds the interns an approver is named for; which of their tasks are theirs to decide is the core's rule.
    // A mentor still sees their interns' tasks that wait for a coordinator, as before.
    const mine = (s: Submission) => {
      const refusal = refusalFor(approver, interns.get(s.personId)!, s);
      return !refusal || refusal.key === "decide.needs_coordinator";
    };
    return subs.filter(mine).map((s) => ({ submission: s, intern: interns.get(s.personId)!, ...program.task(s.task) }));
  }

  const self = { program, store, now, options, t, languages: words.languages, languageOf, voiceOf, voiceIn, programVoice, strangerVoice, done, logHours, decide, withdraw, decidedRequest, progressOf, pendingFor, badgeUrl, requireRole, queued, publish, retryElsewhere, revoke, awardMessage, cores: allCores };
  /** This program's siblings; alone, it is the only one, and its store sees all there is. */
  function allCores(): Cores {
    return options.cores?.() ?? { list: [self], get: (id) => (id === program.id ? self : undefined), of: () => self, store };
  }
  return self;
}

export type CoreApi = ReturnType<typeof createCore>;
