import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The token every playground form carries. Another site can make a browser
 * post a form here, but cannot read a playground page to copy its token. Each
 * page gets a fresh one, signed with a key made at start, so nothing is kept
 * per page; after a restart an open page is asked to reload.
 */
export function createFormTokens() {
  const key = randomBytes(32);
  const sign = (nonce: string) => createHmac("sha256", key).update(nonce).digest();
  return {
    issue(): string {
      const nonce = randomBytes(16).toString("base64url");
      return `${nonce}.${sign(nonce).toString("base64url")}`;
    },
    valid(token: unknown): boolean {
      if (typeof token !== "string") return false;
      const [nonce, mac, ...rest] = token.split(".");
      if (!nonce || !mac || rest.length > 0) return false;
      const given = Buffer.from(mac, "base64url");
      const expected = sign(nonce);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

export type FormTokens = ReturnType<typeof createFormTokens>;
