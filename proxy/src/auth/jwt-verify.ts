import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { CompiledProvider } from '../compile/compiled.js';

/**
 * JWT verification for one provider: jose's `jwtVerify` plus the checks it leaves to the caller
 * (field-notes §1.5, RFC 8725). Every failure reason is a short code for the log; none of them
 * contains the token or its claims.
 */

/** Latest NumericDate we accept (9999-12-31T23:59:59Z): rules out `1e400` (Infinity) and absurd values. */
const MAX_NUMERIC_DATE = 253_402_300_799;

/**
 * Header members that locate or carry a key. jose never trusts them, but a token that brings its
 * own key is an attack or a misconfigured issuer, so it is refused outright.
 */
const KEY_CARRYING_HEADER_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

export type TokenInspection =
  { readonly ok: true; readonly issuer: string } | { readonly ok: false; readonly reason: string };

/** Reads the unverified `iss` (to choose a provider) and screens the header; verifies nothing. */
export function inspectToken(token: string): TokenInspection {
  let header: Record<string, unknown>;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    return { ok: false, reason: 'token is not a decodable JWS' };
  }
  for (const member of KEY_CARRYING_HEADER_MEMBERS) {
    if (Object.hasOwn(header, member)) return { ok: false, reason: `token header carries "${member}"` };
  }
  if (typeof claims.iss !== 'string') return { ok: false, reason: 'token has no string iss' };
  return { ok: true, issuer: claims.iss };
}

export type Verification =
  | { readonly ok: true; readonly claims: Readonly<JWTPayload>; readonly expiresAtMs: number }
  | { readonly ok: false; readonly reason: string };

export async function verifyJwt(
  provider: CompiledProvider,
  token: string,
  nowMs: number,
): Promise<Verification> {
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, provider.keySet, {
      algorithms: [...provider.algorithms],
      issuer: provider.issuer,
      audience: [...provider.audiences],
      requiredClaims: ['exp'],
      clockTolerance: provider.clockSkewSeconds,
      currentDate: new Date(nowMs),
    }));
  } catch (err) {
    return { ok: false, reason: joseReason(err) };
  }
  const now = Math.floor(nowMs / 1000);
  const exp = claims.exp;
  if (!isNumericDate(exp)) return { ok: false, reason: 'exp is not a finite NumericDate' };
  if (claims.nbf !== undefined && !isNumericDate(claims.nbf)) {
    return { ok: false, reason: 'nbf is not a finite NumericDate' };
  }
  if (claims.iat !== undefined) {
    if (!isNumericDate(claims.iat)) return { ok: false, reason: 'iat is not a finite NumericDate' };
    if (claims.iat > now + provider.clockSkewSeconds) return { ok: false, reason: 'iat is in the future' };
  }
  return { ok: true, claims: Object.freeze(claims), expiresAtMs: exp * 1000 };
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_NUMERIC_DATE;
}

function joseReason(err: unknown): string {
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `${err.code}:${err.claim}:${err.reason}`;
  if (err instanceof joseErrors.JWTExpired) return `${err.code}:${err.claim}`;
  if (err instanceof joseErrors.JOSEError) return err.code;
  return 'verification failed';
}
