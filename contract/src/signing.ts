import {
  CompactSign,
  base64url,
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importJWK,
  importPKCS8,
  errors as joseErrors,
} from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { canonicalJson, contentHash } from './canonical.js';
import { SignedPayloadSchema } from './snapshot.js';
import type { SignedPayload } from './snapshot.js';
import type { AdminRejectCode } from './codes.js';

/**
 * Snapshots travel as compact JWS (RFC 7515) signed with Ed25519 (alg EdDSA). The proxy picks the
 * verification key by `kid` from its own trusted set, never from anything the header carries (no
 * `jwk`, `jku`, `x5u`), and checks `typ` so that no other JWS signed by the same key can pass as a
 * snapshot (RFC 8725 §3.11).
 */
export const SNAPSHOT_JWS_TYP = 'portcullis-snapshot+jws';
export const SNAPSHOT_JWS_ALG = 'EdDSA';

/** Refuse before any parsing: a JWS bigger than this is not a snapshot we would ever send. */
export const MAX_SIGNED_SNAPSHOT_BYTES = 16 * 1024 * 1024;

/**
 * Our header is about 140 base64url characters. Decoding and JSON-parsing the header happens before
 * the signature is checked, so without this bound anyone who can reach the admin port could make the
 * proxy parse megabytes of header per request (a deeply nested 10 MiB header took over a second).
 */
export const MAX_PROTECTED_HEADER_CHARS = 1024;

/** Three non-empty base64url segments: nothing else is a compact JWS we produce. */
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export type TrustedKeys = ReadonlyMap<string, CryptoKey>;

export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SNAPSHOT_JWS_ALG, {
    crv: 'Ed25519',
    extractable: true,
  });
  return withPublicJwk(privateKey, await exportJWK(publicKey));
}

async function withPublicJwk(privateKey: CryptoKey, jwk: JWK): Promise<SigningKey> {
  const pub: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  const kid = await calculateJwkThumbprint(pub);
  return { kid, privateKey, publicJwk: { ...pub, kid, alg: SNAPSHOT_JWS_ALG, use: 'sig' } };
}

export async function exportSigningKeyPem(key: SigningKey): Promise<string> {
  return exportPKCS8(key.privateKey);
}

export async function importSigningKeyPem(pem: string): Promise<SigningKey> {
  const privateKey = await importPKCS8(pem, SNAPSHOT_JWS_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return withPublicJwk(privateKey, { kty: jwk.kty, crv: jwk.crv, x: jwk.x });
}

/** The JWKS document a proxy is given to trust a controller (public half only). */
export function trustedKeysDocument(...keys: readonly SigningKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.publicJwk) };
}

/** Parses a trusted-keys JWKS document; only public Ed25519 keys with a kid are accepted. */
export async function importTrustedKeys(doc: unknown): Promise<TrustedKeys> {
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
    throw new TypeError('trusted keys: expected a JWKS document {"keys": [...]}');
  }
  const out = new Map<string, CryptoKey>();
  for (const [i, k] of (doc as { keys: unknown[] }).keys.entries()) {
    const jwk = k as JWK;
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || 'd' in jwk) {
      throw new TypeError(`trusted keys: keys[${i}] must be a public Ed25519 JWK`);
    }
    // A non-string kid could never match a header's kid, and a repeated one would silently replace
    // the earlier key: an operator would believe a key is trusted when it is not.
    if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === '')) {
      throw new TypeError(`trusted keys: keys[${i}].kid must be a non-empty string`);
    }
    const pub: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
    const kid = jwk.kid ?? (await calculateJwkThumbprint(pub));
    if (out.has(kid)) throw new TypeError(`trusted keys: keys[${i}] repeats kid ${JSON.stringify(kid)}`);
    out.set(kid, (await importJWK(pub, SNAPSHOT_JWS_ALG)) as CryptoKey);
  }
  if (out.size === 0) throw new TypeError('trusted keys: the key set is empty');
  return out;
}

/** Signs `{version, hash, snapshot}`; the hash is computed here so the two cannot disagree. */
export async function signSnapshot(
  key: SigningKey,
  version: number,
  snapshot: SignedPayload['snapshot'],
): Promise<{ jws: string; hash: string }> {
  const hash = contentHash(snapshot);
  const payload = new TextEncoder().encode(canonicalJson({ version, hash, snapshot }));
  const jws = await new CompactSign(payload)
    .setProtectedHeader({ alg: SNAPSHOT_JWS_ALG, typ: SNAPSHOT_JWS_TYP, kid: key.kid })
    .sign(key.privateKey);
  return { jws, hash };
}

export type VerifyResult =
  | { readonly ok: true; readonly payload: SignedPayload }
  | { readonly ok: false; readonly code: AdminRejectCode; readonly message: string };

const ALLOWED_HEADER_MEMBERS = new Set(['alg', 'typ', 'kid']);

/**
 * Verifies a signed snapshot completely: header shape, signature, payload schema, content hash and
 * canonical form. Whether its version is newer is the caller's state, so it is not checked here.
 *
 * Everything before `compactVerify` runs on unauthenticated input, so it is kept cheap and bounded,
 * and nothing from it is echoed back at more than a few dozen characters (the message is logged).
 */
export async function verifySignedSnapshot(jws: string, trusted: TrustedKeys): Promise<VerifyResult> {
  if (jws.length > MAX_SIGNED_SNAPSHOT_BYTES) {
    return { ok: false, code: 'PayloadTooLarge', message: 'signed snapshot too large' };
  }
  // Only the compact serialisation, with exactly three non-empty segments: the JSON serialisations
  // (several signatures, unprotected headers) and jose's leniency about whitespace or padding
  // inside a segment would give one snapshot several spellings, and the persisted file is the bytes.
  const segments = jws.split('.');
  if (segments.length !== 3 || !segments.every((s) => BASE64URL_SEGMENT.test(s))) {
    return { ok: false, code: 'SignatureInvalid', message: 'not a compact JWS' };
  }
  const protectedB64 = segments[0] ?? '';
  if (protectedB64.length > MAX_PROTECTED_HEADER_CHARS) {
    return { ok: false, code: 'SignatureInvalid', message: 'protected header too large' };
  }
  let header;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return { ok: false, code: 'SignatureInvalid', message: 'not a compact JWS' };
  }
  for (const member of Object.keys(header)) {
    if (!ALLOWED_HEADER_MEMBERS.has(member)) {
      const shown = quoteShort(member, 32);
      return { ok: false, code: 'SignatureInvalid', message: `header member ${shown} is not allowed` };
    }
  }
  // One spelling of the header, the one jose's CompactSign writes (JSON.stringify): a repeated member
  // (`"alg":"none","alg":"EdDSA"`) means whatever the last one says to JSON.parse and something
  // else to a parser that keeps the first, so it is refused rather than interpreted.
  if (base64url.encode(JSON.stringify(header)) !== protectedB64) {
    return { ok: false, code: 'SignatureInvalid', message: 'header is not in the form the controller signs' };
  }
  if (header.alg !== SNAPSHOT_JWS_ALG || header.typ !== SNAPSHOT_JWS_TYP || typeof header.kid !== 'string') {
    return { ok: false, code: 'SignatureInvalid', message: 'header must be {alg: EdDSA, typ, kid}' };
  }
  const key = trusted.get(header.kid);
  if (key === undefined) {
    // Naming the kid lets an operator compare it with the controller's ("signing as" in its log):
    // a public thumbprint, shortened and JSON-escaped since the header is the caller's.
    return {
      ok: false,
      code: 'SignatureInvalid',
      message: `unknown signing key id ${quoteShort(header.kid, 64)}`,
    };
  }

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(jws, key, { algorithms: [SNAPSHOT_JWS_ALG] }));
  } catch (err) {
    const message = err instanceof joseErrors.JOSEError ? err.code : 'verification failed';
    return { ok: false, code: 'SignatureInvalid', message };
  }

  let text: string;
  let raw: unknown;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so JSON.parse refuses it like any other byte.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(payloadBytes);
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: 'SchemaInvalid', message: 'payload is not UTF-8 JSON' };
  }
  const parsed = SignedPayloadSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first === undefined ? '' : `${first.path.join('.')}: ${first.message}`;
    return {
      ok: false,
      code: 'SchemaInvalid',
      message: `payload does not match the snapshot schema (${where})`,
    };
  }
  if (contentHash(parsed.data.snapshot) !== parsed.data.hash) {
    return { ok: false, code: 'HashMismatch', message: 'hash does not match snapshot content' };
  }
  // The payload must be byte for byte the canonical JSON signSnapshot writes. JSON.parse keeps the
  // last of two repeated keys and other parsers keep the first, so `"snapshot":A,"snapshot":B` would
  // be B here and A to another reader of the same signed bytes; whitespace, escapes and `1e1` for 10
  // are the same kind of second spelling. Checked after the hash so HashMismatch keeps its meaning.
  if (canonicalJson(parsed.data) !== text) {
    return { ok: false, code: 'SchemaInvalid', message: 'payload is not in canonical JSON form' };
  }
  return { ok: true, payload: parsed.data };
}

/** Header text is the caller's: quoted (JSON-escaped) and cut, so a refusal never echoes much of it. */
function quoteShort(text: string, max: number): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}
