import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseBenchArgs } from '../../bench/src/args.js';
import { NodeProcess, REPO_ROOT } from './helpers/processes.js';

// The benchmark runner (bench/src/run.ts) as a user drives it: its flags, and that none of the
// four child processes it starts (upstream, two baseline hops, the proxy) outlives it when it is
// signalled. Runs the built runner; `npm test` builds the proxy, this builds the bench (about 1 s).

const RUNNER = `${REPO_ROOT}bench/dist/run.js`;

beforeAll(async () => {
  await promisify(execFile)(
    process.execPath,
    [`${REPO_ROOT}node_modules/typescript/bin/tsc`, '-p', `${REPO_ROOT}bench/tsconfig.build.json`],
    { timeout: 60_000 },
  );
}, 60_000);

/** Runs the runner to completion (only for flag checks, which exit before starting anything). */
function runToExit(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bench runner flags', () => {
  it('--help prints the usage on stdout and exits 0', async () => {
    const r = await runToExit(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: /);
    expect(r.stdout).toContain('--duration');
    expect(r.stderr).toBe('');
  });

  it.each([
    [['--bogus'], 'bench: unknown flag --bogus'],
    [['--duration', 'abc'], "bench: --duration: 'abc' is not a number of seconds"],
    [['--rounds', '0'], 'bench: --rounds: 0 is outside 1-10'],
  ])('%j is a usage error: one line naming the flag, the usage, exit 2', async (args, line) => {
    const r = await runToExit(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(line);
    expect(r.stderr).toContain('Usage: ');
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });

  it('validates every numeric flag: plain numbers, finite, within bounds', () => {
    const error = (args: string[]) => {
      const r = parseBenchArgs(args);
      return r.kind === 'error' ? r.message : r.kind;
    };
    expect(parseBenchArgs([])).toEqual({
      kind: 'options',
      options: { duration: 3, rounds: 3, connections: 20, json: false },
    });
    expect(parseBenchArgs(['--duration', '1.5', '--rounds=10', '--connections', '200', '--json'])).toEqual({
      kind: 'options',
      options: { duration: 1.5, rounds: 10, connections: 200, json: true },
    });
    expect(parseBenchArgs(['-h'])).toEqual({ kind: 'help' });
    for (const bad of ['', 'NaN', 'Infinity', '1e1', '0x10', '-1', ' 5', '5s']) {
      expect(error(['--duration', bad])).toMatch(/^--duration: '.*' is not a number of seconds$/);
    }
    expect(error(['--duration', '0.5'])).toBe('--duration: 0.5 is outside 1-30');
    expect(error(['--duration', '31'])).toBe('--duration: 31 is outside 1-30');
    expect(error(['--rounds', '1.5'])).toBe("--rounds: '1.5' is not an integer");
    expect(error(['--rounds', '11'])).toBe('--rounds: 11 is outside 1-10');
    expect(error(['--connections', '0'])).toBe('--connections: 0 is outside 1-200');
    expect(error(['--rounds'])).toBe('--rounds needs a value');
    expect(error(['--json=yes'])).toBe('--json takes no value');
    expect(error(['extra'])).toBe("unexpected argument 'extra'");
    expect(error(['--bad\nflag'])).toBe('unknown flag --bad?flag');
  });
});

/** Pids whose parent is `parent`, from /proc. */
function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const fields = procStat(Number(name));
    if (fields !== undefined && Number(fields[1]) === parent) pids.push(Number(name));
  }
  return pids;
}

/** The fields of /proc/<pid>/stat after the command name (state first, then ppid), if it exists. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Running: exists and is not a zombie (a zombie has exited, only its exit status is left). */
const running = (pid: number): boolean => {
  const state = procStat(pid)?.[0];
  return state !== undefined && state !== 'Z';
};

const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux('bench runner on a signal', () => {
  let runner: NodeProcess | undefined;
  let children: number[] = [];

  afterEach(async () => {
    // Whatever the outcome, nothing started here outlives the test.
    for (const pid of children) if (running(pid)) process.kill(pid, 'SIGKILL');
    children = [];
    await runner?.stop('SIGKILL');
    runner = undefined;
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const)(
    '%s stops all four child processes, then the runner exits %d',
    async (signal, status) => {
      const r = new NodeProcess(RUNNER, ['--duration', '1', '--rounds', '1']);
      runner = r;
      // Printed once the upstream, both baseline hops and the proxy are up, before any load.
      await r.waitForLine((l) => l.startsWith('bench: 1 rounds x 5 scenarios'), 10_000);
      const pid = r.child.pid ?? 0;
      children = childPids(pid);
      const scripts = children.map((c) => readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0')[1] ?? '');
      expect(scripts.map((s) => s.replace(/^.*\/(bench|proxy)\/dist\//, '$1/')).sort()).toEqual([
        'bench/bare-proxy.js',
        'bench/pipe-proxy.js',
        'bench/upstream.js',
        'proxy/main.js',
      ]);

      process.kill(pid, signal);
      const code = await Promise.race([
        r.exited,
        new Promise((resolve) => setTimeout(() => resolve('still running after 8 s'), 8_000).unref()),
      ]);
      expect(code).toBe(status);
      expect(r.lines).toContain(`bench: ${signal}; stopping the child processes`);
      // The runner waits for its children before it exits: none may be left running.
      expect(children.filter(running)).toEqual([]);
    },
    15_000,
  );
});
