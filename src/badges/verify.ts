import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from "jose";
import { z } from "zod";
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
  const checks: Check[] = [];
  let warnings: string[] = [];
  const done = (): Verification => {
    for (const name of ORDER) if (!checks.some((c) => c.name === name)) checks.push({ name, ok: null, detail: "not checked" });
    return { ok: checks.every((c) => c.ok !== false), checks, warnings };
  };

  const parsed = parse(jwt.trim());
  checks.push(parsed.check);
  if (!parsed.credential) return done();
  const { credential, payload, kid } = parsed;

  // Before anything is fetched: an unexpected issuer's key set is not worth asking for.
  checks.push(issuer(credential, options.issuer));
  if (checks.at(-1)!.ok === false) return done();
  warnings = elsewhere(credential);
  checks.push(await signature(jwt.trim(), kid, credential, options.fetch));
  if (checks.at(-1)!.ok === false) return done();
  checks.push(claims(payload, credential));
  checks.push(dates(credential, options.now));
  checks.push(recipient(credential, options.email));
  checks.push(await revocation(credential, options.fetch));
  return done();
}

function parse(jwt: string): { check: Check; credential?: OpenBadgeCredential; payload: Record<string, unknown>; kid: string } {
  const fail = (detail: string) => ({ check: { name: "format" as const, ok: false, detail }, payload: {}, kid: "" });
  if (jwt.startsWith("{")) return fail("this is the unsigned JSON form; verify the signed .jwt form instead");
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jwt);
    payload = decodeJwt(jwt);
  } catch {
    return fail("not a JSON Web Token (expected three base64url parts separated by dots)");
  }
  if (header.alg !== ALG) return fail(`signed with ${String(header.alg)}; Steps credentials use ${ALG}`);
  if (typeof header.kid !== "string") return fail("the header has no kid naming the signing key");
  const result = credentialSchema.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return fail(`not an OpenBadgeCredential: ${issue.path.join(".") || "payload"}: ${issue.message}`);
  }
  const credential = result.data;
  if (credential["@context"][0] !== CONTEXTS[0] || credential["@context"][1] !== CONTEXTS[1]) {
    return fail(`@context must start with ${CONTEXTS.join(" then ")}`);
  }
  if (!credential.type.includes("VerifiableCredential") || !credential.type.includes("OpenBadgeCredential")) {
    return fail("type must include VerifiableCredential and OpenBadgeCredential");
  }
  return { check: { name: "format", ok: true, detail: `OpenBadgeCredential "${credential.name}"` }, credential, payload, kid: header.kid };
}

/** The issuer is its URL: the name in the credential is whatever the issuer chose to call itself. */
function issuer(c: OpenBadgeCredential, expected: string | undefined): Check {
  const id = c.issuer.id;
  if (expected === undefined) return { name: "issuer", ok: null, detail: `${id}, which calls itself "${c.issuer.name}" (use --issuer URL to require the issuer you expect)` };
  return new URL(id).href === new URL(expected).href
    ? { name: "issuer", ok: true, detail: `${id}, as required` }
    : { name: "issuer", ok: false, detail: `issued by ${id}, not by ${expected}` };
}

/** What the credential points at on another host than its issuer's: possible, but someone else answers for it. */
function elsewhere(c: OpenBadgeCredential): string[] {
  const host = new URL(c.issuer.id).host;
  const parts: [string, string | undefined][] = [
    ["credential id", c.id],
    ["revocation list", c.credentialStatus?.id],
    ["achievement", c.credentialSubject.achievement.id],
  ];
  return parts.flatMap(([what, url]) => {
    const other = url ? new URL(url).host : "";
    return other && other !== host ? [`the ${what} ${url} is on ${other}, not on the issuer's host ${host}`] : [];
  });
}

async function signature(jwt: string, kid: string, credential: OpenBadgeCredential, fetch: Fetch): Promise<Check> {
  const fail = (detail: string): Check => ({ name: "signature", ok: false, detail });
  // Only a key the issuer itself publishes counts, whatever the token claims.
  const jwksUrl = `${credential.issuer.id}/jwks.json`;
  let keys: z.infer<typeof jwksSchema>["keys"];
  try {
    const response = await fetch(jwksUrl);
    if (!response.ok) return fail(`the issuer's key set ${jwksUrl} answered ${response.status}`);
    keys = jwksSchema.parse(await response.json()).keys;
  } catch (error) {
    return fail(`could not read the issuer's key set ${jwksUrl}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const jwk = keys.find((k) => k.kid === kid);
  if (!jwk) return fail(`the signing key ${kid} is not among the keys the issuer publishes at ${jwksUrl}`);
  try {
    await compactVerify(jwt, await importJWK(jwk as JWK, ALG), { algorithms: [ALG] });
  } catch {
    return fail(`the signature does not match the issuer's key ${kid}: the credential was changed or signed by someone else`);
  }
  return { name: "signature", ok: true, detail: `signed with the issuer's published key ${kid}` };
}

function claims(payload: Record<string, unknown>, c: OpenBadgeCredential): Check {
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
  if (wrong.length) return { name: "claims", ok: false, detail: `JWT claims ${wrong.join(", ")} do not match the credential` };
  return { name: "claims", ok: true, detail: "iss, jti, sub and nbf match the credential" };
}

function dates(c: OpenBadgeCredential, now: Date): Check {
  if (new Date(c.validFrom) > now) return { name: "dates", ok: false, detail: `not valid before ${c.validFrom}` };
  if (c.validUntil && new Date(c.validUntil) <= now) return { name: "dates", ok: false, detail: `expired on ${c.validUntil}` };
  return { name: "dates", ok: true, detail: `valid from ${c.validFrom}${c.validUntil ? ` until ${c.validUntil}` : ", no expiry"}` };
}

function recipient(c: OpenBadgeCredential, email: string | undefined): Check {
  if (!email) return { name: "recipient", ok: null, detail: "no email given (use --email to check who it was issued to)" };
  const match = c.credentialSubject.identifier.some((id) => id.identityHash === identityHash(email, id.salt));
  return match
    ? { name: "recipient", ok: true, detail: `issued to ${email}` }
    : { name: "recipient", ok: false, detail: `not issued to ${email}` };
}

async function revocation(c: OpenBadgeCredential, fetch: Fetch): Promise<Check> {
  const status = c.credentialStatus;
  if (!status) return { name: "revocation", ok: true, detail: "the credential has no revocation list" };
  if (status.type !== "1EdTechRevocationList") return { name: "revocation", ok: false, detail: `unsupported credentialStatus type ${status.type}` };
  try {
    const response = await fetch(status.id);
    if (!response.ok) return { name: "revocation", ok: false, detail: `could not check revocation: ${status.id} answered ${response.status}` };
    const list = revocationListSchema.parse(await response.json());
    const entry = [...(list.revokedCredential ?? []), ...(list.revokedCredentials ?? [])].find((r) => r.id === c.id && r.revoked !== false);
    if (entry) return { name: "revocation", ok: false, detail: `revoked: ${entry.revocationReason ?? "no reason given"}` };
  } catch (error) {
    return { name: "revocation", ok: false, detail: `could not check revocation at ${status.id}: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { name: "revocation", ok: true, detail: "not revoked" };
}

/** A FILE or URL as `steps verify` takes it: a badge page URL means its .jwt form. */
export async function readCredentialSource(source: string, io: { fetch: Fetch; readFile: (path: string) => Promise<string> }): Promise<string> {
  if (!/^https?:\/\//i.test(source)) return io.readFile(source);
  const url = /\/badges\/[A-Za-z0-9_-]+$/.test(source) ? `${source}.jwt` : source;
  const response = await io.fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}${response.status === 404 ? " (unpublished badges have no public credential)" : ""}`);
  return response.text();
}
