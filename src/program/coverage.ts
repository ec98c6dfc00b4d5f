import type { ProgramFile } from "./schema.ts";

export interface RecordedWork {
  playlist: string;
  task: string;
  count: number;
}

/**
 * Recorded work an edited program file no longer describes, one human line per
 * playlist/task, so a coordinator sees what a reload would orphan. Records are
 * never deleted; the lines say so to make the edit safe to go ahead with.
 */
export function uncoveredRecords(file: ProgramFile, recorded: readonly RecordedWork[]): string[] {
  const playlists = new Map(file.playlists.map((p) => [p.slug, new Set(p.tasks.map((t) => t.slug))]));
  const homeOf = new Map<string, string>();
  for (const p of file.playlists) for (const t of p.tasks) homeOf.set(t.slug, p.slug);

  const lines: string[] = [];
  for (const { playlist, task, count } of merge(recorded)) {
    const tasks = playlists.get(playlist);
    if (tasks?.has(task)) continue;
    const subject = `${count} ${count === 1 ? "record" : "records"} for task "${task}" in playlist "${playlist}"`;
    const home = homeOf.get(task);
    // A record names the playlist it was made under, so a moved task leaves its records behind.
    const reason = !tasks
      ? "the program file no longer has this playlist"
      : home
        ? `the program file moved this task to playlist "${home}"`
        : "the program file no longer has this task";
    lines.push(`${subject}: ${reason} (kept, not deleted)`);
  }
  return lines;
}

/** Sums duplicate rows and orders them, so the report is stable whatever the query returned. */
function merge(recorded: readonly RecordedWork[]): RecordedWork[] {
  const sums = new Map<string, RecordedWork>();
  for (const r of recorded) {
    if (r.count <= 0) continue;
    const key = JSON.stringify([r.playlist, r.task]);
    const seen = sums.get(key);
    if (seen) seen.count += r.count;
    else sums.set(key, { ...r });
  }
  return [...sums.values()].sort((a, b) => a.playlist.localeCompare(b.playlist) || a.task.localeCompare(b.task));
}
