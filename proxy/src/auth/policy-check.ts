import type { JWTPayload } from 'jose';
import type { CompiledPolicy, CompiledProvider } from '../compile/compiled.js';
import type { TokenCache } from './token-cache.js';
import type { BearerToken } from './bearer.js';
import type { TokenInspection } from './jwt-verify.js';
import { verifyJwt } from './jwt-verify.js';

export type PolicyOutcome =
  | {
      readonly ok: true;
      readonly claims: Readonly<JWTPayload> | undefined;
      readonly provider: CompiledProvider | undefined;
    }
  | {
      readonly ok: false;
      readonly code: 'AuthenticationRequired' | 'InvalidCredentials';
      readonly reason: string;
    };

export interface PolicyCheckInput {
  readonly policy: CompiledPolicy;
  readonly bearer: BearerToken;
  /** sha256 of the bearer token (base64), computed once per request: the token-cache key part. */
  readonly digest: string | undefined;
  /** Decodes and screens the bearer token; memoised per request and only called on a cache miss. */
  readonly inspect: () => TokenInspection;
  readonly cache: TokenCache;
  readonly nowMs: number;
  readonly onVerify?: (result: 'valid' | 'invalid' | 'cache-hit') => void;
}

/**
 * Authenticates a request against one policy. The provider is chosen by the token's unverified
 * `iss`, which is then verified as part of the signature check, so choosing by it grants nothing.
 */
export async function checkPolicy(input: PolicyCheckInput): Promise<PolicyOutcome> {
  const { policy, bearer } = input;
  if (!policy.requiresJwt) return { ok: true, claims: undefined, provider: undefined };
  if (bearer.kind === 'absent') {
    return { ok: false, code: 'AuthenticationRequired', reason: 'no Authorization header' };
  }
  if (bearer.kind === 'invalid') return { ok: false, code: 'InvalidCredentials', reason: bearer.reason };
  const digest = input.digest ?? '';
  // A hit means these exact token bytes verified against this provider (after the same screening),
  // so the token need not even be decoded again: the cache is looked up before anything else.
  for (const provider of policy.providers) {
    const cached = input.cache.get(cacheKey(provider, digest), input.nowMs);
    if (cached !== undefined) {
      input.onVerify?.('cache-hit');
      return { ok: true, claims: cached, provider };
    }
  }
  const inspection = input.inspect();
  if (!inspection.ok) return { ok: false, code: 'InvalidCredentials', reason: inspection.reason };
  const providers = policy.providersByIssuer.get(inspection.issuer);
  if (providers === undefined) {
    return { ok: false, code: 'InvalidCredentials', reason: 'no provider for the token issuer' };
  }
  let lastReason = 'no provider accepted the token';
  for (const provider of providers) {
    const verified = await verifyJwt(provider, bearer.token, input.nowMs);
    input.onVerify?.(verified.ok ? 'valid' : 'invalid');
    if (verified.ok) {
      input.cache.set(cacheKey(provider, digest), verified.claims, verified.expiresAtMs);
      return { ok: true, claims: verified.claims, provider };
    }
    lastReason = verified.reason;
  }
  return { ok: false, code: 'InvalidCredentials', reason: lastReason };
}

/** Provider ids cannot contain NUL, so no two (provider, token) pairs share a key. */
function cacheKey(provider: CompiledProvider, digest: string): string {
  return `${provider.id}\u0000${digest}`;
}
