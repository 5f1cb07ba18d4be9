import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { exportSigningKeyPem, generateSigningKey, trustedKeysDocument } from '@portcullis/contract';
import { PROXY_BIN, REPO_ROOT, exitCodeWithin } from './helpers/processes.js';

/**
 * How the proxy binary starts and stops when things around it go wrong: its supervisor gone,
 * a state directory that is a file, a port someone else holds, the wrong key file.
 */

interface Spawned {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

function spawnProxy(args: readonly string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, [PROXY_BIN, ...args], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

/** The exit code, or 'still running' after a generous bound (then it is killed so nothing leaks). */
function exitWithin(p: Spawned): Promise<number | null | 'still running'> {
  return exitCodeWithin(p.exited, 15_000, async () => {
    p.child.kill('SIGKILL');
    await p.exited;
  });
}

function waitForListening(p: Spawned): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: p.child.stdout });
    lines.on('line', (line) => {
      if (line.includes('"listening"')) {
        lines.close();
        resolve();
      }
    });
    void p.exited.then((code) =>
      reject(new Error(`exited (${String(code)}) before listening: ${p.stderr()}`)),
    );
  });
}

async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

describe('the proxy binary', () => {
  let dir: string;
  let keys: string;
  let pem: string;
  const running = (state: string) => [
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
    '--trusted-keys',
    keys,
    '--state-dir',
    join(dir, state),
  ];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-proxy-exit-'));
    const key = await generateSigningKey();
    keys = join(dir, 'trusted-keys.json');
    await writeFile(keys, JSON.stringify(trustedKeysDocument(key)));
    pem = join(dir, 'signing-key.pem');
    await writeFile(pem, await exportSigningKeyPem(key), { mode: 0o600 });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits on SIGTERM when the reader of its stdout and stderr is gone (a dead supervisor)', async () => {
    const proxy = spawnProxy(running('orphan'));
    await waitForListening(proxy);
    // What a SIGKILLed parent leaves behind: the pipes' reading ends are closed.
    proxy.child.stdout.destroy();
    proxy.child.stderr.destroy();
    proxy.child.kill('SIGTERM');
    expect(await exitWithin(proxy)).toBe(0);
  });

  it('with PORTCULLIS_EXIT_ON_STDIN_CLOSE=1, drains and exits 0 when its stdin closes', async () => {
    const proxy = spawnProxy(running('stdin'), { PORTCULLIS_EXIT_ON_STDIN_CLOSE: '1' });
    await waitForListening(proxy);
    proxy.child.stdin.end();
    expect(await exitWithin(proxy)).toBe(0);
  });

  it('exits 2 with one line when --state-dir is a regular file', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory\n');
    const proxy = spawnProxy(['--trusted-keys', keys, '--state-dir', file]);
    expect(await exitWithin(proxy)).toBe(2);
    expect(proxy.stderr()).toBe(`portcullis-proxy: --state-dir: ${file} is not a directory\n`);
  });

  it.each(['--listen', '--admin-listen'])(
    'exits 1 with one line naming %s when its port is taken',
    async (flag) => {
      const { server, port } = await holdPort();
      try {
        const args = running('busy');
        args[args.indexOf(flag) + 1] = `127.0.0.1:${port}`;
        const proxy = spawnProxy(args);
        expect(await exitWithin(proxy)).toBe(1);
        expect(proxy.stderr()).toBe(`portcullis-proxy: ${flag} 127.0.0.1:${port}: address already in use\n`);
      } finally {
        server.close();
      }
    },
  );

  it('exits 2 and says what is wrong when --trusted-keys is the PEM signing key', async () => {
    const proxy = spawnProxy(['--trusted-keys', pem, '--state-dir', join(dir, 'pem')]);
    expect(await exitWithin(proxy)).toBe(2);
    const first = proxy.stderr().split('\n')[0];
    expect(first).toContain(`portcullis-proxy: --trusted-keys: ${pem}: not a JWKS JSON document`);
    expect(first).toContain('PEM private key');
    expect(proxy.stderr()).not.toMatch(/JSON at position|Unexpected token/);
  });
});
