import { beforeAll, describe, expect, it } from '@jest/globals';
import { base64url } from 'jose';
import {
  MAX_PROTECTED_HEADER_CHARS,
  SNAPSHOT_JWS_TYP,
  canonicalJson,
  contentHash,
  generateSigningKey,
  importTrustedKeys,
  signSnapshot,
  trustedKeysDocument,
  verifySignedSnapshot,
  type SigningKey,
  type Snapshot,
  type TrustedKeys,
} from '@portcullis/contract';
import { sampleSnapshot } from './fixtures.js';

let key: SigningKey;
let trusted: TrustedKeys;
let snap: Snapshot;

beforeAll(async () => {
  key = await generateSigningKey();
  trusted = await importTrustedKeys(trustedKeysDocument(key));
  snap = sampleSnapshot();
});

/** Signs exactly `headerJson` and `payloadText` (no re-serialisation). */
async function signExact(headerJson: string, payloadText: string): Promise<string> {
  const h = base64url.encode(headerJson);
  const p = base64url.encode(payloadText);
  const sig = await crypto.subtle.sign('Ed25519', key.privateKey, new TextEncoder().encode(`${h}.${p}`));
  return `${h}.${p}.${base64url.encode(new Uint8Array(sig))}`;
}

function canonicalPayload(version = 2): string {
  return `{"hash":"${contentHash(snap)}","snapshot":${canonicalJson(snap)},"version":${String(version)}}`;
}

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
