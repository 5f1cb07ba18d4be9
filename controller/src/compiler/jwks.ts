import { createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { PublicJwkSchema } from '@portcullis/contract';
import type { JwtAlgorithm, PublicJwk } from '@portcullis/contract';

/**
 * Turns a user's JWKS into the public keys a snapshot may carry. Everything here is a reason to
 * refuse rather than to repair: private material means a secret has leaked into policy, and an
 * unusable key would be refused by every proxy, which blocks every other team's update too.
 */

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'] as const;
const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y', 'n', 'e'] as const;
/** RFC 8725 and NIST SP 800-131A: RSA below 2048 bits is not acceptable for signatures. */
const MIN_RSA_MODULUS_BYTES = 256;

export type JwksResult =
  | { readonly ok: true; readonly keys: readonly PublicJwk[] }
  | { readonly ok: false; readonly message: string };

/** Messages name the key by index (`keys[1]: ...`); the caller prefixes where the set came from. */
export function publicKeysFrom(keys: readonly unknown[], algorithms: readonly JwtAlgorithm[]): JwksResult {
  if (keys.length === 0) return { ok: false, message: 'the key set is empty' };
  if (keys.length > 64) return { ok: false, message: 'more than 64 keys' };
  const out: PublicJwk[] = [];
  const kids = new Set<string>();
  for (const [i, key] of keys.entries()) {
    const r = publicKey(key);
    if (!r.ok) return { ok: false, message: `keys[${i}]: ${r.message}` };
    if (r.key.kid !== undefined) {
      if (kids.has(r.key.kid)) return { ok: false, message: `keys[${i}]: duplicate kid "${r.key.kid}"` };
      kids.add(r.key.kid);
    }
    out.push(r.key);
  }
  if (!out.some((k) => algorithms.some((alg) => canVerify(k, alg)))) {
    return {
      ok: false,
      message: `no key in the set can verify any of the allowed algorithms (${algorithms.join(', ')})`,
    };
  }
  return { ok: true, keys: out };
}

function publicKey(raw: unknown): { ok: true; key: PublicJwk } | { ok: false; message: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, message: 'not a JWK object' };
  const jwk = raw as Record<string, unknown>;
  const leaked = PRIVATE_MEMBERS.filter((m) => Object.hasOwn(jwk, m));
  if (jwk['kty'] === 'oct') {
    return { ok: false, message: 'symmetric keys (kty "oct") are not allowed; only public keys are' };
  }
  if (leaked.length > 0) {
    return {
      ok: false,
      message: `contains private key material (${leaked.join(', ')}); only public keys are allowed`,
    };
  }
  const picked: Record<string, unknown> = {};
  for (const m of PUBLIC_MEMBERS) if (jwk[m] !== undefined) picked[m] = jwk[m];
  const parsed = PublicJwkSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') ?? '';
    return { ok: false, message: `${field === '' ? 'key' : field}: ${issue?.message ?? 'invalid'}` };
  }
  const key = parsed.data;
  const shape = checkShape(key);
  if (shape !== undefined) return { ok: false, message: shape };
  try {
    // Parses the key material the way the proxy will; synchronous and deterministic, so still pure.
    createPublicKey({ key: { ...key } as JsonWebKey, format: 'jwk' });
  } catch {
    return { ok: false, message: `not a valid ${key.kty} public key` };
  }
  return { ok: true, key };
}

function checkShape(k: PublicJwk): string | undefined {
  switch (k.kty) {
    case 'EC':
      if (k.crv === undefined || k.crv === 'Ed25519') return 'an EC key needs crv P-256, P-384 or P-521';
      if (k.x === undefined || k.y === undefined) return 'an EC key needs x and y';
      if (k.n !== undefined || k.e !== undefined) return 'an EC key cannot have n or e';
      return undefined;
    case 'OKP':
      if (k.crv !== 'Ed25519') return 'an OKP key needs crv Ed25519';
      if (k.x === undefined || k.y !== undefined) return 'an OKP key needs x (and no y)';
      return undefined;
    case 'RSA':
      if (k.n === undefined || k.e === undefined) return 'an RSA key needs n and e';
      if (k.crv !== undefined || k.x !== undefined || k.y !== undefined)
        return 'an RSA key cannot have crv, x or y';
      if (Buffer.from(k.n, 'base64url').length < MIN_RSA_MODULUS_BYTES)
        return 'RSA keys must be at least 2048 bits';
      return undefined;
  }
}

const CURVE_OF: Partial<Record<JwtAlgorithm, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** Whether a token signed with `alg` could ever verify against this key. */
export function canVerify(k: PublicJwk, alg: JwtAlgorithm): boolean {
  if (k.alg !== undefined && k.alg !== alg) return false;
  if (k.use !== undefined && k.use !== 'sig') return false;
  if (alg === 'EdDSA') return k.kty === 'OKP';
  if (alg.startsWith('ES')) return k.kty === 'EC' && k.crv === CURVE_OF[alg];
  return k.kty === 'RSA';
}
