import { describe, expect, it } from '@jest/globals';
import { problemText } from '../src/resources/field-path.js';
import { validateGatewayPolicy } from '../src/validation/gateway-policy.js';
import { validateRouteClassification } from '../src/validation/route-classification.js';
import { validateSecret } from '../src/validation/secret.js';
import type { Validated } from '../src/validation/issues.js';

const rc = (spec: Record<string, unknown>) => ({
  apiVersion: 'portcullis.io/v1alpha1',
  kind: 'RouteClassification',
  metadata: { name: 'rc' },
  spec: {
    hosts: ['a.example.com'],
    upstream: { url: 'http://127.0.0.1:9000' },
    routes: [{ name: 'r', methods: ['GET'], path: '/x' }],
    ...spec,
  },
});

const jwt = (over: Record<string, unknown> = {}) => ({
  name: 'idp',
  issuer: 'https://idp.example.com/',
  audiences: ['api'],
  algorithms: ['ES256'],
  jwks: { inline: { keys: [{ kty: 'EC' }] } },
  ...over,
});

const gp = (spec: Record<string, unknown>) => ({
  apiVersion: 'portcullis.io/v1alpha1',
  kind: 'GatewayPolicy',
  metadata: { name: 'gp' },
  spec: {
    targetRefs: [{ kind: 'RouteClassification', name: 'rc' }],
    authentication: { jwt: [jwt()] },
    ...spec,
  },
});

function messages<T>(r: Validated<T>): string[] {
  return r.ok ? [] : r.problems.map(problemText);
}

describe('RouteClassification validation', () => {
  it('applies defaults', () => {
    const r = validateRouteClassification(rc({}));
    expect(r.ok && r.value).toEqual({
      hosts: ['a.example.com'],
      upstream: { url: 'http://127.0.0.1:9000', timeoutMs: 5000 },
      defaultTier: 'internal',
      routes: [{ name: 'r', methods: ['GET'], path: '/x', categories: [] }],
    });
  });

  it('reports path template problems at the route path', () => {
    const r = validateRouteClassification(
      rc({
        routes: [
          { name: 'r', methods: ['GET'], path: '/a/../b' },
          { name: 's', methods: ['GET'], path: '/a/*/b' },
          { name: 't', methods: ['GET'], path: '/a/b;v=1' },
        ],
      }),
    );
    expect(messages(r)).toEqual([
      'spec.routes[0].path: dot segments are not allowed',
      'spec.routes[1].path: "*" is allowed only as the last segment',
      'spec.routes[2].path: segment "b;v=1" has characters outside the allowed set',
    ]);
  });

  it('refuses fields this version does not enforce, and unknown fields', () => {
    const r = validateRouteClassification(
      rc({
        upstream: { url: 'http://x', tls: {} },
        routes: [{ name: 'r', methods: ['GET'], path: '/x', body: {}, params: {}, extra: 1 }],
        surprise: true,
      }),
    );
    expect(messages(r)).toEqual([
      'spec.routes[0].body: not supported by this version of Portcullis',
      'spec.routes[0].extra: unknown field',
      'spec.routes[0].params: not supported by this version of Portcullis',
      'spec.surprise: unknown field',
      'spec.upstream.tls: not supported by this version of Portcullis',
    ]);
  });

  it('needs exactly one of url and service, and bounds the timeout', () => {
    expect(messages(validateRouteClassification(rc({ upstream: {} })))).toEqual([
      'spec.upstream: exactly one of url or service is required',
    ]);
    expect(
      messages(
        validateRouteClassification(rc({ upstream: { url: 'http://x', service: { name: 's', port: 1 } } })),
      ),
    ).toEqual(['spec.upstream: exactly one of url or service is required']);
    expect(
      messages(validateRouteClassification(rc({ upstream: { url: 'http://x', timeoutMs: 300_001 } }))),
    ).toEqual(['spec.upstream.timeoutMs: must be at most 300000']);
  });

  it('refuses non-http URLs and credentials in URLs', () => {
    expect(messages(validateRouteClassification(rc({ upstream: { url: 'file:///etc/passwd' } })))).toEqual([
      'spec.upstream.url: must be an http:// or https:// URL',
    ]);
    expect(messages(validateRouteClassification(rc({ upstream: { url: 'http://u:p@x' } })))).toEqual([
      'spec.upstream.url: must not carry credentials (user:password@)',
    ]);
    // A query would be merged into every forwarded request's, and the proxy refuses it: so must we,
    // or one route would make every proxy refuse every update.
    for (const url of ['http://x/?api_key=k', 'http://x/?', 'http://x/#f', 'http://x#']) {
      const problems = messages(validateRouteClassification(rc({ upstream: { url } })));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^spec\.upstream\.url: must not have a (\?query|#fragment)$/);
    }
    expect(
      messages(validateRouteClassification(rc({ upstream: { url: `http://x/${'a'.repeat(2048)}` } }))),
    ).toEqual(['spec.upstream.url: must be at most 2048 characters']);
  });

  it('reports duplicates and overlapping routes even when other fields are wrong', () => {
    const r = validateRouteClassification(
      rc({
        hosts: ['a.example.com', 'a.example.com'],
        routes: [
          { name: 'r', methods: ['GET', 'GET'], path: '/x/{a}' },
          { name: 'r', methods: ['GET'], path: '/x/{b}', tier: 'secret' },
        ],
      }),
    );
    expect(messages(r)).toEqual([
      'spec.hosts[1]: duplicate host (same as [0])',
      'spec.routes[0].methods[1]: duplicate method (same as [0])',
      'spec.routes[1]: GET /x/{b} is also declared by routes[0]',
      'spec.routes[1].name: duplicate route name (same as routes[0])',
      'spec.routes[1].tier: must be one of public, internal, confidential, restricted',
    ]);
  });

  it('bounds lists and strings', () => {
    const many = Array.from({ length: 65 }, (_, i) => `h${i}.example.com`);
    expect(messages(validateRouteClassification(rc({ hosts: many })))).toEqual([
      'spec.hosts: at most 64 items',
    ]);
    expect(messages(validateRouteClassification(rc({ hosts: [] })))).toEqual([
      'spec.hosts: must not be empty',
    ]);
    expect(messages(validateRouteClassification(rc({ hosts: 'a.example.com' })))).toEqual([
      'spec.hosts: expected a list, got a string',
    ]);
  });

  it('says what is missing', () => {
    expect(
      messages(validateRouteClassification({ apiVersion: 'x', kind: 'y', metadata: { name: 'rc' } })),
    ).toEqual(['spec: required']);
  });
});

describe('GatewayPolicy validation', () => {
  it('applies defaults and lower-cases forwarded header names', () => {
    const r = validateGatewayPolicy(
      gp({ authentication: { jwt: [jwt({ forwardClaims: [{ claim: 'sub', header: 'X-User' }] })] } }),
    );
    expect(r.ok && r.value.enforcementMode).toBe('Enforce');
    expect(r.ok && r.value.authentication.jwt[0]?.clockSkewSeconds).toBe(30);
    expect(r.ok && r.value.authentication.jwt[0]?.forwardClaims).toEqual([
      { claim: 'sub', header: 'x-user' },
    ]);
  });

  it('refuses none and HS* with their own messages', () => {
    const r = validateGatewayPolicy(
      gp({ authentication: { jwt: [jwt({ algorithms: ['none', 'HS512', 'RS1'] })] } }),
    );
    expect(messages(r)).toEqual([
      'spec.authentication.jwt[0].algorithms[0]: "none" is never allowed: it accepts unsigned tokens',
      expect.stringMatching(
        /^spec\.authentication\.jwt\[0\]\.algorithms\[1\]: HS512 is a shared-secret algorithm/,
      ),
      expect.stringMatching(/^spec\.authentication\.jwt\[0\]\.algorithms\[2\]: must be one of ES256/),
    ]);
  });

  it('refuses every control this version does not enforce', () => {
    const r = validateGatewayPolicy(
      gp({
        selector: {},
        authorization: {},
        rateLimits: [],
        validation: {},
        replayProtection: {},
        audit: {},
        ipRules: {},
        agents: {},
        guardrails: [],
        authentication: { jwt: [jwt()], apiKeys: {}, mtls: {} },
      }),
    );
    expect(messages(r)).toEqual(
      [
        'agents',
        'audit',
        'authentication.apiKeys',
        'authentication.mtls',
        'authorization',
        'guardrails',
        'ipRules',
        'rateLimits',
        'replayProtection',
        'selector',
        'validation',
      ].map((f) => `spec.${f}: not supported by this version of Portcullis`),
    );
  });

  it('requires JWT authentication: a policy without any control would open what it attaches to', () => {
    expect(messages(validateGatewayPolicy(gp({ authentication: undefined })))).toEqual([
      'spec.authentication: required',
    ]);
    expect(messages(validateGatewayPolicy(gp({ authentication: { jwt: [] } })))).toEqual([
      'spec.authentication.jwt: must not be empty',
    ]);
  });

  it('needs exactly one JWKS source', () => {
    const both = jwt({ jwks: { inline: { keys: [{}] }, secretRef: { name: 's' } } });
    expect(messages(validateGatewayPolicy(gp({ authentication: { jwt: [both] } })))).toEqual([
      'spec.authentication.jwt[0].jwks: exactly one of inline, secretRef or uri is required',
    ]);
  });

  it('refuses reserved or malformed forwarded headers and duplicates', () => {
    const r = validateGatewayPolicy(
      gp({
        authentication: {
          jwt: [
            jwt({
              forwardClaims: [
                { claim: 'a', header: 'x-forwarded-for' },
                { claim: 'b', header: 'authorization' },
                { claim: 'c', header: 'x-a' },
                { claim: 'd', header: 'X-A' },
                { claim: 'e', header: 'X-Request-Id' },
              ],
            }),
          ],
        },
      }),
    );
    expect(messages(r)).toEqual([
      'spec.authentication.jwt[0].forwardClaims[0].header: x-forwarded-*, x-real-ip and x-request-id are set by the proxy and cannot carry a claim',
      'spec.authentication.jwt[0].forwardClaims[1].header: must be a header name starting with x- (letters, digits, "-")',
      'spec.authentication.jwt[0].forwardClaims[3]: duplicate header (same as [2])',
      'spec.authentication.jwt[0].forwardClaims[4].header: x-forwarded-*, x-real-ip and x-request-id are set by the proxy and cannot carry a claim',
    ]);
  });

  it('only targets RouteClassifications in the same namespace', () => {
    const r = validateGatewayPolicy(gp({ targetRefs: [{ kind: 'Service', name: 'x', namespace: 'other' }] }));
    expect(messages(r)).toEqual([
      'spec.targetRefs[0].kind: must be RouteClassification',
      'spec.targetRefs[0].namespace: unknown field',
    ]);
  });
});

describe('Secret validation', () => {
  it('decodes data and lets stringData win', () => {
    const r = validateSecret({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { a: Buffer.from('from-data').toString('base64'), b: Buffer.from('x').toString('base64') },
      stringData: { a: 'from-stringData' },
    });
    expect(r.ok && Object.fromEntries([...r.value.values].map(([k, v]) => [k, v.toString()]))).toEqual({
      a: 'from-stringData',
      b: 'x',
    });
  });

  it('refuses data that is not base64', () => {
    const r = validateSecret({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { 'jwks.json': '{not base64}' },
    });
    expect(messages(r)).toEqual(['data["jwks.json"]: must be base64']);
  });
});
