/**
 * "Did you mean …?" for things people type: verbs, task slugs, departments.
 * Interns type on phones, so transpositions count as one slip, and a prefix
 * ("interview") is as good a hint as a typo.
 */
export function closest(input: string, candidates: string[], max = 3): string[] {
  const needle = input.trim().toLowerCase();
  if (needle === "" || max <= 0) return [];
  const limit = Math.max(2, Math.floor(needle.length / 3));
  const scored: { candidate: string; score: number; prefix: boolean }[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    if (seen.has(candidate)) continue;
    seen.add(candidate);
    const hay = candidate.toLowerCase();
    const prefix = hay.startsWith(needle) || needle.startsWith(hay);
    const substring = prefix || hay.includes(needle);
    // The length gap is a lower bound on the distance; skipping early keeps
    // a pasted essay from costing a full table per candidate.
    const withinReach = Math.abs(hay.length - needle.length) <= limit;
    const distance = withinReach ? editDistance(needle, hay) : Infinity;
    if (distance > limit && !substring) continue;
    // A prefix reads like "you stopped typing early"; rank it with one-letter typos.
    const score = prefix ? Math.min(distance, 1) : substring ? Math.min(distance, 2) : distance;
    scored.push({ candidate, score, prefix });
  }
  scored.sort(
    (a, b) =>
      a.score - b.score ||
      Number(b.prefix) - Number(a.prefix) ||
      a.candidate.length - b.candidate.length ||
      (a.candidate < b.candidate ? -1 : a.candidate > b.candidate ? 1 : 0),
  );
  return scored.slice(0, max).map((s) => s.candidate);
}

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  const width = t.length + 1;
  // Three rolling rows are enough: a transposition looks back two rows.
  let before = new Array<number>(width).fill(0);
  let previous = Array.from({ length: width }, (_, j) => j);
  let current = new Array<number>(width).fill(0);
  for (let i = 1; i <= s.length; i++) {
    current[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[t.length]!;
}
