import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Child {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Every child spawned here and not yet exited, including those still starting. */
const live = new Set<ChildProcess>();

/** How long a child has after SIGTERM before it is killed (the proxy drains for up to 10 s). */
const STOP_GRACE_MS = 3000;

/** Set once everything is being stopped: no child may start after that, or it would be missed. */
let closed = false;
const stopping = new WeakMap<ChildProcess, Promise<void>>();

/**
 * SIGTERM, then SIGKILL after the grace period; resolves once the child has exited (and is reaped).
 * Idempotent: a signal handler and the run's own clean-up may both stop the same child.
 */
function stopProcess(proc: ChildProcess): Promise<void> {
  let stopped = stopping.get(proc);
  if (stopped === undefined) {
    stopped = new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return resolve();
      const kill = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill('SIGTERM');
    });
    stopping.set(proc, stopped);
  }
  return stopped;
}

/**
 * Stops every child still running, including one still starting, whatever state the run is in (a
 * signal or a closed stdout arrives at any moment). No child can be started afterwards.
 */
export async function stopAllChildren(): Promise<void> {
  closed = true;
  await Promise.all([...live].map(stopProcess));
}

/** SIGKILLs every child still running at once: a second signal means "now". */
export function killAllChildren(): void {
  for (const proc of live) proc.kill('SIGKILL');
}

/** Starts a node script and resolves with the first JSON stdout line that `pick` accepts. */
export async function startNode<T>(
  script: string,
  args: readonly string[],
  pick: (line: Record<string, unknown>) => T | undefined,
): Promise<{ child: Child; value: T }> {
  if (closed) throw new Error(`${script}: not started, the benchmark is stopping`);
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  proc.once('error', () => live.delete(proc)); // never spawned: nothing to stop
  const child: Child = { process: proc, stop: () => stopProcess(proc) };
  const value = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not yet in the caller's list of children: stopped here, or it would outlive the bench.
      proc.kill('SIGKILL');
      reject(new Error(`${script} did not start within 15 s`));
    }, 15_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    proc.once('exit', (code, signal) => fail(new Error(`${script} exited with ${String(code ?? signal)}`)));
    proc.once('error', fail);
    if (proc.stdout === null) return fail(new Error('no stdout'));
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      try {
        const found = pick(JSON.parse(line) as Record<string, unknown>);
        if (found !== undefined) {
          clearTimeout(timer);
          // Stop parsing: the proxy's access log would otherwise cost this process (which also runs
          // the load generator) a JSON.parse per request. The rest is drained unread below.
          lines.close();
          resolve(found);
        }
      } catch {
        // not JSON: ignore
      }
    });
  });
  // Drained, never parsed: a pipe left full would block the child's writes.
  proc.stdout?.resume();
  return { child, value };
}
