/** CPU seconds and peak RSS of a process, from /proc (Linux): VmHWM is the kernel's own high-water mark. */
import fs from 'node:fs';

const TICKS_PER_SECOND = 100;

export interface ProcStats {
  cpuSeconds: number;
  peakRssMb: number;
}

export function readProcStats(pid: number): ProcStats | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return { cpuSeconds: (utime + stime) / TICKS_PER_SECOND, peakRssMb: Number(hwm ?? 0) / 1024 };
  } catch {
    return undefined;
  }
}

/** The server a supervised guardian runs: its child process. */
export function childPid(pid: number): number | undefined {
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    return children.find((c) => Number.isFinite(c) && c > 0);
  } catch {
    return undefined;
  }
}
