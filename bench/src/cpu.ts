import { readFileSync } from 'node:fs';

/**
 * CPU time (user + system) a process has used, in microseconds, from /proc/<pid>/stat. The proxy's
 * CPU per request is the steadiest figure on a shared machine: it does not depend on how much CPU
 * the load generator and the upstream left over. Returns undefined where /proc does not exist.
 */
export function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux architecture Node supports (the kernel exports it so to user space). */
const CLOCK_TICKS_PER_SECOND = 100;
