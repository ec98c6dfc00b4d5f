import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from "jose";
import { z } from "zod";
import { inEnglish, type Say } from "../i18n.ts";
import { CONTEXTS, credentialSchema, identityHash, type OpenBadgeCredential } from "./credential.ts";
import { ALG } from "./keys.ts";

export type CheckName = "format" | "issuer" | "signature" | "claims" | "dates" | "recipient" | "revocation";

export interface Check {
  name: CheckName;
  /** null: not run (no email given, or an earlier check failed). */
  ok: boolean | null;
  detail: string;
}

export interface Verification {
  ok: boolean;
  checks: Check[];
  /** Worth a look, not a failure: parts of the credential hosted away from its issuer. */
  warnings: string[];
}

export type Fetch = (url: string) => Promise<Response>;

export interface VerifyOptions {
  now: Date;
  fetch: Fetch;
  /** When given, the credential must name this address (re-hashed with its salt). */
  email?: string;
  /** When given, the credential's issuer must be this URL: a name is only what the issuer calls itself. */
  issuer?: string;
  /** The words of the details and warnings: the reader's language (the terminal's, for `steps verify`). */
  say?: Say;
}

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional() })) });
const revokedEntry = z.object({ id: z.string(), revoked: z.boolean().optional(), revocationReason: z.string().optional() });
/**
 * The 1EdTech Revocation List Status Method's RevocationList (see revocationList in credential.ts):
 * entries under `revokedCredential`. `revokedCredentials`, as the spec's prose says it and as
 * earlier implementations (Steps among them) wrote it, is read too: missing a revocation is the
 * failure that matters in a verifier.
 */
const revocationListSchema = z
  .looseObject({ id: z.string().optional(), revokedCredential: z.array(revokedEntry).optional(), revokedCredentials: z.array(revokedEntry).optional() })
  .refine((l) => l.id !== undefined || l.revokedCredential !== undefined || l.revokedCredentials !== undefined, "not a revocation list");

const ORDER: CheckName[] = ["format", "issuer", "signature", "claims", "dates", "recipient", "revocation"];

/** Checks a VC-JWT the way OB 3.0 §8.2.4 asks, and says which check failed and why. */
export async function verifyCredential(jwt: string, options: VerifyOptions): Promise<Verification> {
  const say = options.say ?? inEnglish();
  const checks: Check[] = [];
  let warnings: string[] = [];
  const done = (): Verification => {
    for (const name of ORDER) if (!checks.some((c) => c.name === name)) checks.push({ name, ok: null, detail: say("verify.not_checked") });
    return { ok: checks.every((c) => c.ok !== false), checks, warnings };
  };

  const parsed = parse(jwt.trim(), say);
  checks.push(parsed.check);
  if (!parsed.credential) return done();
  const { credential, payload, kid } = parsed;

  // Before anything is fetched: an unexpected issuer's key set is not worth asking for.
  checks.push(issuer(credential, options.issuer, say));
  if (checks.at(-1)!.ok === false) return done();
  warnings = elsewhere(credential, say);
  checks.push(await signature(jwt.trim(), kid, credential, options.fetch, say));
  if (checks.at(-1)!.ok === false) return done();
  checks.push(claims(payload, credential, say));
  checks.push(dates(credential, options.now, say));
  checks.push(recipient(credential, options.email, say));
  checks.push(await revocation(credential, options.fetch, say));
  return done();
}

function parse(jwt: string, say: Say): { check: Check; credential?: OpenBadgeCredential; payload: Record<string, unknown>; kid: string } {
  const fail = (detail: string) => ({ check: { name: "format" as const, ok: false, detail }, payload: {}, kid: "" });
  if (jwt.startsWith("{")) return fail(say("verify.format_unsigned_json"));
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jwt);
    payload = decodeJwt(jwt);
  } catch {
    return fail(say("verify.format_not_jwt"));
  }
  if (header.alg !== ALG) return fail(say("verify.format_alg", { alg: String(header.alg), expected: ALG }));
  if (typeof header.kid !== "string") return fail(say("verify.format_no_kid"));
  const result = credentialSchema.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return fail(say("verify.format_schema", { path: issue.path.join(".") || "payload", reason: issue.message }));
  }
  const credential = result.data;
  if (credential["@context"][0] !== CONTEXTS[0] || credential["@context"][1] !== CONTEXTS[1]) {
    return fail(say("verify.format_context", { first: CONTEXTS[0], second: CONTEXTS[1] }));
  }
  if (!credential.type.includes("VerifiableCredential") || !credential.type.includes("OpenBadgeCredential")) {
    return fail(say("verify.format_type"));
  }
  return { check: { name: "format", ok: true, detail: say("verify.format_ok", { name: credential.name }) }, credential, payload, kid: header.kid };
}

/** The issuer is its URL: the name in the credential is whatever the issuer chose to call itself. */
function issuer(c: OpenBadgeCredential, expected: string | undefined, say: Say): Check {
  const id = c.issuer.id;
  if (expected === undefined) return { name: "issuer", ok: null, detail: say("verify.issuer_unpinned", { id, name: c.issuer.name }) };
  return new URL(id).href === new URL(expected).href
    ? { name: "issuer", ok: true, detail: say("verify.issuer_ok", { id }) }
    : { name: "issuer", ok: false, detail: say("verify.issuer_other", { id, expected }) };
}

/** What the credential points at on another host than its issuer's: possible, but someone else answers for it. */
function elsewhere(c: OpenBadgeCredential, say: Say): string[] {
  const host = new URL(c.issuer.id).host;
  const parts: [string, string | undefined][] = [
    ["credential", c.id],
    ["revocation", c.credentialStatus?.id],
    ["achievement", c.credentialSubject.achievement.id],
  ];
  return parts.flatMap(([part, url]) => {
    const other = url ? new URL(url).host : "";
    return other && other !== host ? [say("verify.elsewhere", { part, url: url!, host: other, issuerHost: host })] : [];
  });
}

async function signature(jwt: string, kid: string, credential: OpenBadgeCredential, fetch: Fetch, say: Say): Promise<Check> {
  const fail = (detail: string): Check => ({ name: "signature", ok: false, detail });
  // Only a key the issuer itself publishes counts, whatever the token claims.
  const jwksUrl = `${credential.issuer.id}/jwks.json`;
  let keys: z.infer<typeof jwksSchema>["keys"];
  try {
    const response = await fetch(jwksUrl);
    if (!response.ok) return fail(say("verify.keys_status", { url: jwksUrl, status: String(response.status) }));
    keys = jwksSchema.parse(await response.json()).keys;
  } catch (error) {
    return fail(say("verify.keys_unreadable", { url: jwksUrl, reason: error instanceof Error ? error.message : String(error) }));
  }
  const jwk = keys.find((k) => k.kid === kid);
  if (!jwk) return fail(say("verify.key_unknown", { kid, url: jwksUrl }));
  try {
    await compactVerify(jwt, await importJWK(jwk as JWK, ALG), { algorithms: [ALG] });
  } catch {
    return fail(say("verify.signature_mismatch", { kid }));
  }
  return { name: "signature", ok: true, detail: say("verify.signature_ok", { kid }) };
}

function claims(payload: Record<string, unknown>, c: OpenBadgeCredential, say: Say): Check {
  // Exactly, as OB 3.0 §8.2 says: a validFrom with milliseconds matches no nbf.
  const at = (iso: string) => Date.parse(iso) / 1000;
  const expected: [string, unknown][] = [
    ["iss", c.issuer.id],
    ["jti", c.id],
    ["sub", c.credentialSubject.id],
    ["nbf", at(c.validFrom)],
    ...(c.validUntil || payload.exp !== undefined ? [["exp", c.validUntil ? at(c.validUntil) : undefined] as [string, unknown]] : []),
  ];
  const wrong = expected.filter(([claim, value]) => payload[claim] !== value).map(([claim]) => claim);
  if (wrong.length) return { name: "claims", ok: false, detail: say("verify.claims_wrong", { claims: wrong.join(", ") }) };
  return { name: "claims", ok: true, detail: say("verify.claims_ok") };
}

function dates(c: OpenBadgeCredential, now: Date, say: Say): Check {
  if (new Date(c.validFrom) > now) return { name: "dates", ok: false, detail: say("verify.dates_early", { from: c.validFrom }) };
  if (c.validUntil && new Date(c.validUntil) <= now) return { name: "dates", ok: false, detail: say("verify.dates_expired", { until: c.validUntil }) };
  return { name: "dates", ok: true, detail: c.validUntil ? say("verify.dates_ok_until", { from: c.validFrom, until: c.validUntil }) : say("verify.dates_ok_forever", { from: c.validFrom }) };
}

function recipient(c: OpenBadgeCredential, email: string | undefined, say: Say): Check {
  if (!email) return { name: "recipient", ok: null, detail: say("verify.recipient_none") };
  const match = c.credentialSubject.identifier.some((id) => id.identityHash === identityHash(email, id.salt));
  return match
    ? { name: "recipient", ok: true, detail: say("verify.recipient_ok", { email }) }
    : { name: "recipient", ok: false, detail: say("verify.recipient_other", { email }) };
}

async function revocation(c: OpenBadgeCredential, fetch: Fetch, say: Say): Promise<Check> {
  const status = c.credentialStatus;
  if (!status) return { name: "revocation", ok: true, detail: say("verify.revocation_none") };
  if (status.type !== "1EdTechRevocationList") return { name: "revocation", ok: false, detail: say("verify.revocation_type", { type: status.type }) };
  try {
    const response = await fetch(status.id);
    if (!response.ok) return { name: "revocation", ok: false, detail: say("verify.revocation_status", { url: status.id, status: String(response.status) }) };
    const list = revocationListSchema.parse(await response.json());
    const entry = [...(list.revokedCredential ?? []), ...(list.revokedCredentials ?? [])].find((r) => r.id === c.id && r.revoked !== false);
    if (entry) return { name: "revocation", ok: false, detail: entry.revocationReason ? say("verify.revoked", { reason: entry.revocationReason }) : say("verify.revoked_no_reason") };
  } catch (error) {
    return { name: "revocation", ok: false, detail: say("verify.revocation_unreadable", { url: status.id, reason: error instanceof Error ? error.message : String(error) }) };
  }
  return { name: "revocation", ok: true, detail: say("verify.not_revoked") };
}

/** A FILE or URL as `steps verify` takes it: a badge page URL means its .jwt form. */
export async function readCredentialSource(source: string, io: { fetch: Fetch; readFile: (path: string) => Promise<string> }, say: Say = inEnglish()): Promise<string> {
  if (!/^https?:\/\//i.test(source)) return io.readFile(source);
  const url = /\/badges\/[A-Za-z0-9_-]+$/.test(source) ? `${source}.jwt` : source;
  const response = await io.fetch(url);
  if (!response.ok) throw new Error(say(response.status === 404 ? "verify.source_unpublished" : "verify.source_status", { url, status: String(response.status) }));
  return response.text();
}
