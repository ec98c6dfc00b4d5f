import { readdirSync, readFileSync } from "node:fs";

// CPU seconds (user + system) of processes, read from Linux's /proc, so a
// benchmark can say where a run's CPU went: the app under test, the database,
// the fakes and the load generator share the same cores. Elsewhere it reads 0.

const TICKS_PER_SECOND = 100;

function cpuOfPid(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU seconds of every PostgreSQL server process; backends that exited since are lost, so read it while they run. */
function postgresCpu(): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres") total += cpuOfPid(pid);
    } catch {
      // gone in between
    }
  }
  return total;
}

export interface CpuReading {
  [part: string]: number;
}

/** One reading of the named processes, this process and PostgreSQL. */
export function readCpu(pids: Record<string, number | undefined>): CpuReading {
  const self = process.cpuUsage();
  const reading: CpuReading = { loadgen: (self.user + self.system) / 1e6, postgres: postgresCpu() };
  for (const [name, pid] of Object.entries(pids)) reading[name] = pid === undefined ? 0 : cpuOfPid(pid);
  return reading;
}

/** Milliseconds of CPU per operation for each part between two readings. */
export function cpuPerOperation(before: CpuReading, after: CpuReading, operations: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, ((after[k]! - (before[k] ?? 0)) * 1000) / operations]));
}
