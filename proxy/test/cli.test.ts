import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateSigningKey, trustedKeysDocument } from '@portcullis/contract';
import { parseCli } from '../src/cli/config.js';
import { json, send } from './helpers/http-client.js';

describe('parseCli', () => {
  const required = ['--trusted-keys', 'keys.json', '--state-dir', 'state'];

  it('applies defaults for the optional flags', () => {
    expect(parseCli(required)).toEqual({
      kind: 'config',
      config: {
        listen: { host: '127.0.0.1', port: 8080 },
        adminListen: { host: '127.0.0.1', port: 9901 },
        trustedKeysPath: 'keys.json',
        stateDir: 'state',
        logLevel: 'info',
      },
    });
  });

  it('accepts port 0 and IPv6 literals', () => {
    const parsed = parseCli([
      ...required,
      '--listen',
      '[::1]:0',
      '--admin-listen',
      '0.0.0.0:0',
      '--log-level',
      'warn',
    ]);
    expect(parsed).toMatchObject({
      kind: 'config',
      config: {
        listen: { host: '::1', port: 0 },
        adminListen: { host: '0.0.0.0', port: 0 },
        logLevel: 'warn',
      },
    });
  });

  it.each([
    [['--listen', 'localhost'], '--listen'],
    [['--listen', '127.0.0.1:70000'], '--listen'],
    [['--admin-listen', ':9901'], '--admin-listen'],
    [['--log-level', 'loud'], '--log-level'],
    [['--bogus', 'x'], '--bogus'],
  ])('names the flag at fault: %j', (extra, flag) => {
    expect(parseCli([...required, ...extra])).toMatchObject({ kind: 'error', flag });
  });

  it('names a missing required flag', () => {
    expect(parseCli(['--state-dir', 's'])).toMatchObject({ kind: 'error', flag: '--trusted-keys' });
    expect(parseCli(['--trusted-keys', 'k'])).toMatchObject({ kind: 'error', flag: '--state-dir' });
  });

  it('recognises --help', () => {
    expect(parseCli(['--help'])).toEqual({ kind: 'help' });
  });
});

describe('the portcullis-proxy binary', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  let dir: string;
  let keysFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-cli-test-'));
    keysFile = join(dir, 'keys.json');
    await writeFile(keysFile, JSON.stringify(trustedKeysDocument(await generateSigningKey())));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function run(args: string[]): ChildProcessWithoutNullStreams {
    return spawn(
      process.execPath,
      ['--conditions=portcullis-source', '--import', 'tsx', join(root, 'proxy/src/main.ts'), ...args],
      { cwd: root, stdio: 'pipe' },
    );
  }

  function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  it('exits 2 and names the flag when the trusted keys file is unusable', async () => {
    await writeFile(join(dir, 'bad.json'), '{"keys": [{"kty": "RSA"}]}');
    const child = run(['--trusted-keys', join(dir, 'bad.json'), '--state-dir', join(dir, 's1')]);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await exited(child)).toBe(2);
    expect(stderr).toContain('--trusted-keys');
  });

  it('logs one "listening" line with the bound URLs, serves, and exits 0 on SIGTERM', async () => {
    const child = run([
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--trusted-keys',
      keysFile,
      '--state-dir',
      join(dir, 'state'),
    ]);
    const exit = exited(child);
    const lines: Record<string, unknown>[] = [];
    let buffer = '';
    const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) !== -1) {
          const record = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
          buffer = buffer.slice(nl + 1);
          lines.push(record);
          if (record.msg === 'listening') resolve(record);
        }
      });
      void exit.then((code) => reject(new Error(`exited early with ${String(code)}`)));
    });
    const line = await listening;
    expect(line.traffic).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(line.admin).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);

    expect((await send(String(line.admin), { path: '/healthz' })).status).toBe(200);
    expect((await send(String(line.admin), { path: '/readyz' })).status).toBe(503);
    const traffic = await send(String(line.traffic), { path: '/', headers: { host: 'api.test' } });
    expect(traffic.status).toBe(503);
    expect(json(traffic).code).toBe('NoSnapshot');

    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(lines.filter((r) => r.msg === 'listening')).toHaveLength(1);
  });
});
