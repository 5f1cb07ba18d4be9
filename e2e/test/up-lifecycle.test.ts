import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI_BIN, NodeProcess, REPO_ROOT, exitCodeWithin, freePort } from './helpers/processes.js';
import { QUICKSTART, copyQuickstart, startUp } from './helpers/quickstart.js';

const run = promisify(execFile);

/**
 * `portcullis up` supervises one child process, the proxy. However `up` ends (Ctrl-C, a closed
 * terminal, SIGKILL), the proxy must not be left behind holding its ports; and `up` must refuse to
 * start on arguments that cannot be what the user meant.
 */

function up(args: readonly string[]): NodeProcess {
  return new NodeProcess(CLI_BIN, ['up', ...args]);
}

/** `up` on ephemeral ports without the demo upstream. */
function upWithoutDemo(folder: string, stateDir: string): NodeProcess {
  return up(['-f', folder, '--port', '0', '--admin-port', '0', '--no-demo', '--state-dir', stateDir]);
}

/** The exit code, or 'still running' after a generous bound (then it is stopped so nothing leaks). */
function exitWithin(p: NodeProcess): Promise<number | null | 'still running'> {
  return exitCodeWithin(p.exited, 20_000, () => p.stop('SIGINT'));
}

/** A temporary folder for the tests of the enclosing describe, removed after them. */
function tempDirForDescribe(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (dir === undefined) throw new Error('the temporary folder is only there inside a test');
    return dir;
  };
}

/** True when nothing accepts connections on the port any more. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Polls until both ports refuse connections; false if they still accept after `timeoutMs`. */
async function portsFreed(ports: readonly number[], timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await Promise.all(ports.map(refused))).every(Boolean)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function portOf(lines: readonly string[], label: 'traffic' | 'admin'): number {
  const line = lines.find((l) => l.trimStart().startsWith(`${label} `)) ?? '';
  const port = /http:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1];
  if (port === undefined) throw new Error(`no ${label} URL in the banner:\n${lines.join('\n')}`);
  return Number(port);
}

/** The proxy is `up`'s only child process. */
async function childPids(pid: number): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('portcullis up, when it is ended', () => {
  const dir = tempDirForDescribe('portcullis-up-end-');

  async function started(name: string): Promise<{ up: NodeProcess; ports: number[]; children: number[] }> {
    const p = upWithoutDemo(QUICKSTART, join(dir(), name));
    await p.waitForLine((l) => l.includes('Press Ctrl-C to stop.'), 30_000);
    const ports = [portOf(p.lines, 'traffic'), portOf(p.lines, 'admin')];
    const children = await childPids(p.child.pid ?? 0);
    expect(children).toHaveLength(1);
    return { up: p, ports, children };
  }

  it('by SIGKILL: the proxy notices (its stdin closes), stops and frees its ports', async () => {
    const { up: p, ports, children } = await started('sigkill');
    try {
      expect(await Promise.all(ports.map(refused))).toEqual([false, false]);
      p.child.kill('SIGKILL');
      await p.exited;
      expect(await portsFreed(ports)).toBe(true);
    } finally {
      children.forEach(killQuietly);
    }
  });

  it('by SIGHUP (the terminal closed): stops everything and exits 0', async () => {
    const { up: p, ports, children } = await started('sighup');
    try {
      p.child.kill('SIGHUP');
      expect(await exitWithin(p)).toBe(0);
      expect(await portsFreed(ports)).toBe(true);
    } finally {
      children.forEach(killQuietly);
    }
  });
});

describe('portcullis up refuses arguments it cannot mean', () => {
  const dir = tempDirForDescribe('portcullis-up-args-');

  it('a folder that does not exist: exit 1, naming it, before starting anything', async () => {
    const missing = join(dir(), 'no-such-folder');
    const p = upWithoutDemo(missing, join(dir(), 's'));
    expect(await exitWithin(p)).toBe(1);
    expect(p.lines).toContain(`portcullis up: -f ${missing}: no such file or folder`);
    expect(p.lines.some((l) => l.includes('Portcullis is up'))).toBe(false);
  });

  it.each([
    ['--port', '1e3'],
    ['--port', ''],
    ['--port', ' '],
    ['--admin-port', '-1'],
    ['--admin-port', '0x50'],
    ['--port', '65536'],
  ])('%s %j: a usage error (exit 2) naming the flag', async (flag, value) => {
    // The other ports are ephemeral so that, were the value accepted, nothing fixed is bound.
    const others = flag === '--port' ? ['--admin-port', '0'] : ['--port', '0'];
    const p = up([
      '-f',
      QUICKSTART,
      `${flag}=${value}`,
      ...others,
      '--no-demo',
      '--state-dir',
      join(dir(), 's'),
    ]);
    expect(await exitWithin(p)).toBe(2);
    expect(p.lines[0]).toBe(`portcullis up: ${flag}: "${value}" is not a whole number from 0 to 65535`);
  });
});

describe('portcullis up when no route reaches the demo upstream', () => {
  let dir: string;
  let p: NodeProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-up-banner-'));
    // The routes point at a port nothing listens on, the demo upstream at another one.
    const nowhere = await freePort();
    let demo = await freePort();
    while (demo === nowhere) demo = await freePort();
    const folder = await copyQuickstart(dir, nowhere);
    p = startUp(folder, { port: '0', upstreamPort: String(demo), stateDir: join(dir, 'state') });
    await p.waitForLine((l) => l.includes('warning: no route'), 30_000);
  });

  afterAll(async () => {
    await p.stop('SIGINT');
    await rm(dir, { recursive: true, force: true });
  });

  it('the banner promises no 200 it cannot keep: every curl line gets the status it states', async () => {
    const curls = p.lines.filter((l) => l.trimStart().startsWith('curl '));
    expect(curls.length).toBeGreaterThanOrEqual(5);
    for (const line of curls) {
      const promised = /#.*?\b(\d{3})\b/.exec(line)?.[1];
      if (promised === undefined) continue;
      const { stdout } = await run('bash', ['-c', line.trim()], { cwd: REPO_ROOT, timeout: 15_000 });
      const statusLine = (stdout.split('\n')[0] ?? '').trim();
      expect({ line: line.trim(), statusLine }).toEqual({
        line: line.trim(),
        statusLine: expect.stringMatching(new RegExp(`^HTTP/1\\.1 ${promised} `)),
      });
    }
    expect(curls.filter((l) => l.includes('# public route'))).toEqual([
      expect.stringContaining('502 UpstreamUnavailable unless a service listens at http://127.0.0.1:'),
    ]);
  });
});
