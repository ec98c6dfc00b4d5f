import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { extname } from "node:path";
import { contentPolicy } from "../http.ts";
import { achievementOf, CONTEXTS, issuerProfile, programPath, revocationList } from "../../src/badges/credential.ts";
import { createBadgeIssuer, type BadgeIssuer } from "../../src/badges/issuer.ts";
import { addToProfileUrl } from "../../src/badges/linkedin.ts";
import { programLanguage, readerLanguage, speak } from "../language.ts";
import type { AdapterContext, PlatformAdapter } from "../platform.ts";
import { badgePage, notFoundPage, unpublishedPage } from "./page.ts";

const IMAGE_TYPES: Record<string, string> = { ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp" };
/** Award ids are 18 random bytes in base64url; anything else is not a badge. */
const BADGE_PATH = /^\/badges\/([A-Za-z0-9_-]{24})(\.json|\.jwt|\/revocations)?$/;
const SLUG_PATH = /^\/achievements\/([a-z0-9-]+)(\/image)?$/;
const THUMBPRINT_PATH = /^\/issuer\/keys\/([A-Za-z0-9_-]{43})$/;
/** A program's own addresses: /programs/<id> then what the first program has at the root. */
const PROGRAM_PATH = /^\/programs\/([a-z0-9-]+)(\/.*)?$/;

type Handler = (owner: BadgeIssuer, res: ServerResponse, thumbprint?: string) => void | Promise<void>;

/**
 * Public badge pages and the Open Badges documents they point at. Not a chat
 * platform: configured() is false so it never counts as one, but its routes
 * are always served because every credential links here.
 */
const badges: PlatformAdapter = {
  name: "badges",
  configured: () => false,
  async start(context: AdapterContext) {
    const { core, store, env, routes } = context;
    const { program } = core;
    const baseUrl = core.options.baseUrl;
    // Each program's issuer, at its own addresses: the first one's at the root (see programPath).
    const issuers = new Map(core.cores().list.map((c) => [c.program.id, createBadgeIssuer({ program: c.program, store, baseUrl, path: programPath(c.program.id, c.program.id === program.id), raw: env.raw })]));
    const issuer = issuers.get(program.id)!;

    // OB 3.0 has no Profile property for keys, so the profile points at its key set with a Link header.
    const profile: Handler = (owner, res) => json(res, 200, { "@context": CONTEXTS, ...issuerProfile(owner.program, owner.urls) }, "application/ld+json", { link: `<${owner.urls.jwks}>; rel="jwks"` });
    const jwks: Handler = async (owner, res) => json(res, 200, await owner.jwks(), "application/jwk-set+json");
    const key: Handler = async (owner, res, thumbprint) => {
      const found = (await owner.jwks()).keys.find((k) => thumbprint && k.kid === owner.urls.key(thumbprint));
      return found ? json(res, 200, found, "application/jwk+json") : json(res, 404, { error: "no such key" });
    };
    const achievement = async (owner: BadgeIssuer, res: ServerResponse, slug: string | undefined, image: string | undefined) => {
      const playlist = slug ? owner.program.playlist(slug) : undefined;
      if (!playlist) return json(res, 404, { error: "no such achievement" });
      if (!image) return json(res, 200, { "@context": CONTEXTS, ...achievementOf(playlist, owner.urls) });
      // Absolute since the program was read (readProgram): relative to its own file.
      const file = playlist.badge.image;
      const body = await readFile(file).catch(() => undefined);
      if (!body) {
        context.log.warn("badge image missing", { program: owner.program.id, playlist: slug, file });
        return json(res, 404, { error: "no image" });
      }
      res.writeHead(200, {
        "content-type": IMAGE_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
        // An SVG opened on its own is a document: no scripts, whatever the file holds.
        "content-security-policy": contentPolicy("default-src 'none'; style-src 'unsafe-inline'"),
        "cache-control": "public, max-age=3600",
      });
      res.end(body);
    };

    routes.add("GET", "/issuer", (_req, res) => profile(issuer, res));
    routes.add("GET", "/issuer/jwks.json", (_req, res) => jwks(issuer, res));
    routes.add("GET", "/issuer/keys/*", (req, res) => key(issuer, res, THUMBPRINT_PATH.exec(path(req.url))?.[1]));
    routes.add("GET", "/achievements/*", (req, res) => {
      const [, slug, image] = SLUG_PATH.exec(path(req.url)) ?? [];
      return achievement(issuer, res, slug, image);
    });
    // Every other program's issuer and achievements; the first program's live only at the root, one address each.
    routes.add("GET", "/programs/*", (req, res) => {
      const [, id, rest] = PROGRAM_PATH.exec(path(req.url)) ?? [];
      const owner = id && id !== program.id ? issuers.get(id) : undefined;
      if (!owner || !rest) return json(res, 404, { error: "no such program" });
      if (rest === "/issuer") return profile(owner, res);
      if (rest === "/issuer/jwks.json") return jwks(owner, res);
      const thumbprint = THUMBPRINT_PATH.exec(rest);
      if (thumbprint) return key(owner, res, thumbprint[1]);
      const slug = SLUG_PATH.exec(rest);
      if (slug) return achievement(owner, res, slug[1], slug[2]);
      return json(res, 404, { error: "no such address" });
    });

    routes.add("GET", "/badges/*", async (req, res) => {
      const [, id, suffix] = BADGE_PATH.exec(path(req.url)) ?? [];
      // Whoever opens a badge page reads it in their browser's language when Steps speaks it.
      const asked = (otherwise: string) => speak(core.t, readerLanguage(req, core.languages, otherwise));
      const award = id ? await store.award(id) : undefined;
      // A badge is its intern's program's: its playlist, organization and time zone.
      const intern = award && (await store.personById(award.personId));
      const owner = intern ? core.cores().of(intern).program : program;
      const playlist = award && owner.playlist(award.playlist);
      if (!award || !playlist) return suffix ? json(res, 404, { error: "no such badge" }) : html(res, 404, notFoundPage(asked(programLanguage(core))));
      const urls = (issuers.get(owner.id) ?? issuer).urls;
      const stored = issuer.stored(award);
      switch (suffix) {
        case "/revocations":
          // Answered even before publication: it says only whether this one credential is revoked,
          // in the name of the issuer that signed it (a credential's own issuer id wins over today's address).
          return json(res, 200, revocationList(urls.status(award.id), stored?.credential.issuer.id ?? urls.issuer, award.revokedAt ? { id: urls.badge(award.id), reason: award.revokedReason } : null));
        case ".json":
          if (!award.published || !stored) return json(res, 404, { error: "this badge is not public" });
          return json(res, 200, stored.credential, "application/ld+json");
        case ".jwt":
          if (!award.published || !stored) return json(res, 404, { error: "this badge is not public" });
          res.writeHead(200, { "content-type": "application/jwt", "access-control-allow-origin": "*" });
          return void res.end(stored.jwt);
      }
      if (!award.published) return html(res, 200, unpublishedPage(award, asked(programLanguage(core))), { "x-robots-tag": "noindex" });
      if (!intern) return html(res, 404, notFoundPage(asked(programLanguage(core))));
      const url = urls.badge(award.id);
      return html(res, 200, badgePage({
        program: owner,
        playlist,
        award,
        intern,
        imageUrl: urls.image(playlist.slug),
        jsonUrl: `${url}.json`,
        jwtUrl: `${url}.jwt`,
        signed: stored !== undefined,
        words: asked(core.languageOf(intern)),
        addToProfileUrl: addToProfileUrl({ name: playlist.badge.name, organization: owner.file.program.organization, issuedAt: award.awardedAt, timeZone: owner.timeZone, url, id: award.id }),
      }));
    });
    return {};
  },
};

export default badges;

function path(url: string | undefined): string {
  return (url ?? "/").split("?")[0]!;
}

function json(res: ServerResponse, status: number, body: unknown, type = "application/json", headers: Record<string, string> = {}): void {
  // Verifiers in browsers fetch these documents from other origins.
  res.writeHead(status, { "content-type": `${type}; charset=utf-8`, "access-control-allow-origin": "*", ...headers });
  res.end(JSON.stringify(body, null, 2));
}

function html(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": contentPolicy("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"),
    // Each page is in the language the browser asks for: a cache must keep one per language.
    vary: "Accept-Language",
    ...headers,
  });
  res.end(body);
}
