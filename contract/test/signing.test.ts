import { describe, expect, it, beforeAll } from '@jest/globals';
import { CompactSign, base64url } from 'jose';
import {
  canonicalJson,
  contentHash,
  exportSigningKeyPem,
  generateSigningKey,
  importSigningKeyPem,
  importTrustedKeys,
  signSnapshot,
  trustedKeysDocument,
  verifySignedSnapshot,
  type SigningKey,
  type TrustedKeys,
} from '@portcullis/contract';
import { sampleSnapshot } from './fixtures.js';

let key: SigningKey;
let trusted: TrustedKeys;

beforeAll(async () => {
  key = await generateSigningKey();
  trusted = await importTrustedKeys(trustedKeysDocument(key));
});

/** Signs arbitrary payload bytes with the real controller key and a chosen header. */
async function signRaw(payload: unknown, header: Record<string, unknown> = {}): Promise<string> {
  const bytes = new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return new CompactSign(bytes)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'portcullis-snapshot+jws', kid: key.kid, ...header })
    .sign(key.privateKey);
}

describe('signed snapshots', () => {
  it('verifies what the controller key signed and returns the payload', async () => {
    const snap = sampleSnapshot();
    const { jws, hash } = await signSnapshot(key, 7, snap);
    const result = await verifySignedSnapshot(jws, trusted);
    expect(result).toEqual({ ok: true, payload: { version: 7, hash, snapshot: snap } });
  });

  it('refuses a snapshot signed by a key the proxy does not trust', async () => {
    const other = await generateSigningKey();
    const { jws } = await signSnapshot(other, 1, sampleSnapshot());
    expect(await verifySignedSnapshot(jws, trusted)).toMatchObject({ ok: false, code: 'SignatureInvalid' });
  });

  it('refuses a snapshot signed by an untrusted key that claims the trusted kid', async () => {
    const other = await generateSigningKey();
    const forged = await new CompactSign(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'portcullis-snapshot+jws', kid: key.kid })
      .sign(other.privateKey);
    expect(await verifySignedSnapshot(forged, trusted)).toMatchObject({
      ok: false,
      code: 'SignatureInvalid',
    });
  });

  it('refuses a payload edited after signing', async () => {
    const { jws } = await signSnapshot(key, 1, sampleSnapshot());
    const [h, p, s] = jws.split('.') as [string, string, string];
    const edited = new TextDecoder().decode(base64url.decode(p)).replace('"public"', '"restricted"');
    const tampered = `${h}.${base64url.encode(edited)}.${s}`;
    expect(await verifySignedSnapshot(tampered, trusted)).toMatchObject({
      ok: false,
      code: 'SignatureInvalid',
    });
  });

  it('refuses a signed payload whose hash is not the hash of its snapshot', async () => {
    const snap = sampleSnapshot();
    const jws = await signRaw({ version: 1, hash: contentHash({ other: true }), snapshot: snap });
    expect(await verifySignedSnapshot(jws, trusted)).toMatchObject({ ok: false, code: 'HashMismatch' });
  });

  it.each([
    ['alg none', { alg: 'none' }],
    ['a missing typ', { typ: undefined }],
    ['another typ', { typ: 'JWT' }],
    ['an embedded jwk', { jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' } }],
    ['a jku', { jku: 'https://evil.example/jwks' }],
    ['an unknown kid', { kid: 'nope' }],
  ])('refuses a header with %s', async (_label, header) => {
    const snap = sampleSnapshot();
    const payload = { version: 1, hash: contentHash(snap), snapshot: snap };
    const h = base64url.encode(
      JSON.stringify({ alg: 'EdDSA', typ: 'portcullis-snapshot+jws', kid: key.kid, ...header }),
    );
    const body = base64url.encode(canonicalJson(payload));
    // Sign the header+payload honestly so only the header policy can be what refuses it.
    const sig = new Uint8Array(
      await crypto.subtle.sign('Ed25519', key.privateKey, new TextEncoder().encode(`${h}.${body}`)),
    );
    const result = await verifySignedSnapshot(`${h}.${body}.${base64url.encode(sig)}`, trusted);
    expect(result).toMatchObject({ ok: false, code: 'SignatureInvalid' });
  });

  it.each([
    [
      'a private member in a JWK',
      (s: Record<string, unknown>) => setKey(s, { kty: 'OKP', crv: 'Ed25519', x: 'AAAA', d: 'AAAA' }),
    ],
    ['an unknown top-level member', (s: Record<string, unknown>) => ({ ...s, extra: 1 })],
    ['a __proto__ member in a route', (s: Record<string, unknown>) => withProtoRoute(s)],
    ['a non-public route with no policy', (s: Record<string, unknown>) => withUnprotectedRoute(s)],
    ['a route naming a missing policy', (s: Record<string, unknown>) => withDanglingPolicy(s)],
    ['a claim forwarded in x-request-id', (s: Record<string, unknown>) => setClaimHeader(s, 'x-request-id')],
    [
      'a claim forwarded in x-forwarded-for',
      (s: Record<string, unknown>) => setClaimHeader(s, 'x-forwarded-for'),
    ],
    ['an upstream URL with a query', (s: Record<string, unknown>) => setUpstream(s, 'http://x/?api_key=k')],
    ['an upstream URL with a fragment', (s: Record<string, unknown>) => setUpstream(s, 'http://x/#f')],
    ['an upstream URL with credentials', (s: Record<string, unknown>) => setUpstream(s, 'http://u:p@x/')],
    ['a non-http upstream URL', (s: Record<string, unknown>) => setUpstream(s, 'file:///etc/passwd')],
  ])('refuses a correctly signed snapshot with %s', async (_label, mutate) => {
    const snap = mutate(structuredClone(sampleSnapshot()));
    const raw = `{"version":1,"hash":"${hashOfRawJson(snap)}","snapshot":${typeof snap === 'string' ? snap : JSON.stringify(snap)}}`;
    expect(await verifySignedSnapshot(await signRaw(raw), trusted)).toMatchObject({
      ok: false,
      code: 'SchemaInvalid',
    });
  });

  it('refuses a payload that is not JSON', async () => {
    expect(await verifySignedSnapshot(await signRaw('not json'), trusted)).toMatchObject({
      ok: false,
      code: 'SchemaInvalid',
    });
  });

  it('refuses garbage that is not a JWS at all', async () => {
    expect(await verifySignedSnapshot('hello', trusted)).toMatchObject({
      ok: false,
      code: 'SignatureInvalid',
    });
  });

  it('round-trips the signing key through PEM with the same kid', async () => {
    const again = await importSigningKeyPem(await exportSigningKeyPem(key));
    expect(again.kid).toBe(key.kid);
    const { jws } = await signSnapshot(again, 2, sampleSnapshot());
    expect((await verifySignedSnapshot(jws, trusted)).ok).toBe(true);
  });

  it('refuses trusted-key documents holding private or non-Ed25519 keys', async () => {
    await expect(importTrustedKeys({ keys: [{ ...key.publicJwk, d: 'AAAA' }] })).rejects.toThrow(TypeError);
    await expect(importTrustedKeys({ keys: [{ kty: 'EC', crv: 'P-256', x: 'A', y: 'B' }] })).rejects.toThrow(
      TypeError,
    );
    await expect(importTrustedKeys({ keys: [] })).rejects.toThrow(TypeError);
    await expect(importTrustedKeys('nope')).rejects.toThrow(TypeError);
  });
});

function hashOfRawJson(snap: unknown): string {
  // The hash must match so that only the schema can be what refuses these.
  try {
    return contentHash(typeof snap === 'string' ? JSON.parse(snap) : snap);
  } catch {
    return `sha256:${'0'.repeat(64)}`;
  }
}

function setKey(s: Record<string, unknown>, jwk: object): Record<string, unknown> {
  const policies = s.policies as { authentication: { jwt: { keys: object[] }[] } }[];
  const provider = policies[0]?.authentication.jwt[0];
  if (provider) provider.keys = [jwk];
  return s;
}

function setUpstream(s: Record<string, unknown>, url: string): Record<string, unknown> {
  const routes = s.routes as { upstream: { url: string } }[];
  for (const r of routes) r.upstream.url = url;
  return s;
}

function setClaimHeader(s: Record<string, unknown>, header: string): Record<string, unknown> {
  const policies = s.policies as { authentication: { jwt: { forwardClaims: object[] }[] } }[];
  const provider = policies[0]?.authentication.jwt[0];
  if (provider) provider.forwardClaims = [{ claim: 'sub', header }];
  return s;
}

function withProtoRoute(s: Record<string, unknown>): string {
  // JSON.parse keeps "__proto__" as an own key; the strict schema must refuse it.
  const json = JSON.stringify(s);
  return json.replace('"id":"shop/api/health"', '"__proto__":{"tier":"public"},"id":"shop/api/health"');
}

function withUnprotectedRoute(s: Record<string, unknown>): Record<string, unknown> {
  const routes = s.routes as { policies: string[] }[];
  const orders = routes[1];
  if (orders) orders.policies = [];
  return s;
}

function withDanglingPolicy(s: Record<string, unknown>): Record<string, unknown> {
  const routes = s.routes as { policies: string[] }[];
  const orders = routes[1];
  if (orders) orders.policies = ['shop/missing'];
  return s;
}
