import { isHours, requiredUnits } from "../program/program.ts";
import type { Playlist, Task } from "../program/schema.ts";
import type { Submission } from "../store.ts";

export interface TaskProgress {
  task: Task;
  /** Completions, or minutes for an hours task. */
  required: number;
  approved: number;
  pending: number;
  complete: boolean;
}

export interface PlaylistProgress {
  playlist: Playlist;
  tasks: TaskProgress[];
  percent: number;
  complete: boolean;
  pendingCount: number;
  started: boolean;
}

/** Progress on one playlist from an intern's submissions: approved work counts, pending work is shown apart. */
export function playlistProgress(playlist: Playlist, submissions: readonly Submission[]): PlaylistProgress {
  const mine = submissions.filter((s) => s.playlist === playlist.slug);
  const tasks = playlist.tasks.map((task): TaskProgress => {
    const required = requiredUnits(task);
    let approved = 0;
    let pending = 0;
    for (const s of mine) {
      if (s.task !== task.slug) continue;
      if (s.status === "approved") approved += s.units;
      else if (s.status === "pending") pending += s.units;
    }
    return { task, required, approved, pending, complete: approved >= required };
  });
  const share = tasks.reduce((sum, t) => sum + Math.min(1, t.approved / t.required), 0) / tasks.length;
  return {
    playlist,
    tasks,
    percent: Math.floor(share * 100),
    complete: tasks.every((t) => t.complete),
    pendingCount: mine.filter((s) => s.status === "pending").length,
    started: mine.length > 0,
  };
}

/** Amounts in the unit a person thinks in: completions, or hours for hours tasks. */
export function displayUnits(task: Task, units: number): number {
  return isHours(task) ? Math.round((units / 60) * 10) / 10 : units;
}
