import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../app/main.ts";
import { act } from "../src/domain/route.ts";
import { toPlainText } from "../src/messages.ts";
import { CORA, IAN, IVY, MO, badgeServer, type BadgeServer } from "./support/badges.ts";

// One server for the file; each test earns its badge as a different intern.
let t: BadgeServer;
beforeAll(async () => {
  t = await badgeServer();
});
afterAll(() => t?.close());
beforeEach(() => t.setTime("2026-06-17T18:00:00Z"));

const ADA = "ada.intern@example.org";
const BO = "bo.intern@example.org";
const CY = "cy.intern@example.org";
const DEE = "dee.intern@example.org";
const ELI = "eli.intern@example.org";

const EVIL = `<script>alert("x")</script> & "quotes" 'too'`;

async function get(path: string) {
  const res = await fetch(`${t.url}${path}`);
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text(), headers: res.headers };
}


describe("badge pages", () => {
  it("shows an unpublished badge only as existing: no name, badge, evidence or credential", async () => {
    const award = await t.earn(IVY, EVIL, "https://docs.example.org/ivy-notes");
    const page = await get(`/badges/${award.id}`);
    expect(page.status).toBe(200);
    expect(page.type).toContain("text/html");
    expect(page.headers.get("x-robots-tag")).toBe("noindex");
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain("This badge exists, but its owner has not made it public.");
    for (const secret of ["Ivy", "Intern", "Civic Explorer", "Interview a city staff member", "ivy-notes", "script", "Mo Mentor", "linkedin"]) {
      expect(page.body).not.toContain(secret);
    }
    expect((await get(`/badges/${award.id}.json`)).status).toBe(404);
    expect((await get(`/badges/${award.id}.jwt`)).status).toBe(404);
    // The revocation list answers even so: verifiers holding the credential need it.
    expect(JSON.parse((await get(`/badges/${award.id}/revocations`)).body)).toEqual({
      id: `${t.url}/badges/${award.id}/revocations`,
      issuer: `${t.url}/issuer`,
      revokedCredential: [],
    });
  });

  it("lets only the intern publish their own badge, then shows everything, escaped", async () => {
    const award = await t.earn(ADA, EVIL, "https://docs.example.org/ada-notes?a=1&b=2");

    expect(await t.say(IAN, "badge publish civic")).toBe("You have no badge for `civic`. Type `badges` to see yours.");
    expect(await t.say(MO, "badge publish civic")).toBe("Only interns can publish badges: each intern publishes their own.");
    expect(await t.say(CORA, "badge publish civic")).toBe("Only interns can publish badges: each intern publishes their own.");
    expect(await t.say(ADA, "badge publish second")).toBe("You have no badge for `second`. Type `badges` to see yours.");
    expect((await t.steps.store.award(award.id))!.published).toBe(false);

    expect(await t.say(ADA, "badges")).toBe(`Civic Explorer — Jun 17, 2026 (unlisted): ${t.url}/badges/${award.id}`);
    expect(await t.say(ADA, "badge publish civic")).toContain("Your Civic Explorer badge page is now public");
    expect(await t.say(ADA, "badge publish civic")).toContain("already public");
    expect(await t.say(ADA, "badges")).toBe(`Civic Explorer — Jun 17, 2026: ${t.url}/badges/${award.id}`);

    const page = await get(`/badges/${award.id}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = page.body;
    expect(html).toContain('<html lang="en">');
    expect(html).toContain("<h1>Civic Explorer</h1>");
    expect(html).toContain(`<img src="${t.url}/achievements/civic/image" alt="Civic Explorer badge">`);
    expect(html).toContain("Awarded to <strong>Ada Intern</strong> by Test City &lt;&amp; Co&gt; (Badge STEPS) on Jun 17, 2026.");
    expect(html).toContain("<h2>Criteria</h2>\n<p>Interviewed a city staff member, approved by a mentor.</p>");
    expect(html).toContain("<h3>Interview a city staff member</h3>");
    expect(html).toContain("<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;too&#39;</p>");
    expect(html).not.toContain("<script>");
    expect(html).toContain('<a href="https://docs.example.org/ada-notes?a=1&amp;b=2" rel="nofollow noopener noreferrer">');
    expect(html).toContain("<p>Approved by Mo Mentor on Jun 17, 2026</p>");
    const linkedIn = /href="(https:\/\/www\.linkedin\.com\/profile\/add\?[^"]+)"/.exec(html)![1]!.replaceAll("&amp;", "&");
    expect(Object.fromEntries(new URL(linkedIn).searchParams)).toEqual({
      startTask: "CERTIFICATION_NAME",
      name: "Civic Explorer",
      organizationName: "Test City <& Co>",
      issueYear: "2026",
      issueMonth: "6",
      certUrl: `${t.url}/badges/${award.id}`,
      certId: award.id,
    });

    const stored = t.steps.badges.stored((await t.steps.store.award(award.id))!)!;
    const json = await get(`/badges/${award.id}.json`);
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body)).toEqual(stored.credential);
    const jwt = await get(`/badges/${award.id}.jwt`);
    expect(jwt.status).toBe(200);
    expect(jwt.body).toBe(stored.jwt);
  });

  it("puts the badge link and the LinkedIn link in the award message", async () => {
    const award = await t.earn(BO);
    const message = (await t.inbox(BO)).find((m) => m.text.startsWith("You earned"));
    const text = toPlainText(message!);
    expect(text).toContain(`${t.url}/badges/${award.id}`);
    const link = message!.blocks.find((b) => b.type === "link" && b.label === "Add to LinkedIn profile");
    expect(link && "url" in link && new URL(link.url).searchParams.get("issueMonth")).toBe("6");
    expect(text).toContain("badge publish civic");
    const buttons = message!.blocks.find((b) => b.type === "buttons");
    expect(buttons).toEqual({ type: "buttons", buttons: [{ type: "button", action: "publish_badge", label: "Publish badge page", value: "civic", style: "primary" }] });
    // The button publishes through the core like the typed command, for the clicker only.
    await expect(act(t.steps.core, { action: "publish_badge", value: "civic", personId: (await t.person(MO)).id })).rejects.toThrow("Only interns can publish badges: each intern publishes their own.");
    expect((await act(t.steps.core, { action: "publish_badge", value: "civic", personId: (await t.person(BO)).id })).text).toContain("is now public");
    expect((await t.steps.store.award(award.id))!.published).toBe(true);
    const channel = await t.inbox("#announcements");
    expect(channel.map(toPlainText).filter((m) => m.includes(award.id))).toEqual([`Bo Intern earned the Civic Explorer badge!\nSee the badge: ${t.url}/badges/${award.id}`]);
  });

  it("lets only a coordinator revoke, and shows the revocation on the page and in verify", async () => {
    const award = await t.earn(CY, "my notes");
    await t.say(CY, "badge publish civic");
    expect(await t.say(MO, `revoke ${CY} civic wrong intern`)).toBe("Only coordinators can revoke badges.");
    expect(await t.say(CY, `revoke ${CY} civic wrong intern`)).toBe("Only coordinators can revoke badges.");
    expect(await t.say(CORA, `revoke ${IAN} civic wrong intern`)).toBe("ian.intern@example.org has no `civic` badge.");
    expect((await t.steps.store.award(award.id))!.revokedAt).toBeNull();

    t.setTime("2026-06-19T18:00:00Z");
    expect(await t.say(CORA, `revoke ${CY} civic <b>wrong</b> intern`)).toContain("Revoked Cy Intern's civic badge");
    expect(await t.say(CORA, `revoke ${CY} civic again`)).toBe("Cy Intern's civic badge was already revoked on Jun 19, 2026.\nReason: <b>wrong</b> intern");
    expect((await t.inbox(CY)).map(toPlainText).at(-1)).toBe("Your Civic Explorer badge was revoked by Cora Coordinator.\nReason: <b>wrong</b> intern");
    expect(await t.say(CY, "badges")).toContain("(revoked)");

    const page = (await get(`/badges/${award.id}`)).body;
    expect(page).toContain('<p class="revoked" role="alert"><strong>This badge was revoked on Jun 19, 2026.</strong> Reason: &lt;b&gt;wrong&lt;/b&gt; intern</p>');
    expect(page).not.toContain("linkedin.com");
    // The 1EdTech Revocation List Status Method's list, as its validator reads it.
    expect(JSON.parse((await get(`/badges/${award.id}/revocations`)).body)).toEqual({
      id: `${t.url}/badges/${award.id}/revocations`,
      issuer: `${t.url}/issuer`,
      revokedCredential: [{ id: `${t.url}/badges/${award.id}`, revoked: true, revocationReason: "<b>wrong</b> intern" }],
    });

    const dir = mkdtempSync(join(tmpdir(), "steps-verify-"));
    try {
      const file = join(dir, "badge.jwt");
      writeFileSync(file, (await get(`/badges/${award.id}.jwt`)).body);
      const lines: string[] = [];
      expect(await main(["verify", file, "--email", CY], (s) => lines.push(s))).toBe(1);
      expect(lines).toContain(`--   issuer: ${t.url}/issuer, which calls itself "Test City <& Co>" (use --issuer URL to require the issuer you expect)`);
      expect(lines).toContain("ok   signature: signed with the issuer's published key " + (await t.steps.badges.jwks()).keys[0]!.kid);
      expect(lines).toContain("ok   recipient: issued to cy.intern@example.org");
      expect(lines).toContain("FAIL revocation: revoked: <b>wrong</b> intern");
      expect(lines.at(-1)).toBe("Not valid: revocation check failed.");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("verifies a published badge from its page URL on the command line", async () => {
    const award = await t.earn(DEE);
    const lines: string[] = [];
    expect(await main(["verify", `${t.url}/badges/${award.id}`], (s) => lines.push(s))).toBe(1);
    expect(lines).toEqual([`Could not read ${t.url}/badges/${award.id}: ${t.url}/badges/${award.id}.jwt answered 404 (unpublished badges have no public credential)`]);
    await t.say(DEE, "badge publish civic");
    lines.length = 0;
    expect(await main(["verify", `${t.url}/badges/${award.id}`], (s) => lines.push(s))).toBe(0);
    expect(lines.map((l) => l.slice(0, 4))).toEqual(["ok  ", "--  ", "ok  ", "ok  ", "ok  ", "--  ", "ok  ", "Vali"]);
    lines.length = 0;
    expect(await main(["verify", `${t.url}/badges/${award.id}`, "--issuer", `${t.url}/issuer`], (s) => lines.push(s))).toBe(0);
    expect(lines).toContain(`ok   issuer: ${t.url}/issuer, as required`);
    lines.length = 0;
    expect(await main(["verify", `${t.url}/badges/${award.id}`, "--issuer", "https://city.example.org/issuer"], (s) => lines.push(s))).toBe(1);
    expect(lines).toContain(`FAIL issuer: issued by ${t.url}/issuer, not by https://city.example.org/issuer`);
    expect(lines.at(-1)).toBe("Not valid: issuer check failed.");
    lines.length = 0;
    expect(await main(["verify", `${t.url}/badges/${award.id}`, "--email", IAN], (s) => lines.push(s))).toBe(1);
    expect(lines).toContain(`FAIL recipient: not issued to ${IAN}`);
    lines.length = 0;
    const usage = "Usage: steps verify FILE|URL [--email ADDR] [--issuer URL], e.g. --issuer https://steps.example.org/issuer";
    expect(await main(["verify", `${t.url}/badges/${award.id}`, "--email"], (s) => lines.push(s))).toBe(2);
    expect(await main(["verify", `${t.url}/badges/${award.id}`, "--issuer", "not a url"], (s) => lines.push(s))).toBe(2);
    expect(await main(["verify", `${t.url}/badges/${award.id}`, "--issuer", "a", "--issuer", "b"], (s) => lines.push(s))).toBe(2);
    expect(lines).toEqual([usage, usage, usage]);
  });

  it("verifies a good and a tampered credential in the terminal's language", async () => {
    const award = await t.earn(ELI);
    await t.say(ELI, "badge publish civic");
    const jwt = (await get(`/badges/${award.id}.jwt`)).body.trim();
    const [header, payload, signature] = jwt.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8"));
    const tampered = [header, Buffer.from(JSON.stringify({ ...claims, name: "Forged Explorer" })).toString("base64url"), signature].join(".");
    const kid = (await t.steps.badges.jwks()).keys[0]!.kid;
    const dir = mkdtempSync(join(tmpdir(), "steps-verify-"));
    const verify = async (text: string, system: Record<string, string>) => {
      const file = join(dir, "badge.jwt");
      writeFileSync(file, text);
      const lines: string[] = [];
      const code = await main(["verify", file, "--email", ELI], (s) => lines.push(s), system);
      return { code, lines };
    };
    try {
      const es = await verify(jwt, { LANG: "es_MX.UTF-8" });
      expect(es.code).toBe(0);
      expect(es.lines[0]).toMatch(/^ok {3}formato: OpenBadgeCredential «.+»$/);
      expect(es.lines.slice(1, 3)).toEqual([
        `--   emisor: ${t.url}/issuer, que se hace llamar «Test City <& Co>» (usa --issuer URL para exigir el emisor que esperas)`,
        `ok   firma: firmada con la clave publicada del emisor ${kid}`,
      ]);
      expect(es.lines).toContain("ok   campos del JWT: iss, jti, sub y nbf coinciden con la credencial");
      expect(es.lines).toContain(`ok   destinatario: emitida a ${ELI}`);
      expect(es.lines.at(-2)).toBe("ok   revocación: no revocada");
      expect(es.lines.at(-1)).toBe("Válida.");

      expect((await verify(tampered, { LANG: "es_MX.UTF-8" })).lines).toEqual([
        "ok   formato: OpenBadgeCredential «Forged Explorer»",
        `--   emisor: ${t.url}/issuer, que se hace llamar «Test City <& Co>» (usa --issuer URL para exigir el emisor que esperas)`,
        `FAIL firma: la firma no coincide con la clave ${kid} del emisor: alguien cambió la credencial o la firmó otra persona`,
        ...["campos del JWT", "fechas", "destinatario", "revocación"].map((name) => `--   ${name}: sin comprobar`),
        "No es válida: falló la comprobación de firma.",
      ]);

      const en = await verify(jwt, { LC_ALL: "en_US.UTF-8", LANG: "es_MX.UTF-8" });
      expect(en.code).toBe(0);
      expect(en.lines).toContain(`ok   signature: signed with the issuer's published key ${kid}`);
      expect(en.lines).toContain("ok   claims: iss, jti, sub and nbf match the credential");
      expect(en.lines.at(-2)).toBe("ok   revocation: not revoked");
      expect(en.lines.at(-1)).toBe("Valid.");

      const forged = await verify(tampered, { LANG: "en_US.UTF-8" });
      expect(forged.code).toBe(1);
      expect(forged.lines).toEqual([
        'ok   format: OpenBadgeCredential "Forged Explorer"',
        `--   issuer: ${t.url}/issuer, which calls itself "Test City <& Co>" (use --issuer URL to require the issuer you expect)`,
        `FAIL signature: the signature does not match the issuer's key ${kid}: the credential was changed or signed by someone else`,
        ...["claims", "dates", "recipient", "revocation"].map((name) => `--   ${name}: not checked`),
        "Not valid: signature check failed.",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves the issuer profile, its public keys, achievements and images", async () => {
    const issuer = await get("/issuer");
    expect(issuer.headers.get("link")).toBe(`<${t.url}/issuer/jwks.json>; rel="jwks"`);
    expect(JSON.parse(issuer.body)).toEqual({
      "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
      id: `${t.url}/issuer`,
      type: ["Profile"],
      name: "Test City <& Co>",
      description: "Badge STEPS",
      url: "https://city.example.org",
    });
    const jwks = JSON.parse((await get("/issuer/jwks.json")).body) as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
    const kidPath = new URL(jwks.keys[0]!.kid!).pathname;
    expect(JSON.parse((await get(kidPath)).body)).toEqual(jwks.keys[0]);
    expect((await get("/issuer/keys/" + "x".repeat(43))).status).toBe(404);

    expect(JSON.parse((await get("/achievements/civic")).body)).toMatchObject({ id: `${t.url}/achievements/civic`, type: ["Achievement"], name: "Civic Explorer" });
    const image = await get("/achievements/civic/image");
    expect(image.status).toBe(200);
    expect(image.type).toBe("image/svg+xml");
    expect(image.body).toContain("<svg");
    expect((await get("/achievements/second/image")).status).toBe(404);
    expect((await get("/achievements/nope")).status).toBe(404);
    expect((await get("/achievements/../../etc/passwd")).status).toBe(404);
  });

  it("answers 404 for unknown or malformed badge addresses", async () => {
    const missing = await get(`/badges/${"A".repeat(24)}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("<h1>Badge not found</h1>");
    for (const path of [`/badges/${"A".repeat(24)}.json`, `/badges/${"A".repeat(24)}.jwt`, `/badges/${"A".repeat(24)}/revocations`, "/badges/short", "/badges/<script>", `/badges/${"A".repeat(24)}.xml`]) {
      expect((await get(path)).status, path).toBe(404);
    }
  });
});
