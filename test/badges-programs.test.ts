import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../app/main.ts";
import type { StoredCredential } from "../src/badges/credential.ts";
import badgesAdapter from "../adapters/badges/index.ts";
import emailAdapter from "../adapters/email/index.ts";
import { IAN, IVY, MO, badgeServer, type BadgeServer } from "./support/badges.ts";
import { startSmtp, type Smtp } from "./support/smtp.ts";
import { until } from "./support/wait.ts";

// Two programs with a playlist of one slug (`civic`), as PROGRAMS loads them: each badge's
// credential must point at its own program's issuer and achievement, and the first program keeps
// the addresses credentials signed before there were several programs point at. Emails come
// from the program of whom they are written to, over real SMTP.

const CITY = "city";
const TOWN = "town";

let dir: string;
let t: BadgeServer;
let smtp: Smtp;
/** Reached by email only (the roster's contact column): the badge news goes over SMTP. */
const FIN = "fin.intern@example.org";
const GIL = "gil.intern@example.org";

beforeAll(async () => {
  smtp = await startSmtp();
  dir = mkdtempSync(join(tmpdir(), "steps-issuers-"));
  // The fixture's images are named relative to test/fixtures; here they are wherever the samples are.
  const fixture = readFileSync("test/fixtures/badges-program.yml", "utf8").replaceAll("../../programs/badges/", `${resolve("programs/badges")}/`);
  writeFileSync(join(dir, `${CITY}.yml`), `${fixture}\nemail:\n  reply_to: city@example.org\n`);
  writeFileSync(
    join(dir, `${TOWN}.yml`),
    `${fixture
      .replace("name: Badge STEPS", "name: Town STEPS\n  roster: roster.csv")
      .replace("organization: Test City <& Co>", "organization: Other Town")
      .replace("name: Civic Explorer\n", "name: Town Civic Explorer\n")}\nemail:\n  reply_to: town@example.org\n  link_days: 3\n`,
  );
  const roster = readFileSync("test/fixtures/badges-roster.csv", "utf8")
    .split("\n")
    .map((line, i) => (line === "" ? line : `${line},${i === 0 ? "contact" : line.startsWith(FIN) || line.startsWith(GIL) ? "email" : ""}`))
    .join("\n");
  writeFileSync(join(dir, "roster.csv"), roster);
  t = await badgeServer(
    { PROGRAMS: `${join(dir, `${CITY}.yml`)},${join(dir, `${TOWN}.yml`)}`, PROGRAM_FILE: join(dir, `${CITY}.yml`), ROSTER_FILE: join(dir, "roster.csv"), SMTP_URL: smtp.url, EMAIL_FROM: "steps@city.example.org" },
    [badgesAdapter, emailAdapter],
  );
});

afterAll(async () => {
  await t?.close();
  await smtp?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The intern records the task in that program and its mentor approves it: that program's badge, signed. */
async function earn(program: string, email: string): Promise<{ id: string; stored: StoredCredential }> {
  const core = t.steps.cores.get(program)!;
  const store = t.steps.store.scoped(program);
  const done = await core.done((await store.personByEmail(email))!, "interview-staff", null, null);
  const decided = await core.decide((await store.personByEmail(MO))!, done.submission.id, "approved", null);
  const award = (await t.steps.store.award(decided.award!.id))!;
  return { id: award.id, stored: t.steps.badges.stored(award)! };
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function verify(jwt: string, email: string, issuer: string): Promise<string[]> {
  const file = join(dir, "badge.jwt");
  writeFileSync(file, jwt);
  const lines: string[] = [];
  expect(await main(["verify", file, "--email", email, "--issuer", issuer], (s) => lines.push(s))).toBe(0);
  return lines;
}

describe("each program's own issuer and achievements", () => {
  it("signs each program's badge with its own issuer and achievement, which resolve to that program", async () => {
    const city = await earn(CITY, IVY);
    const town = await earn(TOWN, IAN);
    const [c, w] = [city.stored.credential, town.stored.credential];

    // The first program keeps the server's own addresses.
    expect(c.issuer.id).toBe(`${t.url}/issuer`);
    expect(c.credentialSubject.achievement.id).toBe(`${t.url}/achievements/civic`);
    expect(w.issuer).toMatchObject({ id: `${t.url}/programs/${TOWN}/issuer`, name: "Other Town" });
    expect(w.credentialSubject.achievement).toMatchObject({ id: `${t.url}/programs/${TOWN}/achievements/civic`, name: "Town Civic Explorer", image: { id: `${t.url}/programs/${TOWN}/achievements/civic/image` } });

    for (const [credential, organization, badge] of [[c, "Test City <& Co>", "Civic Explorer"], [w, "Other Town", "Town Civic Explorer"]] as const) {
      const issuer = await getJson(credential.issuer.id);
      expect(issuer.status).toBe(200);
      expect(issuer.body).toMatchObject({ id: credential.issuer.id, name: organization });
      const achievement = await getJson(credential.credentialSubject.achievement.id);
      expect(achievement.status).toBe(200);
      expect(achievement.body).toMatchObject({ id: credential.credentialSubject.achievement.id, name: badge });
      const image = await fetch(credential.credentialSubject.achievement.image!.id);
      expect(image.status).toBe(200);
      expect(image.headers.get("content-type")).toBe("image/svg+xml");
    }

    // The issuer's key set under its own address names keys by that address, so verify finds them.
    expect(await verify(city.stored.jwt, IVY, `${t.url}/issuer`)).toContain("Valid.");
    const lines = await verify(town.stored.jwt, IAN, `${t.url}/programs/${TOWN}/issuer`);
    expect(lines).toContain(`ok   signature: signed with the issuer's published key ${t.url}/programs/${TOWN}/issuer/keys/${(await t.steps.badges.keys()).signing.thumbprint}`);
    expect(lines.at(-1)).toBe("Valid.");

    // A program's revocation list speaks for the issuer that signed the credential.
    expect((await getJson(`${t.url}/badges/${town.id}/revocations`)).body).toMatchObject({ issuer: w.issuer.id });
    expect((await getJson(`${t.url}/badges/${city.id}/revocations`)).body).toMatchObject({ issuer: c.issuer.id });
  });

  it("shows the badge's own program's image on its page", async () => {
    const town = await earn(TOWN, "ada.intern@example.org");
    await t.steps.store.updateAward(town.id, { published: true });
    const page = await (await fetch(`${t.url}/badges/${town.id}`)).text();
    expect(page).toContain(`src="${t.url}/programs/${TOWN}/achievements/civic/image"`);
    expect(page).toContain("Other Town");
  });

  it("answers 404 for what no program has, and the first program only at the root", async () => {
    for (const path of [
      `/programs/${CITY}/issuer`,
      `/programs/${CITY}/achievements/civic`,
      "/programs/nowhere/issuer",
      "/programs/Town/issuer",
      `/programs/${TOWN}`,
      `/programs/${TOWN}/`,
      `/programs/${TOWN}/achievements/nothing`,
      `/programs/${TOWN}/achievements/civic/other`,
      `/programs/${TOWN}/issuer/keys/short`,
      `/programs/${TOWN}/badges/x`,
    ]) {
      expect((await fetch(`${t.url}${path}`)).status, path).toBe(404);
    }
    const keys = (await getJson(`${t.url}/programs/${TOWN}/issuer/jwks.json`)).body as { keys: { kid: string }[] };
    expect(keys.keys[0]!.kid).toMatch(new RegExp(`^${t.url}/programs/${TOWN}/issuer/keys/`));
    expect((await fetch(keys.keys[0]!.kid)).status).toBe(200);
    // A program's missing image is a 404, not the other program's.
    expect((await fetch(`${t.url}/programs/${TOWN}/achievements/second/image`)).status).toBe(404);
  });
});

describe("each program's own emails", () => {
  it("sends as the intern's own program, with its reply address and how long its links work", async () => {
    await earn(CITY, FIN);
    await earn(TOWN, GIL);
    await t.steps.dispatcher.drain();
    const to = (email: string) => smtp.received.filter((m) => m.to && !Array.isArray(m.to) && m.to.value[0]!.address === email);
    await until("both badge emails", () => to(FIN).length > 0 && to(GIL).length > 0);
    for (const [email, name, replyTo] of [[FIN, "Badge STEPS", "city@example.org"], [GIL, "Town STEPS", "town@example.org"]] as const) {
      for (const mail of to(email)) {
        expect(mail.from?.value[0], email).toEqual({ name, address: "steps@city.example.org" });
        expect(mail.replyTo?.value[0]?.address, email).toBe(replyTo);
        expect(mail.text, email).toContain(name);
      }
    }
    // Their personal page's link works for their own program's email.link_days: 7 by default, 3 in Town.
    const days = (email: string) => {
      const token = new URL(/http:\/\/\S+\?t=\S+/.exec(to(email).at(-1)!.text ?? "")![0]).searchParams.get("t")!;
      const { iat, exp } = decodeJwt(token);
      return (exp! - iat!) / 86_400;
    };
    expect(days(FIN)).toBe(7);
    expect(days(GIL)).toBe(3);
  });
});
