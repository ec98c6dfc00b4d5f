import { SignJWT } from "jose";
import type { OpenBadgeCredential } from "./credential.ts";
import { ALG, type SigningKey } from "./keys.ts";

const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

/**
 * VC-JWT as OB 3.0 §8.2 describes it: the payload is the credential itself
 * with iss, jti, sub, nbf (and exp when it expires) mirroring its fields; the
 * kid is a URL that dereferences to the public JWK.
 */
export async function signCredential(credential: OpenBadgeCredential, key: SigningKey, kid: string): Promise<string> {
  const jwt = new SignJWT({ ...credential })
    // OB 3.0 allows only alg, kid, jwk and typ, and typ "JWT" when present.
    .setProtectedHeader({ alg: ALG, kid, typ: "JWT" })
    .setIssuer(credential.issuer.id)
    .setJti(credential.id)
    .setSubject(credential.credentialSubject.id)
    .setNotBefore(seconds(credential.validFrom));
  if (credential.validUntil) jwt.setExpirationTime(seconds(credential.validUntil));
  return jwt.sign(key.privateKey);
}
