import { CompactSign, SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWTPayload, JWSHeaderParameters } from 'jose';
import type { JwtAlgorithm, PublicJwk } from '@portcullis/contract';

export interface TokenKey {
  readonly alg: JwtAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: PublicJwk;
}

export async function tokenKey(alg: JwtAlgorithm, kid: string): Promise<TokenKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  const publicJwk = { ...jwk, kid, alg, use: 'sig' } as PublicJwk;
  return { alg, kid, privateKey, publicKey, publicJwk };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface MintOptions {
  readonly claims?: JWTPayload;
  readonly header?: Partial<JWSHeaderParameters>;
  readonly omitExp?: boolean;
}

/** A well-formed token for `iss`/`aud`, valid for 10 minutes unless the claims say otherwise. */
export async function mint(key: TokenKey, iss: string, options: MintOptions = {}): Promise<string> {
  const base: JWTPayload = { iss, aud: 'api', sub: 'user-1', iat: nowSeconds() };
  if (options.omitExp !== true) base.exp = nowSeconds() + 600;
  return new SignJWT({ ...base, ...options.claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header })
    .sign(key.privateKey);
}

/** Signs arbitrary payload text (for claims JSON cannot express through SignJWT, e.g. 1e400). */
export async function signRaw(
  key: TokenKey,
  payloadJson: string,
  header: JWSHeaderParameters = {},
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payloadJson))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

export function b64url(value: string | Uint8Array): string {
  return Buffer.from(value).toString('base64url');
}
