import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Child {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a node script and resolves with the first JSON stdout line that `pick` accepts. */
export async function startNode<T>(
  script: string,
  args: readonly string[],
  pick: (line: Record<string, unknown>) => T | undefined,
): Promise<{ child: Child; value: T }> {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const child: Child = {
    process: proc,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
  const value = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not yet in the caller's list of children: stopped here, or it would outlive the bench.
      proc.kill('SIGKILL');
      reject(new Error(`${script} did not start within 15 s`));
    }, 15_000);
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${String(code)}`)));
    if (proc.stdout === null) return reject(new Error('no stdout'));
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
