import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const PROXY_BIN = `${REPO_ROOT}proxy/dist/main.js`;
export const CLI_BIN = `${REPO_ROOT}controller/dist/cli/main.js`;

/** A real child process whose output is kept line by line, so tests can wait for what it says. */
export class NodeProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly #waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(script: string, args: readonly string[], options: { cwd?: string } = {}) {
    this.child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => this.#onLine(line));
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  #onLine(line: string): void {
    this.lines.push(line);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i];
      if (waiter?.match(line)) {
        this.#waiters.splice(i, 1);
        waiter.resolve(line);
      }
    }
  }

  /** Resolves with the first line (already seen or future) that matches; rejects on exit or deadline. */
  waitForLine(match: (line: string) => boolean, timeoutMs = 20_000): Promise<string> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching line within ${timeoutMs} ms:\n${this.tail()}`)),
        timeoutMs,
      );
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`process exited (${String(code)}) before a matching line:\n${this.tail()}`));
      };
      void this.exited.then(onExit);
      this.#waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  tail(n = 30): string {
    return this.lines.slice(-n).join('\n');
  }

  /** Sends a signal and waits for the exit; SIGKILL after a grace period. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    this.child.kill(signal);
    await this.exited;
    clearTimeout(kill);
  }
}

export interface ProxyProcess {
  readonly process: NodeProcess;
  readonly traffic: string;
  readonly admin: string;
}

/** Starts the real proxy binary on ephemeral loopback ports and waits for its `listening` line. */
export async function startProxyProcess(
  trustedKeysFile: string,
  stateDir: string,
  ports: { admin?: number } = {},
): Promise<ProxyProcess> {
  const proc = new NodeProcess(PROXY_BIN, [
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    `127.0.0.1:${ports.admin ?? 0}`,
    '--trusted-keys',
    trustedKeysFile,
    '--state-dir',
    stateDir,
  ]);
  const line = await proc.waitForLine((l) => l.includes('"listening"'));
  const { traffic, admin } = JSON.parse(line) as { traffic: string; admin: string };
  return { process: proc, traffic, admin };
}

/** Starts `portcullis controller` pushing to the given proxies. */
export function startControllerProcess(
  folder: string,
  signingKeyFile: string,
  proxies: readonly string[],
  extraArgs: readonly string[] = [],
): NodeProcess {
  const args = [
    'controller',
    '-f',
    folder,
    '--signing-key',
    signingKeyFile,
    '--reconcile-interval-ms',
    '500',
  ];
  for (const p of proxies) args.push('--proxy', p);
  return new NodeProcess(CLI_BIN, [...args, ...extraArgs]);
}

/** A loopback port that was free a moment ago, for a process that must be told its port up front. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * The exit code once `exited` settles, or 'still running' after a generous bound `ms`; then `stop`
 * is awaited, so that nothing leaks.
 */
export async function exitCodeWithin(
  exited: Promise<number | null>,
  ms: number,
  stop: () => Promise<void>,
): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    exited,
    new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), ms))),
  ]);
  clearTimeout(timer);
  if (result === 'still running') await stop();
  return result;
}
