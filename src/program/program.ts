import type { Playlist, ProgramFile, Task } from "./schema.ts";

export type Role = "intern" | "mentor" | "coordinator";

/** A validated program file with the look-ups the core needs. */
export interface Program {
  /** The file's name without `.yml`: how data is keyed and how a person names the program (`done early-learning/field-hours`). */
  readonly id: string;
  readonly file: ProgramFile;
  readonly name: string;
  readonly timeZone: string;
  playlist(slug: string): Playlist | undefined;
  /** The playlist and task for a task slug (task slugs are unique program-wide). */
  task(slug: string): { playlist: Playlist; task: Task } | undefined;
  taskSlugs(): string[];
  /** Playlists an intern in this department works through by default (advanced ones are opt-in). */
  playlistsFor(department: string | null): Playlist[];
  /** Whether an intern in this department may work on this playlist at all. */
  isOpenTo(playlist: Playlist, department: string | null): boolean;
  departmentName(slug: string): string | undefined;
  /** Approver roles beyond mentor and coordinator that the tasks name (e.g. `coach`), each filled from the roster column `<role>_email`. */
  approverRoles(): string[];
}

/** Approver roles the core itself knows; any other a task names is filled per intern from the roster. */
export const BUILT_IN_APPROVERS = ["mentor", "coordinator"];

/** `id` defaults to "" for a program that is the only one (tests, a single file). */
export function createProgram(file: ProgramFile, id = ""): Program {
  const playlists = new Map(file.playlists.map((p) => [p.slug, p]));
  const tasks = new Map<string, { playlist: Playlist; task: Task }>();
  for (const playlist of file.playlists) for (const task of playlist.tasks) tasks.set(task.slug, { playlist, task });
  const departments = new Map(file.departments.map((d) => [d.slug, d.name]));

  const isOpenTo = (p: Playlist, department: string | null) =>
    p.scope === "program" || p.scope.department === department;

  const roles = [...new Set(file.playlists.flatMap((p) => p.tasks.map((t) => t.approver)))].filter((r) => !BUILT_IN_APPROVERS.includes(r));

  return {
    id,
    file,
    name: file.program.name,
    timeZone: file.program.time_zone,
    playlist: (slug) => playlists.get(slug),
    task: (slug) => tasks.get(slug),
    taskSlugs: () => [...tasks.keys()],
    playlistsFor: (department) => file.playlists.filter((p) => !p.advanced && isOpenTo(p, department)),
    isOpenTo,
    departmentName: (slug) => departments.get(slug),
    approverRoles: () => roles,
  };
}

/** How many units a requirement needs: tasks count completions, hour tasks count minutes. */
export function requiredUnits(task: Task): number {
  const r = task.requirement;
  if (r === "once") return 1;
  if ("count" in r) return r.count;
  return Math.round(r.hours * 60);
}

export function isHours(task: Task): boolean {
  return typeof task.requirement === "object" && "hours" in task.requirement;
}
