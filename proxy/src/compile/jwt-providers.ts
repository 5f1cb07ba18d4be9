import { createLocalJWKSet, errors as joseErrors, importJWK } from 'jose';
import type { JWK } from 'jose';
import type { DeepReadonly, JwtAlgorithm, JwtProvider, Policy, PublicJwk } from '@portcullis/contract';
import type { CompiledPolicy, CompiledProvider } from './compiled.js';

export type PolicyCompile =
  { readonly ok: true; readonly policy: CompiledPolicy } | { readonly ok: false; readonly message: string };

/** Which JWS algorithms a key of this type can verify (RFC 7518 §3.1, RFC 8037). */
function algorithmsForKey(jwk: DeepReadonly<PublicJwk>): readonly JwtAlgorithm[] {
  switch (jwk.kty) {
    case 'EC':
      if (jwk.crv === 'P-256') return ['ES256'];
      if (jwk.crv === 'P-384') return ['ES384'];
      if (jwk.crv === 'P-521') return ['ES512'];
      return [];
    case 'OKP':
      return jwk.crv === 'Ed25519' ? ['EdDSA'] : [];
    case 'RSA':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
  }
}

/**
 * Prepares one policy: for each provider, imports every key once (so a key jose cannot use fails
 * the whole snapshot now, with a field path, instead of failing every request later) and builds the
 * local key set jose will pick from. Keys that cannot serve any allowed algorithm are left out: an
 * issuer's JWKS often carries keys for algorithms this provider does not allow.
 */
export async function compilePolicy(policy: DeepReadonly<Policy>, index: number): Promise<PolicyCompile> {
  const providersByIssuer = new Map<string, CompiledProvider[]>();
  for (const [j, provider] of policy.authentication.jwt.entries()) {
    const where = `policies[${index}].authentication.jwt[${j}]`;
    const keys = await usableKeys(provider, where);
    if (!keys.ok) return keys;
    let keySet;
    try {
      keySet = createLocalJWKSet({ keys: keys.keys });
    } catch (err) {
      return { ok: false, message: `${where}.keys: ${errorCode(err)}` };
    }
    const compiled: CompiledProvider = {
      id: `${policy.id}/${provider.name}`,
      issuer: provider.issuer,
      audiences: [...provider.audiences],
      algorithms: [...provider.algorithms],
      clockSkewSeconds: provider.clockSkewSeconds,
      keySet,
      forwardClaims: provider.forwardClaims.map((f) => ({ claim: f.claim, header: f.header })),
    };
    const list = providersByIssuer.get(provider.issuer);
    if (list === undefined) providersByIssuer.set(provider.issuer, [compiled]);
    else list.push(compiled);
  }
  return {
    ok: true,
    policy: {
      id: policy.id,
      mode: policy.enforcementMode,
      requiresJwt: policy.authentication.jwt.length > 0,
      providersByIssuer,
      providers: [...providersByIssuer.values()].flat(),
    },
  };
}

type KeysResult =
  { readonly ok: true; readonly keys: JWK[] } | { readonly ok: false; readonly message: string };

async function usableKeys(provider: DeepReadonly<JwtProvider>, where: string): Promise<KeysResult> {
  const keys: JWK[] = [];
  for (const [k, jwk] of provider.keys.entries()) {
    const candidates = algorithmsForKey(jwk).filter(
      (alg) => provider.algorithms.includes(alg) && (jwk.alg === undefined || jwk.alg === alg),
    );
    const alg = candidates[0];
    if (alg === undefined) continue;
    const copy: JWK = { ...jwk };
    try {
      const imported = await importJWK(copy, alg);
      if (imported instanceof Uint8Array || imported.type !== 'public') {
        return { ok: false, message: `${where}.keys[${k}]: not a public key` };
      }
    } catch (err) {
      return { ok: false, message: `${where}.keys[${k}]: cannot be imported (${errorCode(err)})` };
    }
    keys.push(copy);
  }
  if (keys.length === 0) {
    return { ok: false, message: `${where}.keys: no key is usable with the allowed algorithms` };
  }
  return { ok: true, keys };
}

function errorCode(err: unknown): string {
  if (err instanceof joseErrors.JOSEError) return err.code;
  if (err instanceof Error) return err.name;
  return 'unknown error';
}
