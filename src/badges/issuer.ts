import { randomBytes, randomUUID } from "node:crypto";
import type { Program } from "../program/program.ts";
import type { Award, Store } from "../store.ts";
import { systemClock, type Clock } from "../time.ts";
import { badgeUrls, buildCredential, storedCredentialSchema, type StoredCredential } from "./credential.ts";
import { loadIssuerKeys, publicJwks, type IssuerKeys } from "./keys.ts";
import { signCredential } from "./sign.ts";

export interface BadgeIssuerOptions {
  program: Program;
  store: Store;
  baseUrl: string;
  /** Where this program's issuer and achievements live under baseUrl (programPath): "" for the first program. */
  path?: string;
  /** The environment: BADGE_PRIVATE_KEY is read from here. */
  raw: Record<string, string | undefined>;
  /** The real clock (tests inject theirs), never the program's: a credential dated ahead of it would not verify yet. */
  now?: Clock;
}

export type BadgeIssuer = ReturnType<typeof createBadgeIssuer>;

/** Signs a credential for each award and answers for the issuer's keys. */
export function createBadgeIssuer(options: BadgeIssuerOptions) {
  const { program, baseUrl } = options;
  const urls = badgeUrls(baseUrl, options.path);
  let loading: Promise<IssuerKeys> | undefined;

  /** Loaded once; boot calls it so the key exists before the first award's transaction. */
  function keys(): Promise<IssuerKeys> {
    loading ??= loadIssuerKeys(options.store, options.raw).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  }

  async function credentialFor(award: Pick<Award, "id" | "personId" | "playlist" | "awardedAt" | "evidence">, store: Store, extra: { validUntil?: Date } = {}): Promise<StoredCredential | undefined> {
    const playlist = program.playlist(award.playlist);
    const person = await store.personById(award.personId);
    if (!playlist || !person) return undefined;
    const credential = buildCredential({
      program,
      playlist,
      award,
      email: person.email,
      salt: randomBytes(16).toString("hex"),
      subjectId: `urn:uuid:${randomUUID()}`,
      urls,
      issuedAt: (options.now ?? systemClock)(),
      validUntil: extra.validUntil,
    });
    const { signing } = await keys();
    return { credential, jwt: await signCredential(credential, signing, urls.key(signing.thumbprint)) };
  }

  /** The core's onAward hook: runs inside the award's transaction, so award and credential commit together. */
  async function issue(award: Award, tx: Store): Promise<void> {
    const stored = await credentialFor(award, tx);
    if (stored) await tx.updateAward(award.id, { credential: stored });
  }

  return {
    program,
    urls,
    keys,
    credentialFor,
    issue,
    jwks: async () => publicJwks(await keys(), urls.key),
    /** The stored credential of an award, or undefined for one issued before signing existed. */
    stored(award: Pick<Award, "credential">): StoredCredential | undefined {
      const parsed = storedCredentialSchema.safeParse(award.credential);
      return parsed.success ? parsed.data : undefined;
    },
  };
}
