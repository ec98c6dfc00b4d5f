import { createHash } from "node:crypto";
import { z } from "zod";
import type { Program } from "../program/program.ts";
import type { Playlist } from "../program/schema.ts";
import type { Award, EvidenceItem } from "../store.ts";
import { formatDay } from "../time.ts";

// Open Badges 3.0 (https://www.imsglobal.org/spec/ob/v3p0): the VC 2.0 context
// must come first and the OB context second, or verifiers reject the document.
export const VC_CONTEXT = "https://www.w3.org/ns/credentials/v2";
export const OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
export const CONTEXTS = [VC_CONTEXT, OB_CONTEXT] as const;

/**
 * Where a program's issuer and achievements live. The first program keeps the server's own
 * addresses, which credentials signed before there were several programs point at; every other
 * program has its own under /programs/<id>, so two programs' playlists of one slug never meet.
 */
export function programPath(programId: string, first: boolean): string {
  return first ? "" : `/programs/${programId}`;
}

/** Every public address a credential points at; the badges adapter serves each of them. Badges are one space: award ids are unique. */
export function badgeUrls(baseUrl: string, path = "") {
  const base = baseUrl.replace(/\/$/, "");
  const own = `${base}${path}`;
  return {
    issuer: `${own}/issuer`,
    jwks: `${own}/issuer/jwks.json`,
    key: (thumbprint: string) => `${own}/issuer/keys/${thumbprint}`,
    achievement: (slug: string) => `${own}/achievements/${slug}`,
    image: (slug: string) => `${own}/achievements/${slug}/image`,
    badge: (id: string) => `${base}/badges/${id}`,
    status: (id: string) => `${base}/badges/${id}/revocations`,
  };
}

const image = z.object({ id: z.url(), type: z.literal("Image") });

const profileSchema = z.object({
  id: z.url(),
  type: z.array(z.string()).refine((t) => t.includes("Profile"), "must include Profile"),
  name: z.string().min(1),
  url: z.url().optional(),
  description: z.string().optional(),
});

const achievementSchema = z.object({
  id: z.url(),
  type: z.array(z.string()).refine((t) => t.includes("Achievement"), "must include Achievement"),
  name: z.string().min(1),
  description: z.string().min(1),
  criteria: z.object({ narrative: z.string().min(1) }),
  image: image.optional(),
});

const identitySchema = z.object({
  type: z.literal("IdentityObject"),
  identityHash: z.string().regex(/^sha256\$[0-9a-f]{64}$/),
  identityType: z.literal("emailAddress"),
  hashed: z.literal(true),
  salt: z.string().min(1),
});

const evidence = z.object({
  id: z.url().optional(),
  type: z.array(z.string()).refine((t) => t.includes("Evidence"), "must include Evidence"),
  name: z.string(),
  narrative: z.string(),
});

/** The fields Steps writes and verify reads; anything else in a credential is carried along untouched. */
export const credentialSchema = z.looseObject({
  "@context": z.array(z.string()),
  id: z.url(),
  type: z.array(z.string()),
  name: z.string().min(1),
  issuer: profileSchema,
  validFrom: z.iso.datetime({ offset: true }),
  validUntil: z.iso.datetime({ offset: true }).optional(),
  credentialSubject: z.object({
    id: z.string().min(1),
    type: z.array(z.string()),
    identifier: z.array(identitySchema).min(1),
    achievement: achievementSchema,
  }),
  evidence: z.array(evidence).optional(),
  credentialStatus: z.object({ id: z.url(), type: z.string() }).optional(),
});

export type BadgeUrls = ReturnType<typeof badgeUrls>;

export type OpenBadgeCredential = z.infer<typeof credentialSchema>;

/** What awards.credential holds: the readable credential and its signed form. */
export const storedCredentialSchema = z.object({ credential: credentialSchema, jwt: z.string() });
export type StoredCredential = z.infer<typeof storedCredentialSchema>;

/** OB 3.0 IdentityHash: "sha256$" + hex(sha256(identity + salt)); emails compare case-blind. */
export function identityHash(email: string, salt: string): string {
  return "sha256$" + createHash("sha256").update(email.trim().toLowerCase() + salt).digest("hex");
}

export function issuerProfile(program: Program, urls: BadgeUrls) {
  const p = program.file.program;
  return {
    id: urls.issuer,
    type: ["Profile"],
    name: p.organization,
    description: p.name,
    ...(p.url ? { url: p.url } : {}),
  };
}

export function achievementOf(playlist: Playlist, urls: BadgeUrls) {
  return {
    id: urls.achievement(playlist.slug),
    type: ["Achievement"],
    name: playlist.badge.name,
    description: playlist.description || playlist.title,
    criteria: { narrative: playlist.badge.criteria },
    image: { id: urls.image(playlist.slug), type: "Image" as const },
  };
}

export interface CredentialInput {
  program: Program;
  playlist: Playlist;
  award: Pick<Award, "id" | "awardedAt" | "evidence">;
  email: string;
  salt: string;
  /** A per-badge pseudonym: the JWT's required `sub` claim without exposing who the intern is. */
  subjectId: string;
  /** The program's own addresses (badgeUrls with its programPath). */
  urls: BadgeUrls;
  /** When it is signed, by the real clock: the award's date follows the program clock, which may be moved. */
  issuedAt: Date;
  validUntil?: Date;
}

export function buildCredential(input: CredentialInput): OpenBadgeCredential {
  const { program, playlist, award, urls } = input;
  return {
    "@context": [...CONTEXTS],
    id: urls.badge(award.id),
    type: ["VerifiableCredential", "OpenBadgeCredential"],
    name: playlist.badge.name,
    issuer: issuerProfile(program, urls),
    validFrom: wholeSeconds(input.issuedAt),
    ...(input.validUntil ? { validUntil: wholeSeconds(input.validUntil) } : {}),
    credentialSubject: {
      id: input.subjectId,
      type: ["AchievementSubject"],
      identifier: [{ type: "IdentityObject", identityHash: identityHash(input.email, input.salt), identityType: "emailAddress", hashed: true, salt: input.salt }],
      achievement: achievementOf(playlist, urls),
    },
    evidence: award.evidence.map((e) => evidenceOf(e, program.timeZone)),
    // A URL answering a 1EdTech revocation list (see revocationList below).
    credentialStatus: { id: urls.status(award.id), type: "1EdTechRevocationList" },
  };
}

/**
 * OB 3.0 §8.2 (VC-JWT): `nbf` MUST be `validFrom` and `exp` `validUntil`, and JWT times are whole
 * seconds. A validFrom with milliseconds cannot equal any nbf, so a strict verifier would refuse the
 * badge: the credential's instants are whole seconds (the clock may hand out any millisecond).
 */
export function wholeSeconds(at: Date): string {
  return new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * The document a credentialStatus of type 1EdTechRevocationList points at: 1EdTech Revocation List
 * Status Method v1.0 (https://www.imsglobal.org/spec/vcrl/v1p0/), a RevocationList of the list's
 * `id`, its `issuer` and `revokedCredential`, entries of {id, revoked, revocationReason}: "If the
 * credential's id is in the list of revokedCredentials and the value of revoked is true or omitted,
 * the issuer has revoked the credential." The property is multi-valued but named in the singular, as
 * 1EdTech data models name them; 1EdTech's own validator (digital-credentials-public-validator,
 * RevocationListProbe) reads `revokedCredential`. Steps used to write `revokedCredentials`, which
 * that validator does not read, so a revoked Steps badge passed it.
 */
export function revocationList(listId: string, issuerId: string, revoked: { id: string; reason: string | null } | null) {
  return {
    id: listId,
    issuer: issuerId,
    revokedCredential: revoked ? [{ id: revoked.id, revoked: true, ...(revoked.reason ? { revocationReason: revoked.reason } : {}) }] : [],
  };
}

function evidenceOf(e: EvidenceItem, timeZone: string) {
  const approval = `Approved by ${e.approvedBy || "a program approver"} on ${formatDay(new Date(e.approvedAt), timeZone)}.`;
  return {
    ...(e.link ? { id: e.link } : {}),
    type: ["Evidence"],
    name: e.title,
    narrative: e.note ? `${e.note}\n\n${approval}` : approval,
  };
}
