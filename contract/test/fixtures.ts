import type { Snapshot } from '@portcullis/contract';

/** A small valid snapshot: one public route and one JWT-protected route. */
export function sampleSnapshot(
  keys: readonly object[] = [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }],
): Snapshot {
  const source = (kind: 'RouteClassification' | 'GatewayPolicy', name: string) => ({
    kind,
    namespace: 'shop',
    name,
    generation: 1,
  });
  return {
    schemaVersion: 1,
    policies: [
      {
        id: 'shop/jwt',
        source: source('GatewayPolicy', 'jwt'),
        enforcementMode: 'Enforce',
        authentication: {
          jwt: [
            {
              name: 'idp',
              issuer: 'https://idp.example.com/',
              audiences: ['shop'],
              algorithms: ['ES256'],
              clockSkewSeconds: 30,
              keys: keys as Snapshot['policies'][number]['authentication']['jwt'][number]['keys'],
              forwardClaims: [{ claim: 'sub', header: 'x-portcullis-subject' }],
            },
          ],
        },
      },
    ],
    routes: [
      {
        id: 'shop/api/health',
        source: source('RouteClassification', 'api'),
        hosts: ['shop.example.com'],
        methods: ['GET'],
        path: '/health',
        tier: 'public',
        categories: [],
        upstream: { url: 'http://127.0.0.1:9000', timeoutMs: 1000 },
        policies: [],
      },
      {
        id: 'shop/api/orders',
        source: source('RouteClassification', 'api'),
        hosts: ['shop.example.com'],
        methods: ['GET'],
        path: '/v1/orders/{id}',
        tier: 'confidential',
        categories: ['pii'],
        upstream: { url: 'http://127.0.0.1:9000', timeoutMs: 1000 },
        policies: ['shop/jwt'],
      },
    ],
  };
}
