import { createHash } from "node:crypto";
import { exportJWK, exportPKCS8, generateKeyPair, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { boot } from "../app/boot.ts";
import { KEY_SETTING, loadIssuerKeys } from "../src/badges/keys.ts";
import { signCredential } from "../src/badges/sign.ts";
import { verifyCredential, type Verification } from "../src/badges/verify.ts";
import { defaultWords } from "../src/i18n.ts";
import { silentLogger } from "../src/log.ts";
import { badgeServer, IVY, type BadgeServer } from "./support/badges.ts";
import { bootForTest } from "./support/boot.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(vars: Record<string, string> = {}): Promise<BadgeServer> {
  const t = await badgeServer(vars);
  cleanups.push(() => t.close());
  return t;
}

// Most tests share one server; each earns its badge as a different intern.
let shared: BadgeServer;
beforeAll(async () => {
  shared = await badgeServer();
});
afterAll(() => shared?.close());
beforeEach(() => shared.setTime("2026-06-17T18:00:00Z"));

async function signedOf(t: BadgeServer, awardId: string) {
  const stored = t.steps.badges.stored((await t.steps.store.award(awardId))!);
  if (!stored) throw new Error("award has no credential");
  return stored;
}

const verify = (t: BadgeServer, jwt: string, email?: string) => verifyCredential(jwt, { now: t.now(), fetch, email });

function failed(v: Verification) {
  return v.checks.filter((c) => c.ok === false).map((c) => [c.name, c.detail]);
}

/** The OB 3.0 required fields (AchievementCredential, Profile, AchievementSubject, Achievement, IdentityObject, Evidence). */
const uri = z.string().regex(/^(https?:\/\/|urn:)/);
const ob3 = z.object({
  "@context": z.tuple([z.literal("https://www.w3.org/ns/credentials/v2"), z.literal("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")]),
  id: uri,
  type: z.tuple([z.literal("VerifiableCredential"), z.literal("OpenBadgeCredential")]),
  name: z.string().min(1),
  issuer: z.object({ id: uri, type: z.array(z.string()).refine((t) => t.includes("Profile")), name: z.string().min(1) }),
  validFrom: z.iso.datetime(),
  credentialSubject: z.object({
    id: uri,
    type: z.array(z.string()).refine((t) => t.includes("AchievementSubject")),
    identifier: z.array(z.object({ type: z.literal("IdentityObject"), hashed: z.literal(true), identityHash: z.string(), identityType: z.literal("emailAddress"), salt: z.string().min(8) })).length(1),
    achievement: z.object({
      id: uri,
      type: z.array(z.string()).refine((t) => t.includes("Achievement")),
      name: z.string().min(1),
      description: z.string().min(1),
      criteria: z.object({ narrative: z.string().min(1) }),
      image: z.object({ id: uri, type: z.literal("Image") }),
    }),
  }),
  evidence: z.array(z.object({ type: z.array(z.string()).refine((t) => t.includes("Evidence")), name: z.string(), narrative: z.string(), id: uri.optional() })).min(1),
  credentialStatus: z.object({ id: uri, type: z.literal("1EdTechRevocationList") }),
});

describe("badge credentials", () => {
  it("issues an OB 3.0 credential on award that verifies end to end", async () => {
    const t = shared;
    const award = await t.earn(IVY, "Talked with the city clerk", "https://docs.example.org/interview");
    const { credential, jwt } = await signedOf(t, award.id);

    const shape = ob3.safeParse(credential);
    expect(shape.success, JSON.stringify(shape.error?.issues)).toBe(true);
    expect(credential.id).toBe(`${t.url}/badges/${award.id}`);
    expect(credential.issuer).toEqual({ id: `${t.url}/issuer`, type: ["Profile"], name: "Test City <& Co>", description: "Badge STEPS", url: "https://city.example.org" });
    expect(credential.validFrom).toBe("2026-06-17T18:00:00Z");
    expect(credential.credentialSubject.achievement).toMatchObject({
      id: `${t.url}/achievements/civic`,
      name: "Civic Explorer",
      description: "Learned how the city works by interviewing its staff.",
      criteria: { narrative: "Interviewed a city staff member, approved by a mentor." },
      image: { id: `${t.url}/achievements/civic/image`, type: "Image" },
    });
    const [identity] = credential.credentialSubject.identifier;
    expect(identity!.identityHash).toBe("sha256$" + createHash("sha256").update(IVY + identity!.salt).digest("hex"));
    expect(JSON.stringify(credential)).not.toContain(IVY);
    expect(JSON.stringify(credential)).not.toContain("Ivy");
    expect(credential.evidence).toEqual([
      { id: "https://docs.example.org/interview", type: ["Evidence"], name: "Interview a city staff member", narrative: "Talked with the city clerk\n\nApproved by Mo Mentor on Jun 17, 2026." },
    ]);

    const [header, payload] = jwt.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>);
    const thumbprint = (await t.steps.badges.keys()).signing.thumbprint;
    expect(header).toEqual({ alg: "RS256", kid: `${t.url}/issuer/keys/${thumbprint}`, typ: "JWT" });
    expect(payload).toMatchObject({ ...credential, iss: credential.issuer.id, jti: credential.id, sub: credential.credentialSubject.id, nbf: Date.parse("2026-06-17T18:00:00Z") / 1000 });
    expect(payload!.exp).toBeUndefined();

    const result = await verify(t, jwt, "IVY.Intern@example.org");
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ["format", true],
      ["issuer", null],
      ["signature", true],
      ["claims", true],
      ["dates", true],
      ["recipient", true],
      ["revocation", true],
    ]);
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([]);
    // Without an email the recipient is not judged, and the rest still passes.
    const anyone = await verify(t, jwt);
    expect(anyone.ok).toBe(true);
    expect(anyone.checks.find((c) => c.name === "recipient")!.ok).toBeNull();
  });

  it("fails the signature check when a byte changes, and the format check on garbage", async () => {
    const t = shared;
    const { jwt } = await signedOf(t, (await t.earn("ian.intern@example.org")).id);
    const [h, p, s] = jwt.split(".");
    const payload = JSON.parse(Buffer.from(p!, "base64url").toString("utf8")) as { name: string };
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, name: "Fire Chief" })).toString("base64url")}.${s}`;
    expect(failed(await verify(t, forged))).toEqual([["signature", expect.stringContaining("does not match the issuer's key")]]);
    const middle = Math.floor(s!.length / 2);
    const flipped = `${h}.${p}.${s!.slice(0, middle)}${s![middle] === "A" ? "B" : "A"}${s!.slice(middle + 1)}`;
    expect(failed(await verify(t, flipped))[0]![0]).toBe("signature");

    expect(failed(await verify(t, "not a token"))).toEqual([["format", expect.stringContaining("not a JSON Web Token")]]);
    expect(failed(await verify(t, JSON.stringify(payload)))).toEqual([["format", expect.stringContaining("unsigned JSON form")]]);
  });

  it("fails the signature check for a credential signed with another key", async () => {
    const t = shared;
    const { credential } = await signedOf(t, (await t.earn("ada.intern@example.org")).id);
    const { privateKey } = await generateKeyPair("RS256");
    const published = (await t.steps.badges.keys()).signing;
    const sameKid = await signCredential(credential, { ...published, privateKey }, `${t.url}/issuer/keys/${published.thumbprint}`);
    expect(failed(await verify(t, sameKid))).toEqual([["signature", expect.stringContaining("does not match the issuer's key")]]);
    const otherKid = await signCredential(credential, { ...published, privateKey }, "https://evil.example/key");
    expect(failed(await verify(t, otherKid))).toEqual([["signature", expect.stringContaining("is not among the keys the issuer publishes")]]);
  });

  it("fails the dates check once validUntil has passed on the clock", async () => {
    const t = shared;
    const award = await t.earn("bo.intern@example.org");
    const stored = await t.steps.badges.credentialFor(award, t.steps.store, { validUntil: new Date("2026-06-20T00:00:00Z") });
    expect(stored!.credential.validUntil).toBe("2026-06-20T00:00:00Z");
    const exp = JSON.parse(Buffer.from(stored!.jwt.split(".")[1]!, "base64url").toString("utf8")).exp as number;
    expect(exp).toBe(Date.parse("2026-06-20T00:00:00Z") / 1000);
    expect((await verify(t, stored!.jwt)).ok).toBe(true);
    t.setTime("2026-06-21T00:00:00Z");
    expect(failed(await verify(t, stored!.jwt))).toEqual([["dates", "expired on 2026-06-20T00:00:00Z"]]);
    // Before validFrom is as wrong as after validUntil.
    t.setTime("2026-06-01T00:00:00Z");
    expect(failed(await verify(t, stored!.jwt))).toEqual([["dates", expect.stringContaining("not valid before")]]);
  });

  it("fails the claims check when the JWT claims disagree with the credential", async () => {
    const t = shared;
    const { credential } = await signedOf(t, (await t.earn("cy.intern@example.org")).id);
    const { signing } = await t.steps.badges.keys();
    const jwt = await new SignJWT({ ...credential })
      .setProtectedHeader({ alg: "RS256", kid: `${t.url}/issuer/keys/${signing.thumbprint}`, typ: "JWT" })
      .setIssuer(credential.issuer.id)
      .setJti("urn:uuid:someone-else")
      .setSubject(credential.credentialSubject.id)
      .setNotBefore(Math.floor(Date.parse(credential.validFrom) / 1000))
      .sign(signing.privateKey);
    expect(failed(await verify(t, jwt))).toEqual([["claims", "JWT claims jti do not match the credential"]]);
  });

  it("fails the recipient check for another email and the revocation check once revoked", async () => {
    const t = shared;
    const award = await t.earn("dee.intern@example.org");
    const { jwt } = await signedOf(t, award.id);
    expect(failed(await verify(t, jwt, "ian.intern@example.org"))).toEqual([["recipient", "not issued to ian.intern@example.org"]]);

    t.setTime("2026-06-18T18:00:00Z");
    expect(await t.say("cora.coordinator@example.org", "revoke dee.intern@example.org civic issued by mistake")).toContain("Revoked Dee Intern's civic badge. Its page and `steps verify` now say so.\nReason: issued by mistake");
    expect(failed(await verify(t, jwt, "dee.intern@example.org"))).toEqual([["revocation", "revoked: issued by mistake"]]);
  });

  it("dates the credential by the real clock, not the program clock the playground moved, so it verifies now", async () => {
    const t = await setup();
    // Six weeks ahead: the award is dated there, as people see it; the signature is not.
    t.steps.moveClock(new Date("2026-07-29T18:00:00Z"));
    const award = await t.earn(IVY);
    expect(award.awardedAt.toISOString()).toBe("2026-07-29T18:00:00.000Z");
    const { credential, jwt } = await signedOf(t, award.id);
    expect(credential.validFrom).toBe("2026-06-17T18:00:00Z");
    expect(failed(await verify(t, jwt))).toEqual([]);
  });

  it("issues validFrom in whole seconds, equal to nbf whatever the clock's milliseconds, and refuses an nbf that is not validFrom exactly", async () => {
    const t = shared;
    t.setTime("2026-06-17T18:00:00.678Z");
    const { credential, jwt } = await signedOf(t, (await t.earn("eli.intern@example.org")).id);
    expect(credential.validFrom).toBe("2026-06-17T18:00:00Z");
    const payload = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8")) as { nbf: number };
    expect(payload.nbf * 1000).toBe(Date.parse(credential.validFrom));
    expect((await verify(t, jwt)).ok).toBe(true);

    // What Steps used to issue: milliseconds in validFrom, nbf rounded down. OB 3.0 §8.2 wants them equal.
    const { signing } = await t.steps.badges.keys();
    const rounded = await signCredential({ ...credential, validFrom: "2026-06-17T18:00:00.678Z" }, signing, `${t.url}/issuer/keys/${signing.thumbprint}`);
    expect(failed(await verify(t, rounded))).toEqual([["claims", "JWT claims nbf do not match the credential"]]);
  });

  it("reads the 1EdTech revocation list: revokedCredential, an entry revoked unless revoked is false, and the plural name too", async () => {
    const t = shared;
    const { credential, jwt } = await signedOf(t, (await t.earn("fin.intern@example.org")).id);
    const status = credential.credentialStatus!.id;
    const listing = (list: unknown) => (url: string) => (url === status ? Promise.resolve(Response.json(list)) : fetch(url));
    const check = async (list: unknown) => failed(await verifyCredential(jwt, { now: t.now(), fetch: listing(list) }));
    const entry = { id: credential.id, revocationReason: "issued by mistake" };
    expect(await check({ id: status, issuer: credential.issuer.id, revokedCredential: [entry] })).toEqual([["revocation", "revoked: issued by mistake"]]);
    expect(await check({ id: status, issuer: credential.issuer.id, revokedCredential: [{ ...entry, revoked: true }] })).toEqual([["revocation", "revoked: issued by mistake"]]);
    expect(await check({ id: status, issuer: credential.issuer.id, revokedCredential: [{ ...entry, revoked: false }] })).toEqual([]);
    expect(await check({ id: status, issuer: credential.issuer.id, revokedCredentials: [entry] })).toEqual([["revocation", "revoked: issued by mistake"]]);
    expect(await check({ id: status, issuer: credential.issuer.id, revokedCredential: [{ id: "https://elsewhere.example/other" }] })).toEqual([]);
    expect(await check({ error: "not found" })).toEqual([["revocation", expect.stringContaining("not a revocation list")]]);
  });

  it("checks the issuer's URL when it is pinned, before fetching anything, and warns of parts hosted elsewhere", async () => {
    const t = shared;
    const { credential, jwt } = await signedOf(t, (await t.earn("gil.intern@example.org")).id);
    const pinned = await verifyCredential(jwt, { now: t.now(), fetch, issuer: `${t.url}/issuer` });
    expect(pinned.checks.find((c) => c.name === "issuer")).toEqual({ name: "issuer", ok: true, detail: `${t.url}/issuer, as required` });
    expect(pinned.ok).toBe(true);

    const asked: string[] = [];
    const recording = async (url: string) => {
      asked.push(url);
      return fetch(url);
    };
    const impostor = await verifyCredential(jwt, { now: t.now(), fetch: recording, issuer: "https://city.example.org/issuer" });
    expect(failed(impostor)).toEqual([["issuer", `issued by ${t.url}/issuer, not by https://city.example.org/issuer`]]);
    expect(asked).toEqual([]);

    // Signed by the issuer, but with its revocation list and achievement on other hosts.
    const { signing } = await t.steps.badges.keys();
    const moved = {
      ...credential,
      credentialStatus: { id: "https://lists.example/revocations", type: "1EdTechRevocationList" },
      credentialSubject: { ...credential.credentialSubject, achievement: { ...credential.credentialSubject.achievement, id: "https://badges.example/civic" } },
    };
    const signed = await signCredential(moved, signing, `${t.url}/issuer/keys/${signing.thumbprint}`);
    const host = new URL(t.url).host;
    const elsewhere = (url: string) => (url.startsWith(t.url) ? fetch(url) : Promise.resolve(Response.json({ id: url, revokedCredential: [] })));
    const result = await verifyCredential(signed, { now: t.now(), fetch: elsewhere });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      `the revocation list https://lists.example/revocations is on lists.example, not on the issuer's host ${host}`,
      `the achievement https://badges.example/civic is on badges.example, not on the issuer's host ${host}`,
    ]);
    const { t: words } = defaultWords();
    const inSpanish = await verifyCredential(signed, { now: t.now(), fetch: elsewhere, say: (key, values) => words("es", key, values) });
    expect(inSpanish.warnings).toEqual([
      `la lista de revocación https://lists.example/revocations está en lists.example, no en el servidor del emisor ${host}`,
      `el logro https://badges.example/civic está en badges.example, no en el servidor del emisor ${host}`,
    ]);
  });

  // Two more start-ups on a database of its own: 5 s alone, and several times that in a full run beside another.
  it("keeps the issuer key across restarts and never publishes its private part", { timeout: 120_000 }, async () => {
    const t = await setup();
    const first = await t.steps.badges.keys();
    const row = await t.steps.store.getSetting<Record<string, string>>(KEY_SETTING);
    expect(row).toMatchObject({ kty: "RSA", d: expect.any(String) });
    await t.server.close();
    await t.steps.db.close();
    // A second process on the same database, as after a restart.
    const again = await boot(t.steps.env, silentLogger, { now: t.now });
    try {
      expect((await again.badges.keys()).signing.thumbprint).toBe(first.signing.thumbprint);
      const jwks = await again.badges.jwks();
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).not.toHaveProperty("d");
      expect(jwks.keys[0]!.kid).toBe(`${t.url}/issuer/keys/${first.signing.thumbprint}`);
    } finally {
      await again.close();
    }
  });

  it("signs with BADGE_PRIVATE_KEY when it is set, as PEM or JWK, and refuses a bad one", async () => {
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const pem = await exportPKCS8(privateKey);
    const t = await setup({ BADGE_PRIVATE_KEY: pem });
    const keys = await t.steps.badges.keys();
    expect(await t.steps.store.getSetting(KEY_SETTING)).toBeUndefined();
    expect(keys.published).toHaveLength(1);
    const { jwt } = await signedOf(t, (await t.earn(IVY)).id);
    expect((await verify(t, jwt, IVY)).ok).toBe(true);

    // The same key given as a JWK has the same thumbprint; a stored key stays published beside it.
    await t.steps.store.initSetting(KEY_SETTING, await exportJWK((await generateKeyPair("RS256", { extractable: true })).privateKey));
    const jwk = JSON.stringify(await exportJWK(privateKey));
    const both = await loadIssuerKeys(t.steps.store, { BADGE_PRIVATE_KEY: jwk });
    expect(both.signing.thumbprint).toBe(keys.signing.thumbprint);
    expect(both.published.map((k) => k.thumbprint)).toEqual([keys.signing.thumbprint, expect.not.stringMatching(keys.signing.thumbprint)]);

    await expect(loadIssuerKeys(t.steps.store, { BADGE_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----" })).rejects.toThrow(/BADGE_PRIVATE_KEY must be an RSA private key/);
    await expect(loadIssuerKeys(t.steps.store, { BADGE_PRIVATE_KEY: '{"kty":"EC"}' })).rejects.toThrow(/BADGE_PRIVATE_KEY must be an RSA private key/);
    await expect(bootForTest({ BADGE_PRIVATE_KEY: "not a key" })).rejects.toThrow(/BADGE_PRIVATE_KEY must be an RSA private key/);
  });
});
