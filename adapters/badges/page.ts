import type { Program } from "../../src/program/program.ts";
import type { Playlist } from "../../src/program/schema.ts";
import type { Award, Person } from "../../src/store.ts";
import { formatDay } from "../../src/time.ts";
import type { Spoken } from "../language.ts";
import { inline } from "../web/render.ts";

/** Everything shown on a page goes through here: names, notes and reasons are typed by people. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Only web links become hrefs; anything else stays text. */
function safeHref(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
img{width:10rem;height:auto}.revoked{border:2px solid #a00;padding:.5rem 1rem;color:#700}
ul{padding-left:1.2rem}li{margin-bottom:1rem}a{color:#0645ad}`;

function layout(lang: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface BadgePageInput {
  program: Program;
  playlist: Playlist;
  award: Award;
  intern: Person;
  imageUrl: string;
  jsonUrl: string;
  jwtUrl: string;
  addToProfileUrl: string;
  /** False when the playlist's badge is issued elsewhere only (`issue: { self: false }`): Steps signed no credential. */
  signed: boolean;
  /** The viewer's language when Steps speaks it, else the intern's. */
  words: Spoken;
}

/** An unlisted badge: the page admits the badge exists and nothing else (no name, no intern, no evidence). */
export function unpublishedPage(award: Pick<Award, "revokedAt">, { language: lang, say }: Spoken): string {
  const revoked = award.revokedAt ? `\n<p class="revoked" role="alert">${escapeHtml(say("badge_page.unlisted_revoked"))}</p>` : "";
  return layout(
    lang,
    say("badge_page.unlisted_title"),
    `<h1>${escapeHtml(say("badge_page.unlisted_title"))}</h1>
<p>${escapeHtml(say("badge_page.unlisted"))}</p>${revoked}
<p>${inline(say("badge_page.unlisted_hint"))}</p>`,
  );
}

export function badgePage(input: BadgePageInput): string {
  const { program, playlist, award, intern } = input;
  const { language: lang, say } = input.words;
  const sayHtml = (key: string, values?: Parameters<typeof say>[1]) => escapeHtml(say(key, values));
  const tz = program.timeZone;
  const issuer = program.file.program.organization;
  const badge = playlist.badge.name;
  const revoked = award.revokedAt
    ? `<p class="revoked" role="alert"><strong>${sayHtml("badge_page.revoked", { day: formatDay(award.revokedAt, tz, lang) })}</strong>${award.revokedReason ? ` ${sayHtml("badge_page.revoked_reason", { reason: award.revokedReason })}` : ""}</p>`
    : "";
  const evidence = award.evidence.map((e) => {
    const href = e.link ? safeHref(e.link) : undefined;
    const link = href ? `\n<p><a href="${escapeHtml(href)}" rel="nofollow noopener noreferrer">${escapeHtml(e.link!)}</a></p>` : e.link ? `\n<p>${escapeHtml(e.link)}</p>` : "";
    const note = e.note ? `\n<p>${escapeHtml(e.note)}</p>` : "";
    const day = formatDay(new Date(e.approvedAt), tz, lang);
    const approval = e.approvedBy ? say("badge_page.approved", { approver: e.approvedBy, day }) : say("badge_page.approved_unnamed", { day });
    return `<li>
<h3>${escapeHtml(e.title)}</h3>${note}${link}
<p>${escapeHtml(approval)}</p>
</li>`;
  });
  // Where other issuers hold it (Credly), once they do: the page links there.
  const elsewhere = Object.entries(award.elsewhere ?? {}).flatMap(([issuer, held]) => {
    const href = held.state === "issued" && held.url ? safeHref(held.url) : undefined;
    return href ? [`<a href="${escapeHtml(href)}">${escapeHtml(`${issuer.charAt(0).toUpperCase()}${issuer.slice(1)}`)}</a>`] : [];
  });
  // "Credly and X" in the page's language, each name a link: the list is formatted around markers the links then replace.
  const services = (key: string) =>
    sayHtml(key, { services: new Intl.ListFormat(lang, { type: "conjunction" }).format(elsewhere.map((_, i) => `\u0001${i}\u0001`)) }).replace(/\u0001(\d+)\u0001/g, (_, i: string) => elsewhere[Number(i)]!);
  const alsoAt = elsewhere.length && !award.revokedAt ? `\n<p>${services("badge_page.also_issued")}</p>` : "";
  const verify = input.signed
    ? `<p>${sayHtml("badge_page.verify_text", { issuer })} <a href="${escapeHtml(input.jsonUrl)}">${sayHtml("badge_page.json")}</a>, <a href="${escapeHtml(input.jwtUrl)}">${sayHtml("badge_page.jwt")}</a>.</p>${alsoAt}`
    : elsewhere.length
      ? `<p>${services("badge_page.issued_elsewhere")}</p>`
      : Object.values(award.elsewhere ?? {}).some((x) => x.state === "queued")
        ? `<p>${sayHtml("badge_page.issuing_elsewhere")}</p>`
        : `<p>${sayHtml("badge_page.no_credential")}</p>`;
  const share = award.revokedAt
    ? ""
    : `<h2>${sayHtml("badge_page.share")}</h2>
<p><a href="${escapeHtml(input.addToProfileUrl)}">${sayHtml("badge_page.linkedin")}</a></p>
`;
  // The intern's name is set in bold inside a translated sentence: a placeholder keeps the sentence whole.
  const [before, after] = say("badge_page.awarded", { intern: "\u0000", issuer, program: program.name, day: formatDay(award.awardedAt, tz, lang) }).split("\u0000");
  return layout(
    lang,
    say("badge_page.title", { badge, intern: intern.name }),
    `<h1>${escapeHtml(badge)}</h1>
${revoked}
<img src="${escapeHtml(input.imageUrl)}" alt="${sayHtml("badge_page.image", { badge })}">
<p>${escapeHtml(before ?? "")}<strong>${escapeHtml(intern.name)}</strong>${escapeHtml(after ?? "")}</p>
<h2>${sayHtml("badge_page.criteria")}</h2>
<p>${escapeHtml(playlist.badge.criteria)}</p>
<h2>${sayHtml("badge_page.evidence")}</h2>
<ul>
${evidence.join("\n")}
</ul>
${share}<h2>${sayHtml("badge_page.verify")}</h2>
${verify}`,
  );
}

export function notFoundPage({ language: lang, say }: Spoken): string {
  return layout(lang, say("badge_page.not_found_title"), `<h1>${escapeHtml(say("badge_page.not_found_title"))}</h1>\n<p>${escapeHtml(say("badge_page.not_found"))}</p>`);
}
