import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, importPKCS8, type CryptoKey, type JWK } from "jose";
import { z } from "zod";
import type { Store } from "../store.ts";

export const KEY_SETTING = "badges.issuer_key";
export const ALG = "RS256";

/** An RSA private key as a JWK: what BADGE_PRIVATE_KEY may hold and what the settings row stores. */
const rsaPrivateJwk = z.looseObject({
  kty: z.literal("RSA"),
  n: z.string().min(1),
  e: z.string().min(1),
  d: z.string().min(1),
  p: z.string().optional(),
  q: z.string().optional(),
  dp: z.string().optional(),
  dq: z.string().optional(),
  qi: z.string().optional(),
});

export interface SigningKey {
  privateKey: CryptoKey;
  /** RFC 7638 thumbprint of the public key; the last segment of the kid URL. */
  thumbprint: string;
  publicJwk: JWK;
}

export interface IssuerKeys {
  /** The key new credentials are signed with. */
  signing: SigningKey;
  /** Every public key a verifier may meet: the signing key first, then the stored one it replaced. */
  published: SigningKey[];
}

/**
 * The issuer key: BADGE_PRIVATE_KEY when set (PEM PKCS#8 or JWK), otherwise an
 * RSA key generated on first start and kept in the settings table, so every
 * instance and every restart signs with the same key.
 */
export async function loadIssuerKeys(store: Store, raw: Record<string, string | undefined>): Promise<IssuerKeys> {
  const stored = await storedKey(store, !raw.BADGE_PRIVATE_KEY);
  const fromEnv = raw.BADGE_PRIVATE_KEY ? await envKey(raw.BADGE_PRIVATE_KEY) : undefined;
  const signing = fromEnv ?? stored!;
  // Credentials signed with the stored key before BADGE_PRIVATE_KEY was set keep verifying.
  const published = stored && stored.thumbprint !== signing.thumbprint ? [signing, stored] : [signing];
  return { signing, published };
}

async function storedKey(store: Store, create: boolean): Promise<SigningKey | undefined> {
  let jwk = await store.getSetting<unknown>(KEY_SETTING);
  if (jwk === undefined) {
    if (!create) return undefined;
    const { privateKey } = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
    // Two instances starting at once both generate; the first row wins and both use it.
    jwk = await store.initSetting(KEY_SETTING, await exportJWK(privateKey));
  }
  const parsed = rsaPrivateJwk.safeParse(jwk);
  if (!parsed.success) throw new Error(`settings ${KEY_SETTING} does not hold an RSA private JWK`);
  return fromPrivateJwk(parsed.data);
}

async function envKey(value: string): Promise<SigningKey> {
  const text = value.trim();
  try {
    if (text.startsWith("{")) return await fromPrivateJwk(rsaPrivateJwk.parse(JSON.parse(text)));
    const key = await importPKCS8(text.replace(/\\n/g, "\n"), ALG, { extractable: true });
    return await fromPrivateJwk(rsaPrivateJwk.parse(await exportJWK(key)));
  } catch {
    throw new Error("BADGE_PRIVATE_KEY must be an RSA private key as PKCS#8 PEM (-----BEGIN PRIVATE KEY-----) or as a JWK with kty RSA.");
  }
}

async function fromPrivateJwk(jwk: z.infer<typeof rsaPrivateJwk>): Promise<SigningKey> {
  const privateKey = (await importJWK({ ...jwk, alg: ALG }, ALG)) as CryptoKey;
  const publicJwk: JWK = { kty: "RSA", n: jwk.n, e: jwk.e };
  const thumbprint = await calculateJwkThumbprint(publicJwk);
  return { privateKey, thumbprint, publicJwk };
}

/** The JWK set published at /issuer/jwks.json: public members only, never "d". */
export function publicJwks(keys: IssuerKeys, keyUrl: (thumbprint: string) => string): { keys: JWK[] } {
  return { keys: keys.published.map((k) => ({ ...k.publicJwk, kid: keyUrl(k.thumbprint), alg: ALG, use: "sig" })) };
}
