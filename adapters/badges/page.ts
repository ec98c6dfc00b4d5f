import type { Program } from "../../src/program/program.ts";
import type { Playlist } from "../../src/program/schema.ts";
import type { Award, Person } from "../../src/store.ts";
import { formatDay } from "../../src/time.ts";

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

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
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
}

/** An unlisted badge: the page admits the badge exists and nothing else (no name, no intern, no evidence). */
export function unpublishedPage(award: Pick<Award, "revokedAt">): string {
  const revoked = award.revokedAt ? `\n<p class="revoked" role="alert">This badge has been revoked.</p>` : "";
  return layout(
    "Badge",
    `<h1>Badge</h1>
<p>This badge exists, but its owner has not made it public.</p>${revoked}
<p>If it is yours, type <code>badge publish &lt;playlist&gt;</code> in Steps to show it here.</p>`,
  );
}

export function badgePage(input: BadgePageInput): string {
  const { program, playlist, award, intern } = input;
  const tz = program.timeZone;
  const issuer = program.file.program.organization;
  const badge = playlist.badge.name;
  const revoked = award.revokedAt
    ? `<p class="revoked" role="alert"><strong>This badge was revoked on ${escapeHtml(formatDay(award.revokedAt, tz))}.</strong> Reason: ${escapeHtml(award.revokedReason ?? "none given")}</p>`
    : "";
  const evidence = award.evidence.map((e) => {
    const href = e.link ? safeHref(e.link) : undefined;
    const link = href ? `\n<p><a href="${escapeHtml(href)}" rel="nofollow noopener noreferrer">${escapeHtml(e.link!)}</a></p>` : e.link ? `\n<p>${escapeHtml(e.link)}</p>` : "";
    const note = e.note ? `\n<p>${escapeHtml(e.note)}</p>` : "";
    const approval = `Approved by ${e.approvedBy || "a program approver"} on ${formatDay(new Date(e.approvedAt), tz)}`;
    return `<li>
<h3>${escapeHtml(e.title)}</h3>${note}${link}
<p>${escapeHtml(approval)}</p>
</li>`;
  });
  // Where other issuers hold it (Credly), once they do: the page links there.
  const elsewhere = Object.entries(award.elsewhere ?? {}).flatMap(([issuer, e]) => {
    const href = e.state === "issued" && e.url ? safeHref(e.url) : undefined;
    return href ? [`<a href="${escapeHtml(href)}">${escapeHtml(`${issuer.charAt(0).toUpperCase()}${issuer.slice(1)}`)}</a>`] : [];
  });
  const alsoAt = elsewhere.length && !award.revokedAt ? `\n<p>Also issued through ${elsewhere.join(" and ")}.</p>` : "";
  const verify = input.signed
    ? `<p>This is an Open Badges 3.0 credential signed by ${escapeHtml(issuer)}: <a href="${escapeHtml(input.jsonUrl)}">credential (JSON)</a>, <a href="${escapeHtml(input.jwtUrl)}">signed credential (VC-JWT)</a>.</p>${alsoAt}`
    : elsewhere.length
      ? `<p>This badge is issued through ${elsewhere.join(" and ")}, where it can be verified.</p>`
      : Object.values(award.elsewhere ?? {}).some((e) => e.state === "queued")
        ? `<p>This badge is being issued through another service; its link appears here once it has been.</p>`
        : `<p>This badge has no credential to verify yet: the program's coordinators know why.</p>`;
  const share = award.revokedAt
    ? ""
    : `<h2>Share</h2>
<p><a href="${escapeHtml(input.addToProfileUrl)}">Add to LinkedIn profile</a></p>
`;
  return layout(
    `${badge} — ${intern.name}`,
    `<h1>${escapeHtml(badge)}</h1>
${revoked}
<img src="${escapeHtml(input.imageUrl)}" alt="${escapeHtml(`${badge} badge`)}">
<p>Awarded to <strong>${escapeHtml(intern.name)}</strong> by ${escapeHtml(issuer)} (${escapeHtml(program.name)}) on ${escapeHtml(formatDay(award.awardedAt, tz))}.</p>
<h2>Criteria</h2>
<p>${escapeHtml(playlist.badge.criteria)}</p>
<h2>Evidence</h2>
<ul>
${evidence.join("\n")}
</ul>
${share}<h2>Verify</h2>
${verify}`,
  );
}

export function notFoundPage(): string {
  return layout("Badge not found", `<h1>Badge not found</h1>\n<p>There is no badge at this address. Check the link you were given.</p>`);
}
