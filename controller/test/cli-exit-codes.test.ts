import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SnapshotSchema } from '@portcullis/contract';
import { cli } from './helpers/cli.js';
import { parseIntegerFlag } from '../src/cli/io.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Exit codes a script can rely on: 0 all good, 1 the input is wrong, 2 the command line is. */
describe('CLI exit codes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-exit-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('compile', () => {
    it('exits 1 when objects have errors, like validate, still printing the valid snapshot', async () => {
      const invalid = path.join(REPO, 'examples/invalid');
      const r = await cli('compile', '-f', invalid);
      expect(r.code).toBe(1);
      expect(SnapshotSchema.safeParse(JSON.parse(r.stdout)).success).toBe(true);
      expect(r.stderr).toContain(
        `${invalid}/mistakes.yaml:33: GatewayPolicy shop/orders-jwt: spec.authentication.jwt[0].algorithms[0]: HS256`,
      );
      expect(r.stderr).toMatch(/^portcullis compile: 4 errors; /m);
      expect((await cli('validate', '-f', invalid)).code).toBe(1);
    });

    it('exits 0 on a folder without errors', async () => {
      expect((await cli('compile', '-f', path.join(REPO, 'examples/gitops'))).code).toBe(0);
    });
  });

  it('names a missing path without a line number, since it has no text', async () => {
    const missing = path.join(dir, 'nope');
    const r = await cli('validate', '-f', missing);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe(`${missing}: no such file or folder`);
  });

  it('answers a path given without -f with a usage error that says to use -f', async () => {
    const r = await cli('validate', 'examples/gitops');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^portcullis validate: Unexpected argument 'examples\/gitops'; name files and folders with -f <path>\n/,
    );
  });

  describe('controller', () => {
    const flags = ['--proxy', 'http://127.0.0.1:1', '--signing-key', 'no-such-key.pem'];

    it('names the signing key file and what it should be, never echoing its content', async () => {
      const { writeFile } = await import('node:fs/promises');
      const jwks = path.join(dir, 'trusted-keys.json');
      await writeFile(jwks, '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"c2VjcmV0LXZhbHVl"}]}');
      const args = ['controller', '-f', dir, '--proxy', 'http://127.0.0.1:1', '--signing-key'];
      const r = await cli(...args, jwks);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `portcullis controller: --signing-key ${jwks}: not an Ed25519 private key in PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), as "portcullis keygen" writes it; this looks like JSON (the proxies' trusted-keys.json?)\n`,
      );
      const missing = await cli(...args, path.join(dir, 'absent.pem'));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^portcullis controller: --signing-key .*absent\.pem: cannot read: /);
    });

    it('exits 1 naming a folder that does not exist, before starting', async () => {
      const missing = path.join(dir, 'nope');
      const r = await cli('controller', '-f', missing, ...flags);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`portcullis controller: -f ${missing}: no such file or folder\n`);
    });

    it.each(['1e3', '0x64', '', ' 500', '-5', '99', '3600001', 'soon'])(
      '--reconcile-interval-ms=%j is a usage error naming the flag',
      async (value) => {
        const r = await cli('controller', '-f', dir, ...flags, `--reconcile-interval-ms=${value}`);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(
          `--reconcile-interval-ms: "${value}" is not a whole number from 100 to 3600000`,
        );
      },
    );
  });

  describe('parseIntegerFlag', () => {
    it('takes plain decimal digits within the bounds', () => {
      expect(parseIntegerFlag('--port', '0', 0, 65535)).toBe(0);
      expect(parseIntegerFlag('--port', '08080', 0, 65535)).toBe(8080);
      expect(parseIntegerFlag('--port', '65535', 0, 65535)).toBe(65535);
    });

    it.each(['', ' ', '1e3', '0x50', '-1', '+1', '1.0', '65536', '99999999999999999999'])(
      'refuses %j, naming the flag',
      (raw) => {
        expect(parseIntegerFlag('--port', raw, 0, 65535)).toBe(
          `--port: "${raw}" is not a whole number from 0 to 65535`,
        );
      },
    );
  });
});
