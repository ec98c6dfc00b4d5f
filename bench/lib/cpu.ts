import { existsSync, readdirSync, readFileSync } from "node:fs";

// CPU seconds (user + system) of processes, read from Linux's /proc, so a
// benchmark can say where a run's CPU went: the app under test, the database,
// the fakes and the load generator share the same cores. Where there is no
// /proc (macOS), only this process is measured; the others are "n/a".

const TICKS_PER_SECOND = 100;
const HAS_PROC = existsSync("/proc/self/stat");

function cpuOfPid(pid: number | string): number | undefined {
  if (!HAS_PROC) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU seconds of every PostgreSQL server process; backends that exited since are lost, so read it while they run. */
function postgresCpu(): number | undefined {
  if (!HAS_PROC) return undefined;
  let total = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres") total += cpuOfPid(pid) ?? 0;
    } catch {
      // gone in between
    }
  }
  return total;
}

/** Seconds by part; undefined where it cannot be read here. */
export interface CpuReading {
  [part: string]: number | undefined;
}

/** One reading of the named processes, this process and PostgreSQL. */
export function readCpu(pids: Record<string, number | undefined>): CpuReading {
  const self = process.cpuUsage();
  const reading: CpuReading = { loadgen: (self.user + self.system) / 1e6, postgres: postgresCpu() };
  for (const [name, pid] of Object.entries(pids)) reading[name] = pid === undefined ? 0 : cpuOfPid(pid);
  return reading;
}

/** Milliseconds of CPU per operation for each part between two readings; undefined where either was not read. */
export function cpuPerOperation(before: CpuReading, after: CpuReading, operations: number): CpuReading {
  return Object.fromEntries(
    Object.keys(after).map((k) => {
      const [a, b] = [after[k], before[k]];
      return [k, a === undefined || b === undefined ? undefined : ((a - b) * 1000) / operations];
    }),
  );
}

/** "app 0.52, postgres n/a, …" */
export function cpuLine(cpu: CpuReading): string {
  return Object.entries(cpu)
    .map(([part, v]) => `${part} ${v === undefined ? "n/a" : v.toFixed(2)}`)
    .join(", ");
}
