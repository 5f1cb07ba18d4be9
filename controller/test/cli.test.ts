import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SnapshotSchema, importSigningKeyPem, importTrustedKeys } from '@portcullis/contract';
import { cli } from './helpers/cli.js';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');

describe('portcullis CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('validate', () => {
    it('exits 0 with a one-line summary on a clean file', async () => {
      const r = await cli('validate', '-f', path.join(GOLDEN, 'jwt-basic.in.yaml'));
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('OK: 2 objects from 1 file; 2 routes and 1 policy would be programmed\n');
    });

    it('prints file:line: Kind ns/name: field: message for every error and exits 1', async () => {
      const file = path.join(GOLDEN, 'bad-path-template.in.yaml');
      const r = await cli('validate', '-f', file);
      expect(r.code).toBe(1);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toContain(
        `${file}:7: RouteClassification storage/files: spec.hosts[1]: must be a lowercase DNS name, or one leading wildcard label (*.example.com)`,
      );
      expect(lines).toContain(
        `${file}:12: RouteClassification storage/files: spec.routes[1].path: dot segments are not allowed`,
      );
      expect(lines).toContain(
        `${file}:13: RouteClassification storage/files: spec.routes[2].methods[0]: must be one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT (upper case)`,
      );
      expect(lines[lines.length - 1]).toBe('FAILED: 7 errors in 1 object from 1 file');
    });

    it('reports reference problems and YAML errors with their lines', async () => {
      const broken = path.join(dir, 'broken.yaml');
      await writeFile(broken, 'apiVersion: v1\nkind: Secret\nmetadata: {name: x\n');
      const missing = path.join(GOLDEN, 'missing-secret.in.yaml');
      const r = await cli('validate', '-f', missing, '-f', broken);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^${escape(broken)}:\\d+:\\d+: `, 'm'));
      expect(r.stdout).toContain(
        `${missing}:31: GatewayPolicy hr/hr-jwt: spec.authentication.jwt[0].jwks.secretRef: Secret "hr/hr-idp-jwks" not found`,
      );
      expect(r.stdout).toContain(
        `${missing}:17: warning: RouteClassification hr/people: spec.routes[0]: route "salaries" is restricted`,
      );
    });

    it('names both files of a duplicate object', async () => {
      const a = path.join(dir, 'dup-a.yaml');
      const b = path.join(dir, 'dup-b.yaml');
      const doc = 'apiVersion: v1\nkind: Secret\nmetadata: {name: same}\n';
      await writeFile(a, doc);
      await writeFile(b, doc);
      const r = await cli('validate', '-f', a, '-f', b);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`${b}:1: Secret default/same is defined twice: here and at ${a}:1`);
    });

    it('refuses unknown flags and missing arguments with exit 2', async () => {
      const unknown = await cli('validate', '--strict');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/^portcullis validate: Unknown option '--strict'/);
      const none = await cli('validate');
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('at least one -f');
    });
  });

  describe('compile', () => {
    it('prints the snapshot as canonical JSON on stdout and the status table on stderr', async () => {
      const r = await cli('compile', '-f', path.join(GOLDEN, 'two-policies-conjunction.in.yaml'));
      expect(r.code).toBe(0);
      const snapshot: unknown = JSON.parse(r.stdout);
      expect(SnapshotSchema.safeParse(snapshot).success).toBe(true);
      expect(r.stdout.indexOf('"policies"')).toBeLessThan(r.stdout.indexOf('"routes"'));
      expect(r.stderr).toMatch(
        /^GatewayPolicy\s+shop\/platform-baseline\s+Accepted=True\s+ResolvedRefs=True\s+Programmed=-\s+attached to 3 routes$/m,
      );
    });

    it('exits 1 when a file cannot be loaded', async () => {
      const broken = path.join(dir, 'only-broken.yaml');
      await writeFile(broken, 'a: [\n');
      const r = await cli('compile', '-f', broken);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toEqual({ policies: [], routes: [], schemaVersion: 1 });
      expect(r.stderr).toContain(`${broken}:`);
    });
  });

  describe('keygen', () => {
    it('writes a private key (0600) and the public trusted keys, and refuses to overwrite them', async () => {
      const out = path.join(dir, 'keys');
      const r = await cli('keygen', '--out-dir', out);
      expect(r.code).toBe(0);
      const pem = path.join(out, 'signing-key.pem');
      expect((await stat(pem)).mode & 0o777).toBe(0o600);
      const key = await importSigningKeyPem(await readFile(pem, 'utf8'));
      const trusted = JSON.parse(await readFile(path.join(out, 'trusted-keys.json'), 'utf8')) as {
        keys: { d?: string }[];
      };
      expect(trusted.keys.every((k) => k.d === undefined)).toBe(true);
      expect((await importTrustedKeys(trusted)).has(key.kid)).toBe(true);

      const again = await cli('keygen', '--out-dir', out);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('--force');
    });
  });

  describe('dispatch', () => {
    it('prints help for the tool and for each command', async () => {
      expect((await cli('--help')).stdout).toContain('Commands:');
      for (const command of ['validate', 'compile', 'controller', 'keygen']) {
        const r = await cli(command, '--help');
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^Usage: portcullis ${command} `));
      }
    });

    it('refuses unknown commands and bad controller flags with exit 2', async () => {
      expect((await cli('deploy')).code).toBe(2);
      expect((await cli()).code).toBe(2);
      const r = await cli('controller', '-f', dir, '--proxy', 'ftp://x', '--signing-key', 'k.pem');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('must be http:// or https://');
      const interval = await cli(
        'controller',
        '-f',
        dir,
        '--proxy',
        'http://127.0.0.1:1',
        '--signing-key',
        'k',
        '--reconcile-interval-ms',
        'soon',
      );
      expect(interval.code).toBe(2);
      const metrics = await cli(
        'controller',
        '-f',
        dir,
        '--proxy',
        'http://127.0.0.1:1',
        '--signing-key',
        'k',
        '--metrics-listen',
        '9902',
      );
      expect(metrics.code).toBe(2);
      expect(metrics.stderr).toContain('--metrics-listen "9902" is not host:port');
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
