import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';

export const DEMO_ISSUER = 'https://demo-idp.portcullis.local/';
export const DEMO_AUDIENCE = 'demo-api';
export const DEMO_JWKS_SECRET = 'demo-idp-jwks';

export interface DemoIdp {
  readonly issuer: string;
  /** The public key set, as the policy's JWKS Secret carries it. */
  readonly jwks: { keys: JWK[] };
  /** A signed ES256 access token for `subject`, valid for `ttlSeconds`. */
  mint(subject: string, ttlSeconds?: number): Promise<string>;
}

/**
 * A demo identity provider for the quick-start: its key pair is generated at every start and lives
 * only in memory, so tokens it minted die with it. It exists so that `npm start` can show JWT
 * authentication working without any outside service. Never use it for anything real.
 */
export async function createDemoIdp(issuer = DEMO_ISSUER, audience = DEMO_AUDIENCE): Promise<DemoIdp> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = `demo-${randomUUID().slice(0, 8)}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return {
    issuer,
    jwks: { keys: [jwk] },
    mint: (subject, ttlSeconds = 3600) =>
      mintToken(privateKey, { issuer, audience, kid, subject, ttlSeconds }),
  };
}

interface MintOptions {
  issuer: string;
  audience: string;
  kid: string;
  subject: string;
  ttlSeconds: number;
}

function mintToken(key: CryptoKey, o: MintOptions): Promise<string> {
  return new SignJWT({ scope: 'orders:read' })
    .setProtectedHeader({ alg: 'ES256', kid: o.kid, typ: 'JWT' })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.subject)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${o.ttlSeconds}s`)
    .sign(key);
}

/** The JWKS as a `kind: Secret` object, injected into the controller's source like a file would be. */
export function demoJwksSecret(jwks: { keys: JWK[] }, namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: DEMO_JWKS_SECRET, namespace },
    type: 'Opaque',
    stringData: { 'jwks.json': JSON.stringify(jwks) },
  };
}
