import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, exportJWK, exportSPKI } from 'jose';
import { json, send } from './helpers/http-client.js';
import type { Reply } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { jwtPolicy, route, snapshot } from './helpers/snapshots.js';
import type { ProviderSpec } from './helpers/snapshots.js';
import { b64url, mint, nowSeconds, signRaw, tokenKey } from './helpers/tokens.js';
import type { TokenKey } from './helpers/tokens.js';
import { startUpstream } from './helpers/upstream.js';
import type { SeenRequest, Upstream } from './helpers/upstream.js';

const ISS = 'https://idp.test';
const OTHER_ISS = 'https://other.test';

let upstream: Upstream;
let tp: TestProxy;
let es: TokenKey;
let rs: TokenKey;
let ed: TokenKey;
let other: TokenKey;
const tokensUsed: string[] = [];

function provider(keys: TokenKey[], extra: Partial<ProviderSpec> = {}): ProviderSpec {
  return {
    issuer: ISS,
    algorithms: ['ES256', 'RS256', 'EdDSA'],
    keys: keys.map((k) => k.publicJwk),
    forwardClaims: [
      { claim: 'sub', header: 'x-portcullis-subject' },
      { claim: 'tenant', header: 'x-user-tenant' },
      { claim: 'roles', header: 'x-user-roles' },
    ],
    ...extra,
  };
}

function buildSnapshot(strictKeys: TokenKey[]) {
  const u = upstream.url;
  return snapshot(
    [
      route({ id: 'default/r/public', path: '/public', upstream: u }),
      route({ id: 'default/r/private', path: '/private', upstream: u, policies: ['default/strict'] }),
      route({ id: 'default/r/es-only', path: '/es-only', upstream: u, policies: ['default/es-only'] }),
      route({ id: 'default/r/audit', path: '/audit', upstream: u, policies: ['default/audit'] }),
      route({
        id: 'default/r/both-issuers',
        path: '/both',
        upstream: u,
        policies: ['default/other', 'default/strict'],
      }),
      route({
        id: 'default/r/two-same',
        path: '/two',
        upstream: u,
        policies: ['default/strict', 'default/strict2'],
      }),
    ],
    [
      jwtPolicy('default/strict', [provider(strictKeys)]),
      jwtPolicy('default/strict2', [provider(strictKeys, { name: 'second' })]),
      jwtPolicy('default/es-only', [provider([es, rs], { algorithms: ['ES256'] })]),
      jwtPolicy('default/audit', [provider([es])], 'Audit'),
      jwtPolicy('default/other', [provider([other], { issuer: OTHER_ISS })]),
    ],
  );
}

beforeAll(async () => {
  upstream = await startUpstream();
  tp = await startTestProxy({ signer: await createSigner() });
  [es, rs, ed, other] = await Promise.all([
    tokenKey('ES256', 'es-1'),
    tokenKey('RS256', 'rs-1'),
    tokenKey('EdDSA', 'ed-1'),
    tokenKey('ES256', 'other-1'),
  ]);
  await pushOk(tp, buildSnapshot([es, rs, ed]), 1);
});

afterAll(async () => {
  await tp.close();
  await upstream.close();
});

async function call(
  path: string,
  authorization?: string | string[],
  extra: Record<string, string> = {},
): Promise<Reply> {
  if (typeof authorization === 'string') tokensUsed.push(authorization);
  const headers: Record<string, string | string[]> = { host: 'api.test', ...extra };
  if (authorization !== undefined) headers.authorization = authorization;
  return send(tp.proxy.trafficUrl, { path, headers });
}

const bearer = (token: string): string => `Bearer ${token}`;

function expectDenied(reply: Reply, code: 'InvalidCredentials' | 'AuthenticationRequired'): void {
  expect(reply.status).toBe(401);
  expect(reply.headers['www-authenticate']).toBe('Bearer');
  // The body says nothing but the code and the request id.
  expect(json(reply)).toEqual({ code, requestId: reply.headers['x-request-id'] });
}

const EXPECTED_REASONS: Record<string, RegExp> = {
  'alg none': /ERR_JOSE_ALG_NOT_ALLOWED/,
  'HS256 signed with the public key bytes (key confusion)': /ERR_JOSE_ALG_NOT_ALLOWED/,
  'a token signed by an unknown key with a known kid': /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/,
  'a token signed by an unknown key with an unknown kid': /ERR_JWKS_NO_MATCHING_KEY/,
  'a wrong issuer': /no provider for the token issuer/,
  'a wrong audience': /ERR_JWT_CLAIM_VALIDATION_FAILED:aud/,
  'an expired token': /ERR_JWT_EXPIRED:exp/,
  'a token without exp': /ERR_JWT_CLAIM_VALIDATION_FAILED:exp:missing/,
  'exp 1e400 (Infinity)': /exp is not a finite NumericDate/,
  'exp far beyond any NumericDate': /exp is not a finite NumericDate/,
  'iat in the future': /iat is in the future/,
  'nbf in the future': /ERR_JWT_CLAIM_VALIDATION_FAILED:nbf/,
  'an embedded jwk header (attacker key)': /carries "jwk"/,
  'an embedded jwk header (even with a valid signature)': /carries "jwk"/,
  'a jku header': /carries "jku"/,
  'a token that is not a JWS': /not a decodable JWS/,
  'a JWE-shaped token': /not a decodable JWS/,
  'an oversized token (9 KiB)': /too large/,
};

describe('JWT authentication', () => {
  it.each(['ES256', 'RS256', 'EdDSA'])(
    'accepts a valid %s token and forwards the verified subject',
    async (alg) => {
      const key = { ES256: es, RS256: rs, EdDSA: ed }[alg] as TokenKey;
      const reply = await call(
        '/private',
        bearer(await mint(key, ISS, { claims: { tenant: 'acme', roles: ['a'] } })),
      );
      expect(reply.status).toBe(200);
      const seen = json<SeenRequest>(reply);
      expect(seen.headers['x-portcullis-subject']).toBe('user-1');
      expect(seen.headers['x-user-tenant']).toBe('acme');
      // Only string, number and boolean claims are forwarded.
      expect(seen.headers['x-user-roles']).toBeUndefined();
    },
  );

  it('forwards a finite number claim and never an infinite one (1e400 parses as Infinity)', async () => {
    const token = async (tenant: string) =>
      signRaw(
        es,
        `{"iss":"${ISS}","aud":"api","sub":"user-1","tenant":${tenant},"exp":${nowSeconds() + 600}}`,
        {
          typ: 'JWT',
        },
      );
    const finite = json<SeenRequest>(await call('/private', bearer(await token('42'))));
    expect(finite.headers['x-user-tenant']).toBe('42');
    const reply = await call('/private', bearer(await token('1e400')));
    expect(reply.status).toBe(200);
    expect(json<SeenRequest>(reply).headers['x-user-tenant']).toBeUndefined();
  });

  it('replaces a client-supplied identity header with the verified claim', async () => {
    const reply = await call('/private', bearer(await mint(es, ISS)), {
      'x-portcullis-subject': 'admin',
      'x-user-tenant': 'someone-else',
    });
    const seen = json<SeenRequest>(reply);
    expect(seen.headers['x-portcullis-subject']).toBe('user-1');
    expect(seen.headers['x-user-tenant']).toBeUndefined();
  });

  it('strips configured claim headers on routes without authentication too', async () => {
    const reply = await call('/public', undefined, {
      'x-user-tenant': 'acme',
      'x-portcullis-subject': 'root',
    });
    const seen = json<SeenRequest>(reply);
    expect(seen.headers['x-user-tenant']).toBeUndefined();
    expect(seen.headers['x-portcullis-subject']).toBeUndefined();
  });

  it('answers a request without a token with 401 AuthenticationRequired', async () => {
    expectDenied(await call('/private'), 'AuthenticationRequired');
  });

  it.each<[string, () => Promise<string>]>([
    [
      'alg none',
      () => {
        const header = b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
        const claims = b64url(
          JSON.stringify({ iss: ISS, aud: 'api', sub: 'admin', exp: nowSeconds() + 600 }),
        );
        return Promise.resolve(`${header}.${claims}.`);
      },
    ],
    [
      'HS256 signed with the public key bytes (key confusion)',
      async () => {
        const pem = await exportSPKI(rs.publicKey);
        return new SignJWT({ iss: ISS, aud: 'api', sub: 'admin', exp: nowSeconds() + 600 })
          .setProtectedHeader({ alg: 'HS256', kid: 'rs-1' })
          .sign(new TextEncoder().encode(pem));
      },
    ],
    [
      'a token signed by an unknown key with a known kid',
      async () => mint(await tokenKey('ES256', 'es-1'), ISS),
    ],
    [
      'a token signed by an unknown key with an unknown kid',
      async () => mint(await tokenKey('ES256', 'nope'), ISS),
    ],
    ['a wrong issuer', async () => mint(es, 'https://evil.test')],
    ['a wrong audience', async () => mint(es, ISS, { claims: { aud: 'other-api' } })],
    ['an expired token', async () => mint(es, ISS, { claims: { exp: nowSeconds() - 120 } })],
    ['a token without exp', async () => mint(es, ISS, { omitExp: true })],
    [
      'exp 1e400 (Infinity)',
      async () => signRaw(es, `{"iss":"${ISS}","aud":"api","sub":"admin","exp":1e400}`, { typ: 'JWT' }),
    ],
    ['exp far beyond any NumericDate', async () => mint(es, ISS, { claims: { exp: 1e300 } })],
    ['iat in the future', async () => mint(es, ISS, { claims: { iat: nowSeconds() + 3600 } })],
    ['nbf in the future', async () => mint(es, ISS, { claims: { nbf: nowSeconds() + 3600 } })],
    [
      'an embedded jwk header (attacker key)',
      async () => {
        const attacker = await tokenKey('ES256', 'es-1');
        return mint(attacker, ISS, {
          header: { jwk: await exportJWK(attacker.publicKey) },
        });
      },
    ],
    [
      'an embedded jwk header (even with a valid signature)',
      async () => mint(es, ISS, { header: { jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } } }),
    ],
    ['a jku header', async () => mint(es, ISS, { header: { jku: 'https://evil.test/jwks' } })],
    ['a token that is not a JWS', () => Promise.resolve('abc.def')],
    ['a JWE-shaped token', () => Promise.resolve('a.b.c.d.e')],
    ['an oversized token (9 KiB)', async () => mint(es, ISS, { claims: { pad: 'x'.repeat(9 * 1024) } })],
  ])('refuses %s with 401 InvalidCredentials', async (name, make) => {
    const before = upstream.seen.length;
    const reply = await call('/private', bearer(await make()));
    expectDenied(reply, 'InvalidCredentials');
    expect(upstream.seen.length).toBe(before);
    // The detailed reason is in the log (and only there): proves each case failed for its own reason.
    const record = tp.logs.requests().find((r) => r.requestId === reply.headers['x-request-id']);
    expect(record?.reason).toMatch(EXPECTED_REASONS[name] ?? /^$/);
  });

  it('refuses an algorithm outside the provider allow-list (RS256 token where only ES256 is allowed)', async () => {
    expect((await call('/es-only', bearer(await mint(es, ISS)))).status).toBe(200);
    expectDenied(await call('/es-only', bearer(await mint(rs, ISS))), 'InvalidCredentials');
  });

  it('refuses two Authorization headers even when both are valid', async () => {
    const token = await mint(es, ISS);
    tokensUsed.push(token);
    expectDenied(await call('/private', [bearer(token), bearer(token)]), 'InvalidCredentials');
  });

  it('refuses a non-Bearer scheme', async () => {
    expectDenied(await call('/private', 'Basic dXNlcjpwYXNz'), 'InvalidCredentials');
  });

  it('accepts a token within the clock skew it was configured with (0 s here: just-expired is refused)', async () => {
    expectDenied(
      await call('/private', bearer(await mint(es, ISS, { claims: { exp: nowSeconds() - 1 } }))),
      'InvalidCredentials',
    );
  });
});

describe('policy modes and conjunction', () => {
  it('Audit mode lets a bad token through and logs wouldDeny with the code', async () => {
    const reply = await call('/audit', bearer(await mint(es, 'https://evil.test')));
    expect(reply.status).toBe(200);
    const record = tp.logs.requests().find((r) => r.requestId === reply.headers['x-request-id']);
    expect(record).toMatchObject({
      decision: 'allow',
      wouldDeny: [{ policy: 'default/audit', code: 'InvalidCredentials' }],
    });
    const none = await call('/audit');
    expect(none.status).toBe(200);
    const noneRecord = tp.logs.requests().find((r) => r.requestId === none.headers['x-request-id']);
    expect(noneRecord).toMatchObject({
      wouldDeny: [{ policy: 'default/audit', code: 'AuthenticationRequired' }],
    });
    // A dry run is measured before switching to Enforce: each would-be denial is counted.
    const metrics = (await send(tp.proxy.adminUrl, { path: '/metrics' })).text;
    for (const code of ['InvalidCredentials', 'AuthenticationRequired']) {
      expect(metrics).toMatch(
        new RegExp(`portcullis_audit_would_deny_total\\{[^}]*policy="default/audit",code="${code}"\\} [1-9]`),
      );
    }
  });

  it('requires every attached policy: a token from only one of two issuers is denied', async () => {
    expectDenied(await call('/both', bearer(await mint(es, ISS))), 'InvalidCredentials');
    expectDenied(await call('/both', bearer(await mint(other, OTHER_ISS))), 'InvalidCredentials');
    // Control: two attached policies that the same token satisfies.
    expect((await call('/two', bearer(await mint(es, ISS)))).status).toBe(200);
  });
});

describe('verified-token cache', () => {
  it('never lets a token cached for one provider pass another provider that would refuse it', async () => {
    const token = await mint(rs, ISS);
    expect((await call('/private', bearer(token))).status).toBe(200);
    expect((await call('/private', bearer(token))).status).toBe(200);
    // Same key and issuer, but this provider allows ES256 only.
    expectDenied(await call('/es-only', bearer(token)), 'InvalidCredentials');
  });

  it('serves a repeated token from the cache, and a key rotation in a new snapshot invalidates it', async () => {
    const token = await mint(es, ISS);
    expect((await call('/private', bearer(token))).status).toBe(200);
    expect((await call('/private', bearer(token))).status).toBe(200);
    const metrics = (await send(tp.proxy.adminUrl, { path: '/metrics' })).text;
    expect(metrics).toMatch(/^portcullis_jwt_cache_hits_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^portcullis_jwt_verifications_total\{result="valid"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^portcullis_jwt_verifications_total\{result="invalid"\} [1-9]\d*$/m);

    const rotated = await tokenKey('ES256', 'es-2');
    await pushOk(tp, buildSnapshot([rotated]), 2);
    expectDenied(await call('/private', bearer(token)), 'InvalidCredentials');
    expect((await call('/private', bearer(await mint(rotated, ISS)))).status).toBe(200);
  });
});

describe('logs', () => {
  it('never contain a token, a token fragment or an Authorization header value', () => {
    expect(tokensUsed.length).toBeGreaterThan(10);
    const all = tp.logs.lines.join('\n');
    for (const value of tokensUsed) {
      const token = value.replace(/^\S+\s+/, '');
      expect(all).not.toContain(token);
      // Each signed part separately: a log that printed only the payload or the signature would leak too.
      for (const part of token.split('.').filter((p) => p.length > 16)) expect(all).not.toContain(part);
    }
    const subjects = tp.logs.requests().map((r) => r.subject);
    expect(subjects).toContain('user-1');
  });
});
