import { beforeAll, describe, expect, it } from '@jest/globals';
import { FlattenedSign, GeneralSign, base64url } from 'jose';
import {
  MAX_PROTECTED_HEADER_CHARS,
  MAX_ROUTE_TABLE_ENTRIES,
  SNAPSHOT_JWS_TYP,
  canonicalJson,
  contentHash,
  generateSigningKey,
  importTrustedKeys,
  routeTableEntries,
  signSnapshot,
  trustedKeysDocument,
  verifySignedSnapshot,
  type SigningKey,
  type Snapshot,
  type TrustedKeys,
} from '@portcullis/contract';
import { sampleSnapshot } from './fixtures.js';

/**
 * The signed-snapshot verifier played by an attacker who holds the controller's key (or a buggy
 * controller): every payload and header here carries a valid signature, so only the format rules
 * can refuse it. Each case was first run against the verifier without those rules.
 */

let key: SigningKey;
let trusted: TrustedKeys;
let snap: Snapshot;

beforeAll(async () => {
  key = await generateSigningKey();
  trusted = await importTrustedKeys(trustedKeysDocument(key));
  snap = sampleSnapshot();
});

/** Signs exactly `headerJson` and `payloadText` (no re-serialisation), so any spelling can be tried. */
async function signExact(headerJson: string, payloadText: string): Promise<string> {
  const h = base64url.encode(headerJson);
  const p = base64url.encode(payloadText);
  const sig = await crypto.subtle.sign('Ed25519', key.privateKey, new TextEncoder().encode(`${h}.${p}`));
  return `${h}.${p}.${base64url.encode(new Uint8Array(sig))}`;
}

function header(): string {
  return JSON.stringify({ alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid: key.kid });
}

function canonicalPayload(version: number | string = 2): string {
  return `{"hash":"${contentHash(snap)}","snapshot":${canonicalJson(snap)},"version":${String(version)}}`;
}

describe('verifySignedSnapshot: one spelling per snapshot', () => {
  it('accepts what signSnapshot writes, which is exactly the canonical payload', async () => {
    const { jws } = await signSnapshot(key, 2, snap);
    expect(base64url.encode(canonicalPayload(2))).toBe(jws.split('.')[1]);
    expect((await verifySignedSnapshot(jws, trusted)).ok).toBe(true);
    expect((await verifySignedSnapshot(await signExact(header(), canonicalPayload(2)), trusted)).ok).toBe(
      true,
    );
  });

  it.each([
    ['a repeated "snapshot" member (JSON.parse keeps the last)', () => dupSnapshot()],
    [
      'a repeated "version" member',
      () => canonicalPayload(3).replace('"version":3', '"version":2,"version":3'),
    ],
    ['insignificant whitespace', () => JSON.stringify(JSON.parse(canonicalPayload()), null, 2)],
    ['members out of order', () => JSON.stringify({ version: 2, hash: contentHash(snap), snapshot: snap })],
    [
      'a needless escape in a string',
      () => canonicalPayload().replace('"schemaVersion"', '"\\u0073chemaVersion"'),
    ],
    ['version spelt 2e0', () => canonicalPayload('2e0')],
    ['version spelt 2.0', () => canonicalPayload('2.0')],
    ['a UTF-8 byte-order mark', () => `\uFEFF${canonicalPayload()}`],
  ])('refuses a validly signed payload with %s (SchemaInvalid)', async (_label, make) => {
    const result = await verifySignedSnapshot(await signExact(header(), make()), trusted);
    expect(result).toMatchObject({ ok: false, code: 'SchemaInvalid' });
  });

  it('still answers HashMismatch for a non-canonical payload whose hash is wrong', async () => {
    const text = JSON.stringify({ version: 2, hash: contentHash({ other: 1 }), snapshot: snap });
    const result = await verifySignedSnapshot(await signExact(header(), text), trusted);
    expect(result).toMatchObject({ ok: false, code: 'HashMismatch' });
  });

  function dupSnapshot(): string {
    const other = { ...snap, routes: [] };
    return `{"hash":"${contentHash(snap)}","snapshot":${canonicalJson(other)},"snapshot":${canonicalJson(snap)},"version":2}`;
  }
});

describe('verifySignedSnapshot: the header and the serialisation', () => {
  it.each([
    ['alg repeated, none first', `{"alg":"none","alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"KID"}`],
    ['whitespace in the header', `{ "alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"KID"}`],
    [
      'b64 false with crit',
      `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"KID","b64":false,"crit":["b64"]}`,
    ],
    ['an x5u', `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"KID","x5u":"https://evil.test/c"}`],
    ['an x5c', `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"KID","x5c":["AAAA"]}`],
    ['kid __proto__', `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"__proto__"}`],
    ['kid constructor', `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"constructor"}`],
    ['kid as an object', `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":{"toString":"KID"}}`],
    ['alg HS256', `{"alg":"HS256","typ":"${SNAPSHOT_JWS_TYP}","kid":"KID"}`],
  ])('refuses a validly signed JWS whose header has %s (SignatureInvalid)', async (_label, h) => {
    const jws = await signExact(h.replace('KID', key.kid), canonicalPayload());
    expect(await verifySignedSnapshot(jws, trusted)).toMatchObject({ ok: false, code: 'SignatureInvalid' });
  });

  it('refuses the flattened and general JSON serialisations, even with two valid signatures', async () => {
    const payload = new TextEncoder().encode(canonicalPayload());
    const protectedHeader = { alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid: key.kid };
    const flat = await new FlattenedSign(payload).setProtectedHeader(protectedHeader).sign(key.privateKey);
    const general = new GeneralSign(payload);
    general.addSignature(key.privateKey).setProtectedHeader(protectedHeader);
    general.addSignature(key.privateKey).setProtectedHeader(protectedHeader);
    for (const body of [JSON.stringify(flat), JSON.stringify(await general.sign())]) {
      expect(await verifySignedSnapshot(body, trusted)).toMatchObject({
        ok: false,
        code: 'SignatureInvalid',
        message: 'not a compact JWS',
      });
    }
  });

  it.each([
    ['a fourth segment', (h: string, p: string, s: string) => `${h}.${p}.${s}.${s}`],
    ['five segments (JWE shape)', (h: string, p: string, s: string) => `${h}.${p}.${s}.${s}.${s}`],
    [
      'a space inside the signature',
      (h: string, p: string, s: string) => `${h}.${p}.${s.slice(0, 10)} ${s.slice(10)}`,
    ],
    ['base64 padding', (h: string, p: string, s: string) => `${h}.${p}.${s}==`],
    ['an empty signature', (h: string, p: string) => `${h}.${p}.`],
  ])('refuses a compact JWS with %s', async (_label, reshape) => {
    const [h, p, s] = (await signSnapshot(key, 2, snap)).jws.split('.') as [string, string, string];
    expect(await verifySignedSnapshot(reshape(h, p, s), trusted)).toMatchObject({
      ok: false,
      code: 'SignatureInvalid',
    });
  });

  it('refuses an oversized protected header before decoding it, unsigned or not', async () => {
    const deep = `{"alg":"EdDSA","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const jws = `${base64url.encode(deep)}.AAAA.AAAA`;
    expect(await verifySignedSnapshot(jws, trusted)).toEqual({
      ok: false,
      code: 'SignatureInvalid',
      message: 'protected header too large',
    });
    const big = JSON.stringify({
      alg: 'EdDSA',
      typ: SNAPSHOT_JWS_TYP,
      kid: 'k'.repeat(MAX_PROTECTED_HEADER_CHARS),
    });
    expect(await verifySignedSnapshot(await signExact(big, canonicalPayload()), trusted)).toMatchObject({
      ok: false,
      message: 'protected header too large',
    });
  });

  it('quotes at most a short prefix of a refused header member name', async () => {
    const name = 'm'.repeat(600);
    const h = JSON.stringify({ alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid: key.kid, [name]: 1 });
    const result = await verifySignedSnapshot(await signExact(h, canonicalPayload()), trusted);
    expect(result).toMatchObject({ ok: false, code: 'SignatureInvalid' });
    expect(result.ok ? '' : result.message.length).toBeLessThan(100);
  });
});

describe('importTrustedKeys', () => {
  it('refuses a key set in which two keys share a kid (one would silently replace the other)', async () => {
    const other = await generateSigningKey();
    const doc = { keys: [key.publicJwk, { ...other.publicJwk, kid: key.kid }] };
    await expect(importTrustedKeys(doc)).rejects.toThrow(/repeats kid/);
  });

  it.each([[42], [''], [{ id: 'x' }]])('refuses a kid that is not a non-empty string (%j)', async (kid) => {
    await expect(importTrustedKeys({ keys: [{ ...key.publicJwk, kid }] })).rejects.toThrow(TypeError);
  });

  it('still accepts two different keys, and a key without kid (its thumbprint is the kid)', async () => {
    const other = await generateSigningKey();
    const { kty, crv, x } = other.publicJwk;
    const keys = await importTrustedKeys({ keys: [key.publicJwk, { kty, crv, x }] });
    expect([...keys.keys()].sort()).toEqual([key.kid, other.kid].sort());
  });
});

describe('routeTableEntries', () => {
  it('counts hosts x methods x (path depth + 1) over all routes', () => {
    const base = sampleSnapshot().routes[0];
    if (base === undefined) throw new Error('fixture has no route');
    const routes = [
      {
        ...base,
        id: 'a/b/c',
        hosts: ['a.test', 'b.test'],
        methods: ['GET', 'POST'] as const,
        path: '/x/{id}/*',
      },
      { ...base, id: 'a/b/d', hosts: ['a.test'], methods: ['GET'] as const, path: '/' },
    ];
    const counted = routeTableEntries({ ...sampleSnapshot(), routes });
    expect(counted).toBe(2 * 2 * 4 + 1 * 1 * 1);
  });

  it('puts the measured out-of-memory shape far over the budget', () => {
    // 1200 routes x 64 hosts x 7 methods x 32 segments: what exhausted a 4 GiB heap in a real proxy.
    expect(1200 * 64 * 7 * 33).toBeGreaterThan(MAX_ROUTE_TABLE_ENTRIES * 10);
  });
});

// Edges found by mutation testing: each would let a broken check pass unnoticed.

const NOT_COMPACT = { ok: false, code: 'SignatureInvalid', message: 'not a compact JWS' };

describe('verifySignedSnapshot: empty segments', () => {
  it('refuses an empty signature segment as not a compact JWS, before jose sees it', async () => {
    const [h, p] = (await signSnapshot(key, 2, snap)).jws.split('.') as [string, string, string];
    expect(await verifySignedSnapshot(`${h}.${p}.`, trusted)).toEqual(NOT_COMPACT);
  });

  it('refuses a validly signed JWS with an empty (detached) payload as not a compact JWS', async () => {
    const jws = await signExact(JSON.stringify({ alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid: key.kid }), '');
    expect(jws.split('.')[1]).toBe('');
    expect(await verifySignedSnapshot(jws, trusted)).toEqual(NOT_COMPACT);
  });
});

describe('verifySignedSnapshot: protected header size limit', () => {
  /** A header {alg, typ, kid} whose base64url form is exactly `chars` long (a multiple of 4). */
  function headerOfLength(chars: number): { json: string; kid: string } {
    const empty = JSON.stringify({ alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid: '' });
    const kid = 'k'.repeat((chars / 4) * 3 - empty.length);
    const json = JSON.stringify({ alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid });
    expect(base64url.encode(json)).toHaveLength(chars);
    return { json, kid };
  }

  it('accepts a header of exactly MAX_PROTECTED_HEADER_CHARS characters', async () => {
    const { json, kid } = headerOfLength(MAX_PROTECTED_HEADER_CHARS);
    const keys = await importTrustedKeys({ keys: [{ ...key.publicJwk, kid }] });
    const result = await verifySignedSnapshot(await signExact(json, canonicalPayload()), keys);
    expect(result.ok).toBe(true);
  });

  it('refuses a header just over the limit', async () => {
    const { json, kid } = headerOfLength(MAX_PROTECTED_HEADER_CHARS + 4);
    const keys = await importTrustedKeys({ keys: [{ ...key.publicJwk, kid }] });
    expect(await verifySignedSnapshot(await signExact(json, canonicalPayload()), keys)).toEqual({
      ok: false,
      code: 'SignatureInvalid',
      message: 'protected header too large',
    });
  });
});

describe('verifySignedSnapshot: the kid must be a string', () => {
  const SHAPE = { ok: false, code: 'SignatureInvalid', message: 'header must be {alg: EdDSA, typ, kid}' };

  it.each([
    ['missing', { alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP }],
    ['a number', { alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid: 7 }],
    ['an object', { alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid: { k: 1 } }],
  ])('refuses a kid that is %s as a malformed header, not as an unknown key', async (_label, h) => {
    const jws = await signExact(JSON.stringify(h), canonicalPayload());
    expect(await verifySignedSnapshot(jws, trusted)).toEqual(SHAPE);
  });

  it('says "unknown signing key id" for a string kid that is not trusted', async () => {
    const jws = await signExact(
      JSON.stringify({ alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid: 'nope' }),
      canonicalPayload(),
    );
    expect(await verifySignedSnapshot(jws, trusted)).toEqual({
      ok: false,
      code: 'SignatureInvalid',
      message: 'unknown signing key id "nope"',
    });
  });
});
