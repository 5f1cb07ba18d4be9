import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { formatAccessLine, type ProxyLogLine } from './access-line.js';

/* The proxy as `up`'s child process: started, watched until it listens, and stopped. */

function proxyBinary(): string {
  const require = createRequire(import.meta.url);
  // Only the proxy's location is needed: the two sides never import each other's code.
  return join(dirname(require.resolve('@portcullis/proxy/package.json')), 'dist', 'main.js');
}

export function spawnProxy(
  o: { readonly port: number; readonly adminPort: number; readonly stateDir: string },
  trustedKeysFile: string,
): ChildProcess {
  const args = [
    proxyBinary(),
    '--listen',
    `127.0.0.1:${o.port}`,
    '--admin-listen',
    `127.0.0.1:${o.adminPort}`,
    '--trusted-keys',
    trustedKeysFile,
    '--state-dir',
    join(o.stateDir, 'proxy'),
  ];
  // stdin is a pipe we never write to: when this process dies, even by SIGKILL, the kernel closes it
  // and the proxy, told so by the variable, shuts down instead of holding its ports as an orphan.
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PORTCULLIS_EXIT_ON_STDIN_CLOSE: '1' },
  });
  child.stdin?.on('error', () => undefined); // the proxy exiting first is not our error
  return child;
}

export type ProxyStart =
  | { readonly ok: true; readonly urls: { traffic: string; admin: string } }
  | { readonly ok: false; readonly error: string };

/**
 * Copies the proxy's JSON log to a file, echoes one short line per request to the terminal, and
 * resolves with the URLs from its `listening` line, or with its last error if it exits first.
 */
export function waitForListening(proxy: ChildProcess, logPath: string): Promise<ProxyStart> {
  const log = pino.destination({ dest: logPath, mkdir: true });
  return new Promise((resolveStart) => {
    if (proxy.stdout === null) {
      resolveStart({ ok: false, error: 'no output from the proxy process' });
      return;
    }
    let lastError = 'it exited before listening';
    if (proxy.stderr !== null) {
      // Passed through as is; a startup failure is one "portcullis-proxy: --flag ...: reason" line.
      createInterface({ input: proxy.stderr }).on('line', (line) => {
        process.stderr.write(`${line}\n`);
        if (line.startsWith('portcullis-proxy: ')) lastError = line.slice('portcullis-proxy: '.length);
      });
    }
    const lines = createInterface({ input: proxy.stdout });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      let parsed: ProxyLogLine;
      try {
        parsed = JSON.parse(line) as ProxyLogLine;
      } catch {
        return;
      }
      if (
        parsed.msg === 'listening' &&
        typeof parsed.traffic === 'string' &&
        typeof parsed.admin === 'string'
      ) {
        resolveStart({ ok: true, urls: { traffic: parsed.traffic, admin: parsed.admin } });
        return;
      }
      const err = parsed.err as { message?: unknown } | undefined;
      if (typeof err?.message === 'string') lastError = err.message;
      const access = formatAccessLine(parsed);
      if (access !== undefined) process.stdout.write(`${access}\n`);
    });
    // 'close', not 'exit': the last stderr line may still be in flight when the process is gone.
    proxy.once('close', () => resolveStart({ ok: false, error: lastError }));
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}
