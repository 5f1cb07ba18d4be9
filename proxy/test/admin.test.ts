import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApplyResponseSchema,
  CompactSign,
  MAX_SIGNED_SNAPSHOT_BYTES,
  ProxyStatusSchema,
  SNAPSHOT_JWS_TYP,
  canonicalJson,
  contentHash,
  signSnapshot,
} from './helpers/contract.js';
import type { PublicJwk, Snapshot } from '@portcullis/contract';
import { json, pushAfterContinue, send, sendDriven } from './helpers/http-client.js';
import type { Reply } from './helpers/http-client.js';
import { createSigner, startTestProxy } from './helpers/proxy.js';
import type { Signer, TestProxy } from './helpers/proxy.js';
import { jwtPolicy, route, snapshot } from './helpers/snapshots.js';
import { b64url, tokenKey } from './helpers/tokens.js';
import { startUpstream } from './helpers/upstream.js';
import type { Upstream } from './helpers/upstream.js';
import { LAST_KNOWN_GOOD_FILE } from '../src/index.js';

let signer: Signer;
let upstream: Upstream;
let tp: TestProxy;
let v1: Snapshot;

function applyBody(reply: Reply): ReturnType<typeof ApplyResponseSchema.parse> {
  return ApplyResponseSchema.parse(json(reply));
}

function errorCode(reply: Reply): string | undefined {
  const body = applyBody(reply);
  return 'error' in body ? body.error.code : undefined;
}

/** Signs any payload text with the trusted key and any header: for hand-made attacks. */
async function signPayloadText(text: string, header: Record<string, unknown>): Promise<string> {
  return new CompactSign(new TextEncoder().encode(text))
    .setProtectedHeader({ alg: 'EdDSA', ...header })
    .sign(signer.key.privateKey);
}

/** One JWT-protected route whose provider has exactly `key`: for testing what a key can break. */
function protectedSnapshotWithKey(key: PublicJwk): Snapshot {
  return snapshot(
    [route({ id: 'default/test/public', path: '/public', upstream: upstream.url, policies: ['default/p'] })],
    [jwtPolicy('default/p', [{ issuer: 'https://idp.test', algorithms: ['ES256'], keys: [key] }])],
  );
}

async function expectStillV1(): Promise<void> {
  const status = ProxyStatusSchema.parse(
    json(await send(tp.proxy.adminUrl, { path: '/v1/snapshot/status' })),
  );
  expect(status.version).toBe(1);
  expect(status.hash).toBe(contentHash(v1));
}

beforeAll(async () => {
  signer = await createSigner();
  upstream = await startUpstream();
  tp = await startTestProxy({ signer });
  v1 = snapshot([route({ id: 'default/test/public', path: '/public', upstream: upstream.url })]);
  const reply = await tp.push(v1, 1);
  expect(reply.status).toBe(200);
});

afterAll(async () => {
  await tp.close();
  await upstream.close();
});

describe('admin listener: applying snapshots', () => {
  it('applies a valid signed snapshot and reports its version and hash', async () => {
    const status = ProxyStatusSchema.parse(
      json(await send(tp.proxy.adminUrl, { path: '/v1/snapshot/status' })),
    );
    expect(status).toMatchObject({ version: 1, hash: contentHash(v1), ready: true, origin: 'push' });
    expect(tp.proxy.status()).toEqual(status);
    const traffic = await send(tp.proxy.trafficUrl, { path: '/public', headers: { host: 'api.test' } });
    expect(traffic.status).toBe(200);
  });

  it('persists the applied JWS as last-known-good with owner-only permissions', async () => {
    const dirMode = (await stat(tp.stateDir)).mode & 0o777;
    const fileMode = (await stat(join(tp.stateDir, LAST_KNOWN_GOOD_FILE))).mode & 0o777;
    expect(dirMode).toBe(0o700);
    expect(fileMode).toBe(0o600);
  });

  it('answers a re-push of the same version and hash with Unchanged', async () => {
    const reply = await tp.push(v1, 1);
    expect(reply.status).toBe(200);
    expect(applyBody(reply)).toEqual({ result: 'Unchanged', version: 1, hash: contentHash(v1) });
  });

  it('refuses a snapshot signed by an untrusted key with 401 SignatureInvalid and keeps the old one', async () => {
    const other = await createSigner();
    const forged = snapshot([route({ id: 'default/test/admin', path: '/admin', upstream: upstream.url })]);
    const { jws } = await signSnapshot(other.key, 2, forged);
    const reply = await tp.putRaw(jws);
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe('SignatureInvalid');
    // Errors carry the version in force so the controller can move past it.
    expect(applyBody(reply)).toMatchObject({ current: { version: 1, hash: contentHash(v1) } });
    await expectStillV1();
  });

  it('refuses a snapshot signed by an untrusted key that claims the trusted kid', async () => {
    const other = await createSigner();
    const forged = snapshot([route({ id: 'default/test/admin', path: '/admin', upstream: upstream.url })]);
    const text = canonicalJson({ version: 2, hash: contentHash(forged), snapshot: forged });
    const jws = await new CompactSign(new TextEncoder().encode(text))
      .setProtectedHeader({ alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid: signer.key.kid })
      .sign(other.key.privateKey);
    const reply = await tp.putRaw(jws);
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe('SignatureInvalid');
    await expectStillV1();
  });

  it('refuses a payload edited after signing (signature no longer verifies)', async () => {
    const v2 = snapshot([route({ id: 'default/test/public', path: '/public2', upstream: upstream.url })]);
    const { jws } = await signSnapshot(signer.key, 2, v2);
    const [h, p, s] = jws.split('.');
    const edited = Buffer.from(p ?? '', 'base64url')
      .toString('utf8')
      .replace('/public2', '/admin22');
    const reply = await tp.putRaw(`${h}.${b64url(edited)}.${s}`);
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe('SignatureInvalid');
    await expectStillV1();
  });

  it('refuses an edited snapshot re-signed with the real key whose hash no longer matches (422 HashMismatch)', async () => {
    const v2 = snapshot([route({ id: 'default/test/public', path: '/public', upstream: upstream.url })]);
    const text = canonicalJson({ version: 2, hash: contentHash(v2), snapshot: v2 }).replace(
      '"/public"',
      '"/admin"',
    );
    const jws = await signPayloadText(text, { typ: SNAPSHOT_JWS_TYP, kid: signer.key.kid });
    const reply = await tp.putRaw(jws);
    expect(reply.status).toBe(422);
    expect(errorCode(reply)).toBe('HashMismatch');
    await expectStillV1();
  });

  it.each([
    ['an embedded jwk', { typ: SNAPSHOT_JWS_TYP, jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' } }],
    ['a jku URL', { typ: SNAPSHOT_JWS_TYP, jku: 'https://evil.test/keys' }],
    ['no typ', {}],
    ['another typ', { typ: 'JWT' }],
  ])('refuses a JWS whose header carries %s', async (_name, header) => {
    const v2 = snapshot([route({ id: 'default/test/admin', path: '/admin', upstream: upstream.url })]);
    const text = canonicalJson({ version: 2, hash: contentHash(v2), snapshot: v2 });
    const jws = await signPayloadText(text, { ...header, kid: signer.key.kid });
    const reply = await tp.putRaw(jws);
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe('SignatureInvalid');
    await expectStillV1();
  });

  it('refuses alg none', async () => {
    const v2 = snapshot([route({ id: 'default/test/admin', path: '/admin', upstream: upstream.url })]);
    const header = b64url(JSON.stringify({ alg: 'none', typ: SNAPSHOT_JWS_TYP, kid: signer.key.kid }));
    const payload = b64url(canonicalJson({ version: 2, hash: contentHash(v2), snapshot: v2 }));
    const reply = await tp.putRaw(`${header}.${payload}.`);
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe('SignatureInvalid');
    await expectStillV1();
  });

  it('refuses a body that is not a JWS at all', async () => {
    const reply = await tp.putRaw('{"version": 99}');
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe('SignatureInvalid');
  });

  it('refuses a signed payload with a __proto__ key (422 SchemaInvalid)', async () => {
    const v2 = snapshot([route({ id: 'default/test/public', path: '/public', upstream: upstream.url })]);
    const text = canonicalJson({ version: 2, hash: contentHash(v2), snapshot: v2 }).replace(
      '"categories":[]',
      '"__proto__":{"tier":"public"},"categories":[]',
    );
    expect(text).toContain('__proto__');
    const jws = await signPayloadText(text, { typ: SNAPSHOT_JWS_TYP, kid: signer.key.kid });
    const reply = await tp.putRaw(jws);
    expect(reply.status).toBe(422);
    expect(errorCode(reply)).toBe('SchemaInvalid');
    await expectStillV1();
  });

  it('refuses a signed snapshot that ships a private JWK member "d" (422 SchemaInvalid)', async () => {
    const key = await tokenKey('ES256', 'k1');
    const withPrivate = { ...key.publicJwk, d: 'c2VjcmV0' } as typeof key.publicJwk;
    const v2 = protectedSnapshotWithKey(withPrivate);
    const reply = await tp.push(v2, 2);
    expect(reply.status).toBe(422);
    expect(errorCode(reply)).toBe('SchemaInvalid');
    await expectStillV1();
  });

  it('refuses a snapshot whose JWT key jose cannot import (422 CompileFailed) and keeps the old one', async () => {
    const key = await tokenKey('ES256', 'k1');
    const broken = { ...key.publicJwk, x: 'AAAA', y: 'AAAA' };
    const v2 = protectedSnapshotWithKey(broken);
    const reply = await tp.push(v2, 2);
    expect(reply.status).toBe(422);
    expect(errorCode(reply)).toBe('CompileFailed');
    await expectStillV1();
  });

  it('refuses the wrong content type with 415 without reading the body', async () => {
    const { jws } = await signSnapshot(signer.key, 2, v1);
    const reply = await tp.putRaw(jws, 'application/json');
    expect(reply.status).toBe(415);
    expect(errorCode(reply)).toBe('UnsupportedMediaType');
    await expectStillV1();
  });

  it('refuses a declared body larger than the limit with 413 before reading it', async () => {
    const reply = await sendDriven(
      tp.proxy.adminUrl,
      {
        method: 'PUT',
        path: '/v1/snapshot',
        headers: {
          'content-type': 'application/jose',
          'content-length': String(MAX_SIGNED_SNAPSHOT_BYTES + 1),
        },
      },
      (req) => req.write('eyJ'),
    );
    expect(reply.status).toBe(413);
    expect(errorCode(reply)).toBe('PayloadTooLarge');
  });

  it('refuses a streamed (chunked) body once it passes the limit with 413', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const chunks = MAX_SIGNED_SNAPSHOT_BYTES / chunk.length + 1;
    const reply = await sendDriven(
      tp.proxy.adminUrl,
      {
        method: 'PUT',
        path: '/v1/snapshot',
        headers: { 'content-type': 'application/jose', 'transfer-encoding': 'chunked' },
      },
      (req) => {
        let written = 0;
        const pump = (): void => {
          while (written < chunks && !req.destroyed) {
            written++;
            if (!req.write(chunk)) {
              req.once('drain', pump);
              return;
            }
          }
        };
        pump();
      },
    );
    expect(reply.status).toBe(413);
    expect(errorCode(reply)).toBe('PayloadTooLarge');
    await expectStillV1();
  });

  it('answers Expect: 100-continue on a snapshot push, then applies the body', async () => {
    const v2 = snapshot([route({ id: 'default/test/public', path: '/public', upstream: upstream.url })]);
    const { jws } = await signSnapshot(signer.key, 2, v2);
    const reply = await pushAfterContinue(tp.proxy.adminUrl, jws);
    expect(reply.status).toBe(200);
    expect(applyBody(reply)).toMatchObject({ result: 'Applied', version: 2 });
  });

  it('refuses an older version (replay) with 409 and reports the version in force', async () => {
    const v2 = snapshot([route({ id: 'default/test/public', path: '/public', upstream: upstream.url })]);
    const v2b = snapshot([route({ id: 'default/test/public', path: '/v2', upstream: upstream.url })]);
    expect((await tp.push(v2, 3)).status).toBe(200);
    const replay = await tp.push(v1, 1);
    expect(replay.status).toBe(409);
    expect(applyBody(replay)).toMatchObject({
      error: { code: 'VersionNotNewer' },
      current: { version: 3, hash: contentHash(v2) },
    });
    // Same version, different content: also a conflict, never a silent overwrite.
    const sameVersion = await tp.push(v2b, 3);
    expect(sameVersion.status).toBe(409);
    expect(tp.proxy.status().version).toBe(3);
  });

  it('serialises concurrent pushes: v4 and v5 together always end with v5 in force', async () => {
    const v3 = snapshot([route({ id: 'default/test/public', path: '/v3', upstream: upstream.url })]);
    const v4 = snapshot([route({ id: 'default/test/public', path: '/v4', upstream: upstream.url })]);
    const [a, b] = await Promise.all([tp.push(v3, 4), tp.push(v4, 5)]);
    expect(b.status).toBe(200);
    expect([200, 409]).toContain(a.status);
    expect(tp.proxy.status()).toMatchObject({ version: 5, hash: contentHash(v4) });
    const traffic = await send(tp.proxy.trafficUrl, { path: '/v4', headers: { host: 'api.test' } });
    expect(traffic.status).toBe(200);
  });
});

describe('admin listener: other endpoints', () => {
  it('answers /healthz 200 and /readyz 200 with a snapshot in force', async () => {
    expect((await send(tp.proxy.adminUrl, { path: '/healthz' })).status).toBe(200);
    expect((await send(tp.proxy.adminUrl, { path: '/readyz' })).status).toBe(200);
  });

  it('answers HEAD on the read endpoints like GET, without a body', async () => {
    for (const path of ['/healthz', '/readyz', '/v1/snapshot/status']) {
      const reply = await send(tp.proxy.adminUrl, { method: 'HEAD', path });
      expect(reply.status).toBe(200);
      expect(reply.text).toBe('');
      expect(Number(reply.headers['content-length'])).toBeGreaterThan(0);
    }
    expect((await send(tp.proxy.adminUrl, { method: 'HEAD', path: '/nope' })).status).toBe(404);
  });

  it('answers unknown admin paths and methods with a 404 JSON error', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/v1/snapshot'],
      ['DELETE', '/v1/snapshot'],
      ['PUT', '/v1/snapshot?x=1'],
    ] as const) {
      const reply = await send(tp.proxy.adminUrl, { method, path });
      expect(reply.status).toBe(404);
      expect(errorCode(reply)).toBe('NotFound');
    }
  });

  it('exposes Prometheus metrics from its own registry', async () => {
    const reply = await send(tp.proxy.adminUrl, { path: '/metrics' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toContain('text/plain');
    expect(reply.text).toMatch(/^portcullis_snapshot_version \d+$/m);
    expect(reply.text).toMatch(/portcullis_snapshot_applies_total\{result="Applied"\} \d+/);
    expect(reply.text).toMatch(/portcullis_snapshot_rejections_total\{code="SignatureInvalid"\} \d+/);
    expect(reply.text).toMatch(
      /portcullis_requests_total\{route="default\/test\/public",code="Forwarded"\} \d+/,
    );
    expect(reply.text).toContain('portcullis_request_duration_seconds_bucket');
  });

  it('is not reachable through the traffic listener', async () => {
    const reply = await send(tp.proxy.trafficUrl, {
      method: 'GET',
      path: '/v1/snapshot/status',
      headers: { host: 'api.test' },
    });
    expect(reply.status).toBe(404);
    expect(json(reply).code).toBe('RouteNotFound');
  });
});
