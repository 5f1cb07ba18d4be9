import { describe, expect, it } from '@jest/globals';
import { contentHash } from '@portcullis/contract';
import type { Snapshot } from '@portcullis/contract';
import { STAGES, compileSnapshot, evaluateRequest } from '../src/index.js';
import type { CompiledSnapshot, RequestHead } from '../src/index.js';
import { TokenCache } from '../src/auth/token-cache.js';
import { jwtPolicy, route, snapshot } from './helpers/snapshots.js';
import { tokenKey } from './helpers/tokens.js';

const UP = 'http://127.0.0.1:9';

async function compiled(snap: Snapshot): Promise<CompiledSnapshot> {
  const result = await compileSnapshot({ version: 1, hash: contentHash(snap), snapshot: snap });
  if (!result.ok) throw new Error(result.message);
  return result.compiled;
}

function head(url: string, extra: Partial<RequestHead> = {}): RequestHead {
  return {
    method: 'GET',
    url,
    httpVersion: '1.1',
    headers: { host: 'api.test' },
    rawHeaders: ['Host', 'api.test'],
    ...extra,
  };
}

describe('decision pipeline (no sockets)', () => {
  it('lists its stages in the documented order', () => {
    expect(STAGES.map((s) => s.name)).toEqual([
      'request-id',
      'snapshot-in-force',
      'protocol',
      'normalise-path',
      'route-match',
      'upstream-target',
      'authenticate',
    ]);
  });

  it('decides a table of requests against one snapshot', async () => {
    const snap = await compiled(
      snapshot([
        route({ id: 'default/r/me', path: '/users/me', upstream: UP }),
        route({ id: 'default/r/user', path: '/users/{id}/books/{book}', upstream: UP }),
        route({ id: 'default/r/user-root', path: '/users/{id}', upstream: UP }),
      ]),
    );
    const cases: [RequestHead, string, string | undefined, Record<string, string> | undefined][] = [
      [head('/users/me'), 'continue', 'default/r/me', {}],
      [head('/users/42'), 'continue', 'default/r/user-root', { id: '42' }],
      [head('/users/caf%c3%a9/books/%7Ex'), 'continue', 'default/r/user', { id: 'café', book: '~x' }],
      [head('/users/42/books'), 'RouteNotFound', undefined, undefined],
      [head('/users/me', { httpVersion: '1.0' }), 'HttpVersionNotSupported', undefined, undefined],
      [
        head('/users/me', { rawHeaders: ['Host', 'api.test', 'host', 'api.test'] }),
        'BadRequest',
        undefined,
        undefined,
      ],
      [head('/users/../me'), 'BadRequest', undefined, undefined],
      [head('/users/me', { method: 'POST' }), 'RouteNotFound', undefined, undefined],
      // http-proxy would send "/users/http://x": refused rather than forwarded differently.
      [head('/users/http:'), 'continue', 'default/r/user-root', { id: 'http:' }],
      [head('/users/http:/books/x'), 'BadRequest', 'default/r/user', undefined],
    ];
    for (const [h, expected, routeId, params] of cases) {
      const { decision, context } = await evaluateRequest(h, snap);
      expect(decision.kind === 'deny' ? decision.code : decision.kind).toBe(expected);
      expect(context.match?.route.id).toBe(routeId);
      if (params !== undefined) expect({ ...context.match?.params }).toEqual(params);
      expect(context.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('denies everything with NoSnapshot when none is in force', async () => {
    const { decision } = await evaluateRequest(head('/users/me', { httpVersion: '1.0' }), undefined);
    expect(decision).toMatchObject({ kind: 'deny', code: 'NoSnapshot' });
  });
});

describe('snapshot compilation', () => {
  it('refuses two routes that claim the same host, method and path shape', async () => {
    const snap = snapshot([
      route({ id: 'default/r/a', path: '/a/{x}', upstream: UP }),
      route({ id: 'default/r/b', path: '/a/{y}', upstream: UP }),
    ]);
    const result = await compileSnapshot({ version: 1, hash: contentHash(snap), snapshot: snap });
    expect(result).toMatchObject({
      ok: false,
      message: expect.stringContaining('already claimed') as unknown,
    });
  });

  it('refuses an upstream URL carrying credentials or a query', async () => {
    for (const url of ['http://user:pw@127.0.0.1:9', 'http://127.0.0.1:9/?a=1']) {
      const snap = snapshot([route({ id: 'default/r/a', path: '/a', upstream: url })]);
      const result = await compileSnapshot({ version: 1, hash: contentHash(snap), snapshot: snap });
      expect(result).toMatchObject({
        ok: false,
        message: expect.stringMatching(/^routes\[0\]\.upstream\.url/) as unknown,
      });
    }
  });

  it('refuses a provider none of whose keys fits its allowed algorithms', async () => {
    const rsa = await tokenKey('RS256', 'rs');
    const snap = snapshot(
      [route({ id: 'default/r/a', path: '/a', upstream: UP, policies: ['default/p'] })],
      [
        jwtPolicy('default/p', [
          { issuer: 'https://idp.test', algorithms: ['ES256'], keys: [rsa.publicJwk] },
        ]),
      ],
    );
    const result = await compileSnapshot({ version: 1, hash: contentHash(snap), snapshot: snap });
    expect(result).toMatchObject({
      ok: false,
      message: 'policies[0].authentication.jwt[0].keys: no key is usable with the allowed algorithms',
    });
  });
});

describe('TokenCache', () => {
  it('is bounded, evicts the oldest entry first and forgets expired tokens', () => {
    const cache = new TokenCache(2);
    cache.set('a', { sub: 'a' }, 1_000);
    cache.set('b', { sub: 'b' }, 1_000);
    cache.set('c', { sub: 'c' }, 1_000);
    expect(cache.size).toBe(2);
    expect(cache.get('a', 0)).toBeUndefined();
    expect(cache.get('c', 0)).toEqual({ sub: 'c' });
    expect(cache.get('c', 1_000)).toBeUndefined();
    expect(cache.size).toBe(1);
  });
});
