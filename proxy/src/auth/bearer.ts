/** Bearer tokens larger than this are refused before any decoding (jose would accept 1 MB). */
export const MAX_TOKEN_BYTES = 8 * 1024;

export type BearerToken =
  | { readonly kind: 'absent' }
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'token'; readonly token: string };

// RFC 6750 §2.1 b64token; the scheme name is case-insensitive (RFC 9110 §11.1).
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9._~+/-]+=*) *$/;

/**
 * Extracts the one bearer token of a request. Node keeps only the first of repeated Authorization
 * headers in `headers`, so the count comes from `rawHeaders`: two credentials are ambiguous (a
 * front proxy and the upstream might each pick a different one) and are refused.
 */
export function extractBearer(
  headers: { readonly authorization?: string | undefined },
  rawHeaders: readonly string[],
): BearerToken {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name !== undefined && name.length === 13 && name.toLowerCase() === 'authorization') count++;
  }
  if (count === 0) return { kind: 'absent' };
  if (count > 1) return { kind: 'invalid', reason: 'more than one Authorization header' };
  const value = headers.authorization ?? '';
  if (value.length > MAX_TOKEN_BYTES + 16)
    return { kind: 'invalid', reason: 'Authorization header too large' };
  const m = BEARER.exec(value);
  const token = m?.[1];
  if (token === undefined) return { kind: 'invalid', reason: 'Authorization is not a Bearer token' };
  if (token.length > MAX_TOKEN_BYTES) return { kind: 'invalid', reason: 'bearer token too large' };
  return { kind: 'token', token };
}
