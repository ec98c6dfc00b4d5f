import { z } from "zod";
import type { JobHandler } from "../../src/delivery/dispatcher.ts";
import { DeliveryError } from "../../src/delivery/transport.ts";
import type { Core } from "../../src/domain/core.ts";
import type { Logger } from "../../src/log.ts";
import type { Playlist } from "../../src/program/schema.ts";
import type { Award, ClaimedItem, DeliveryRef, Elsewhere, Person, Store } from "../../src/store.ts";
import { CredlyError, type CredlyApi, type CredlyBadge, type IssueRequest } from "./api.ts";

/** What the core queues for `job:credly` (see publish, retryElsewhere and revoke in src/domain/core.ts); `retry`: the coordinator's how-manyth try again. */
const jobSchema = z.object({ action: z.enum(["issue", "revoke"]), award: z.string().min(1), retry: z.number().int().positive().optional() });

/**
 * About an hour and three quarters of doubling waits (2 s up to 15 min) before a job
 * still failing is marked failed and listed in the digest: Credly outages outlast chat hiccups.
 */
export const CREDLY_MAX_ATTEMPTS = 16;

export interface CredlyJobsOptions {
  api: CredlyApi;
  core: Core;
  store: Store;
  log: Logger;
  /** Told how each call to Credly went, for /healthz: "ok", or in a few words why not. */
  report?: (health: string) => void;
}

/** Issues and revokes badges at Credly for the outbox, once each however often it is tried. */
export function credlyJobs(options: CredlyJobsOptions): JobHandler {
  const { api, core, store, log } = options;
  const report = options.report ?? (() => {});
  /** The core of the intern's program: its playlists name the template, its organization signs the award message. */
  const coreOf = (intern: Person | undefined) => (intern ? core.cores().of(intern) : core);

  /**
   * Badges Credly holds under Steps' reference (the award id) for this template, the live one first.
   * A look-up Credly refuses (an organization it does not know: 404) finds none.
   */
  async function ours(award: Award, templateId: string | undefined): Promise<CredlyBadge[]> {
    const all = await api.byEarnerId(award.id).catch((error: unknown) => {
      if (error instanceof CredlyError && error.kind === "refused") return [];
      throw error;
    });
    const found = all.filter((b) => !templateId || !b.badge_template || b.badge_template.id === templateId);
    return found.sort((a, b) => Number(a.state === "revoked") - Number(b.state === "revoked"));
  }

  /** Records the badge as Credly holds it and edits the intern's award message to link to it, in one transaction. */
  async function issued(award: Award, owner: typeof core, playlist: Playlist, badge: CredlyBadge): Promise<DeliveryRef[]> {
    const url = badge.badge_url ?? badge.accept_badge_url ?? undefined;
    // Revoked in Steps while Credly was issuing it: revoke it there too (unless the revoke job, finding it by our reference, already did), never record and announce it.
    const current = (await store.award(award.id)) ?? award;
    if (current.revokedAt) {
      const held = current.elsewhere?.credly;
      if (held?.state === "revoked") return [{ platform: "credly", id: badge.id }];
      return revoke({ ...current, elsewhere: { ...current.elsewhere, credly: { state: "issued", id: badge.id } } });
    }
    await store.transaction(async (tx) => {
      await tx.setElsewhere(award.id, "credly", { state: "issued", id: badge.id, ...(url ? { url } : {}) });
      const updated = (await tx.award(award.id)) ?? award;
      // The edit is read by the intern: in their language.
      const intern = await tx.personById(award.personId);
      const message = owner.awardMessage(updated, playlist, intern ? owner.voiceOf(intern) : owner.programVoice());
      await tx.enqueue([{ key: `credly:issued:${award.id}`, recipient: `person:${award.personId}`, payload: { message, updates: `award:${award.id}:intern` } }]);
    });
    core.queued();
    log.info("badge issued at Credly", { award: award.id, credly: badge.id });
    return [{ platform: "credly", id: badge.id }];
  }

  async function refused(award: Award, intern: Person | undefined, playlist: Playlist | undefined, reason: string): Promise<never> {
    await store.setElsewhere(award.id, "credly", notIssued(award, reason));
    // The digest lists this line as it is: it says whose badge, which one, and Credly's own words.
    throw new DeliveryError(`Credly did not issue ${intern?.name ?? "an intern"}'s ${playlist?.badge.name ?? award.playlist} badge: ${reason}`, { permanent: true });
  }

  async function issue(award: Award, item: ClaimedItem, retry: number | undefined): Promise<DeliveryRef[]> {
    const intern = await store.personById(award.personId);
    const owner = coreOf(intern);
    const playlist = owner.program.playlist(award.playlist);
    const templateId = playlist?.issue.credly?.badge_template_id;
    if (award.revokedAt) {
      // Revoked before Credly had it: an earlier attempt may have issued it after all.
      for (const badge of await ours(award, templateId)) if (badge.state !== "revoked") await api.revoke(badge.id, award.revokedReason ?? "Revoked in Steps");
      await store.setElsewhere(award.id, "credly", { state: "revoked" });
      return [{ platform: "credly" }];
    }
    if (!playlist || !templateId) return refused(award, intern, playlist, "the playlist no longer names a Credly badge template (issue: credly: badge_template_id)");
    if (!intern) return refused(award, intern, playlist, "the intern is no longer on the roster");
    // A try before this one (or before the coordinator asked again) may have reached Credly without Steps
    // hearing back: Credly has no idempotency key, so look for the badge under Steps' reference before asking again.
    if (item.attempts > 1 || item.resumed || retry) {
      const [badge] = await ours(award, templateId);
      if (badge) return issued(award, owner, playlist, badge);
    }
    const name = nameParts(intern);
    if (!name) return refused(award, intern, playlist, `Credly needs a first and a last name, and "${intern.name}" is one word: add first_name and last_name to the roster`);
    const request: IssueRequest = {
      recipient_email: intern.email,
      badge_template_id: templateId,
      issued_at: credlyTime(award.awardedAt),
      issued_to_first_name: name.first,
      issued_to_last_name: name.last,
      issuer_earner_id: award.id,
      locale: owner.languageOf(intern) === "es" ? "es-US" : "en",
      // The public badge page is the evidence: published, since publishing is what sends this.
      evidence: [{ type: "UrlEvidence", name: "What was done, and the proof", value: core.badgeUrl(award), description: `${playlist.badge.name}: ${award.evidence.length} approved task${award.evidence.length === 1 ? "" : "s"}` }],
    };
    try {
      return await issued(award, owner, playlist, await api.issue(request));
    } catch (error) {
      if (!(error instanceof CredlyError) || (error.kind !== "lost" && error.kind !== "refused")) throw error;
      // A lost answer may hide a badge issued; a refusal may be "already has this badge": ours if it carries our reference.
      const [badge] = await ours(award, templateId);
      if (badge) return issued(award, owner, playlist, badge);
      if (error.kind === "lost") throw error;
      return refused(award, intern, playlist, error.message);
    }
  }

  async function revoke(award: Award): Promise<DeliveryRef[]> {
    const held = award.elsewhere?.credly;
    if (!held || held.state === "revoked") return [{ platform: "credly" }];
    const reason = award.revokedReason ?? "Revoked in Steps";
    const templateId = coreOf(await store.personById(award.personId)).program.playlist(award.playlist)?.issue.credly?.badge_template_id;
    const ids = held.id ? [held.id] : (await ours(award, templateId)).filter((b) => b.state !== "revoked").map((b) => b.id);
    // Refused, and not issued by a try whose answer was lost: nothing at Credly to revoke, nothing left to ask again.
    if (ids.length === 0 && held.state === "refused") {
      await store.setElsewhere(award.id, "credly", { ...held, state: "revoked" });
      return [{ platform: "credly" }];
    }
    // Still being issued: its issue job sees the revocation and revokes it there (or never issues it).
    if (ids.length === 0) throw new DeliveryError("the badge is not at Credly yet; trying again once its issue has run");
    for (const id of ids) {
      try {
        await api.revoke(id, reason);
      } catch (error) {
        if (!(error instanceof CredlyError) || error.kind !== "refused") throw error;
        // Already revoked there (or deleted): the outcome asked for.
        const now = (await ours(award, templateId)).find((b) => b.id === id);
        if (now && now.state !== "revoked") throw new DeliveryError(`Credly did not revoke badge ${id}: ${error.message}`, { permanent: true });
      }
    }
    await store.setElsewhere(award.id, "credly", { ...held, state: "revoked" });
    log.info("badge revoked at Credly", { award: award.id, credly: ids });
    return [{ platform: "credly", id: ids[0] }];
  }

  return {
    maxAttempts: CREDLY_MAX_ATTEMPTS,
    async run(job, item) {
      const parsed = jobSchema.safeParse(job);
      if (!parsed.success) throw new DeliveryError(`not a Credly job Steps knows: ${JSON.stringify(job)}`, { permanent: true });
      const award = await store.award(parsed.data.award);
      if (!award) throw new DeliveryError(`no award ${parsed.data.award}`, { permanent: true });
      try {
        const done = parsed.data.action === "issue" ? await issue(award, item, parsed.data.retry) : await revoke(award);
        report("ok");
        return done;
      } catch (error) {
        // A refusal is about one badge, and Credly answered: it is still "ok".
        if (error instanceof DeliveryError && error.options.permanent) report("ok");
        if (!(error instanceof CredlyError)) throw error;
        // The last try of an issue: recorded as not issued, so that the coordinator can ask again (`steps credly retry`).
        // A revoked badge is not to be asked for again: its revoke job sees to what Credly holds.
        if (parsed.data.action === "issue" && !award.revokedAt && error.kind !== "auth" && item.attempts >= CREDLY_MAX_ATTEMPTS) {
          await store.setElsewhere(award.id, "credly", notIssued(award, `no answer from Credly in ${CREDLY_MAX_ATTEMPTS} tries (${error.message})`));
        }
        report(error.kind === "auth" ? `token refused (${error.status}); fix CREDLY_TOKEN or CREDLY_ORGANIZATION_ID and restart` : `${error.kind === "lost" ? "unreachable" : `unavailable (${error.status})`}; retrying`);
        // A refused token fails every try until it is fixed: the job waits for that rather than failing for good.
        if (error.kind === "auth") throw new DeliveryError(`${error.message}; set CREDLY_TOKEN and CREDLY_ORGANIZATION_ID`, { local: true });
        throw new DeliveryError(error.message, { retryAfterMs: error.retryAfterMs });
      }
    },
  };
}

/** Not issued at Credly, and why; a coordinator's earlier tries again are counted on, so the next has a key of its own. */
function notIssued(award: Award, reason: string): Elsewhere {
  const retry = award.elsewhere?.credly?.retry;
  return { state: "refused", reason, ...(retry ? { retry } : {}) };
}

/**
 * The name in Credly's two required parts: the roster's first_name and last_name
 * when given, else `name` split after its first word ("Ana Torres Ruiz" → Ana,
 * Torres Ruiz); undefined for a one-word name.
 */
export function nameParts(person: Person): { first: string; last: string } | undefined {
  if (person.firstName && person.lastName) return { first: person.firstName, last: person.lastName };
  const [first, ...rest] = person.name.trim().split(/\s+/);
  return first && rest.length > 0 ? { first, last: rest.join(" ") } : undefined;
}

/** Credly's documented issued_at form, "2014-04-01 09:41:00 -0500", in UTC. */
export function credlyTime(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace("T", " ")} +0000`;
}
