import { hash } from 'node:crypto';
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
  /** Inspection of the bearer token, done once per request and shared by all policies. */
  readonly inspection: TokenInspection | undefined;
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
  const inspection = input.inspection;
  if (inspection === undefined || !inspection.ok) {
    return { ok: false, code: 'InvalidCredentials', reason: inspection?.reason ?? 'token not inspected' };
  }
  const providers = policy.providersByIssuer.get(inspection.issuer);
  if (providers === undefined) {
    return { ok: false, code: 'InvalidCredentials', reason: 'no provider for the token issuer' };
  }
  let lastReason = 'no provider accepted the token';
  for (const provider of providers) {
    const key = hash('sha256', `${provider.id}\u0000${bearer.token}`, 'base64');
    const cached = input.cache.get(key, input.nowMs);
    if (cached !== undefined) {
      input.onVerify?.('cache-hit');
      return { ok: true, claims: cached, provider };
    }
    const verified = await verifyJwt(provider, bearer.token, input.nowMs);
    input.onVerify?.(verified.ok ? 'valid' : 'invalid');
    if (verified.ok) {
      input.cache.set(key, verified.claims, verified.expiresAtMs);
      return { ok: true, claims: verified.claims, provider };
    }
    lastReason = verified.reason;
  }
  return { ok: false, code: 'InvalidCredentials', reason: lastReason };
}
