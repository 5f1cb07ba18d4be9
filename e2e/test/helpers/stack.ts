import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import {
  exportSigningKeyPem,
  generateSigningKey,
  trustedKeysDocument,
  type SigningKey,
} from '@portcullis/contract';

export const ISSUER = 'https://idp.e2e.test/';
export const AUDIENCE = 'orders-api';

/** An upstream that echoes what it received, on an ephemeral loopback port. */
export async function startEchoUpstream(): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A test identity provider: an ES256 key pair and a token minter. */
export async function createIdp(): Promise<{
  jwks: { keys: JWK[] };
  mint(claims?: Record<string, unknown>): Promise<string>;
}> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'e2e-1', alg: 'ES256' };
  return { jwks: { keys: [jwk] }, mint: (claims = {}) => mint(privateKey, claims) };
}

function mint(key: CryptoKey, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'e2e-1' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
}

export function routesYaml(upstreamUrl: string): string {
  return `apiVersion: portcullis.io/v1alpha1
kind: RouteClassification
metadata: {name: orders, namespace: shop}
spec:
  hosts: ["127.0.0.1", "localhost"]
  upstream: {url: "${upstreamUrl}", timeoutMs: 5000}
  defaultTier: internal
  routes:
    - {name: health, methods: [GET], path: /health, tier: public}
    - {name: read-order, methods: [GET], path: "/v1/orders/{id}", tier: confidential, categories: [pii]}
`;
}

export function policyYaml(mode: 'Enforce' | 'Audit'): string {
  return `apiVersion: portcullis.io/v1alpha1
kind: GatewayPolicy
metadata: {name: orders-jwt, namespace: shop}
spec:
  targetRefs: [{kind: RouteClassification, name: orders, routes: [read-order]}]
  enforcementMode: ${mode}
  authentication:
    jwt:
      - name: e2e-idp
        issuer: "${ISSUER}"
        audiences: ["${AUDIENCE}"]
        jwks: {secretRef: {name: idp-jwks}}
        algorithms: [ES256]
        forwardClaims: [{claim: sub, header: x-portcullis-subject}]
`;
}

export function jwksSecretYaml(jwks: { keys: JWK[] }): string {
  return `apiVersion: v1
kind: Secret
metadata: {name: idp-jwks, namespace: shop}
stringData:
  jwks.json: '${JSON.stringify(jwks)}'
`;
}

/** A scratch directory with a policy folder, a controller key pair and a proxy state dir. */
export interface Workspace {
  readonly dir: string;
  readonly policies: string;
  readonly proxyState: string;
  readonly signingKey: SigningKey;
  readonly signingKeyFile: string;
  readonly trustedKeysFile: string;
  remove(): Promise<void>;
}

export async function createWorkspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-e2e-'));
  const policies = join(dir, 'policies');
  await mkdir(policies);
  const signingKey = await generateSigningKey();
  const signingKeyFile = join(dir, 'signing-key.pem');
  const trustedKeysFile = join(dir, 'trusted-keys.json');
  await writeFile(signingKeyFile, await exportSigningKeyPem(signingKey), { mode: 0o600 });
  await writeFile(trustedKeysFile, JSON.stringify(trustedKeysDocument(signingKey)));
  return {
    dir,
    policies,
    proxyState: join(dir, 'proxy-state'),
    signingKey,
    signingKeyFile,
    trustedKeysFile,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
