import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { normaliseTarget } from '../src/index.js';
import { jwtPolicy, route, snapshot } from './helpers/snapshots.js';
import { sendRaw, statusLines } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { tokenKey } from './helpers/tokens.js';
import { startUpstream } from './helpers/upstream.js';
import type { Upstream } from './helpers/upstream.js';
import { waitFor } from './helpers/wait.js';

describe('normaliseTarget', () => {
  it.each([
    ['/', '/', '/'],
    ['/a/b', '/a/b', '/a/b'],
    ['/a/b/', '/a/b/', '/a/b/'],
    ['/v1/%7Euser', '/v1/~user', '/v1/~user'],
    ['/%41%2d%2E%5f%7e', '/A-._~', '/A-._~'],
    ['/caf%c3%a9', '/caf%C3%A9', '/caf%C3%A9'],
    ['/a%20b', '/a%20b', '/a%20b'],
    ["/a=c/!$&'()*+,:@", "/a=c/!$&'()*+,:@", "/a=c/!$&'()*+,:@"],
    ['/a?m=x;y', '/a', '/a?m=x;y'],
    ['/a?x=%2F&y=/..//?#', null, null],
    ['/a?x=%2f&y=/..//?', '/a', '/a?x=%2f&y=/..//?'],
    ['/a?', '/a', '/a?'],
    ['/a.b/..c/.d', '/a.b/..c/.d', '/a.b/..c/.d'],
  ])('%s -> path %s, url %s', (raw, path, url) => {
    const result = normaliseTarget(raw);
    if (path === null) {
      expect(result.ok).toBe(false);
      return;
    }
    expect(result).toEqual({ ok: true, path, url });
  });

  it.each([
    ['absolute-form', 'http://evil/admin'],
    ['authority-form', 'evil:443'],
    ['asterisk-form', '*'],
    ['empty target', ''],
    ['a leading //', '//admin'],
    ['a dot-dot segment', '/public/../admin'],
    ['a dot segment', '/public/./x'],
    ['a trailing dot segment', '/public/.'],
    ['an encoded dot-dot', '/public/%2e%2e/admin'],
    ['a mixed-case encoded dot-dot', '/public/%2E./admin'],
    ['an encoded slash', '/public%2fadmin'],
    ['an upper-case encoded slash', '/public%2Fadmin'],
    ['dot-dot then encoded slash', '/public/..%2fadmin'],
    ['a backslash', '/a\\..\\admin'],
    ['an encoded backslash', '/a%5c..%5cadmin'],
    ['an upper-case encoded backslash', '/a%5C..%5Cadmin'],
    ['an encoded backslash joining two segments', '/api%5cadmin'],
    ['a raw fragment', '/admin#x'],
    ['an encoded fragment', '/admin%23x'],
    ['an encoded question mark', '/admin%3fx'],
    ['double encoding', '/public/%252e%252e/admin'],
    ['an empty segment', '/public//admin'],
    ['an encoded NUL', '/public%00/admin'],
    ['an encoded control byte', '/a%0d%0aX: y'],
    ['an encoded DEL', '/a%7f'],
    ['a truncated escape', '/a%2'],
    ['a non-hex escape', '/a%zz'],
    ['invalid UTF-8 escapes', '/a%c3%28'],
    ['a space', '/a b'],
    ['a double quote', '/a"b'],
    ['angle brackets', '/a<b>'],
    ['braces', '/a{b}'],
    ['a pipe', '/a|b'],
    ['a caret', '/a^b'],
    ['a backtick', '/a`b'],
    ['non-ASCII', '/café'],
    ['a bad query escape', '/a?x=%g0'],
    ['a space in the query', '/a?x=1 2'],
    ['a dot-dot segment with a matrix parameter', '/public/..;/admin'],
    ['a dot-dot segment with a named matrix parameter', '/public/..;jsessionid=x/admin'],
    ['a dot segment with a matrix parameter', '/public/.;x/admin'],
    ['an encoded dot-dot segment with a matrix parameter', '/public/%2e%2e;/admin'],
    ['an empty segment with a matrix parameter', '/public/;x/admin'],
    ['a matrix parameter on a literal segment', '/api/admin;x=1'],
    ['a bare semicolon at the end', '/api/admin;'],
    ['an encoded semicolon', '/api/admin%3Bx'],
    ['an encoded semicolon in lower case', '/api/admin%3bx'],
  ])('refuses %s', (_name, raw) => {
    expect(normaliseTarget(raw).ok).toBe(false);
  });
});

describe('path-normalisation bypasses against a running proxy', () => {
  let publicUpstream: Upstream;
  let adminUpstream: Upstream;
  let tp: TestProxy;

  beforeAll(async () => {
    publicUpstream = await startUpstream();
    adminUpstream = await startUpstream();
    tp = await startTestProxy({ signer: await createSigner() });
    const key = await tokenKey('ES256', 'k1');
    await pushOk(
      tp,
      snapshot(
        [
          route({ id: 'default/r/public', path: '/public/*', upstream: publicUpstream.url }),
          route({ id: 'default/r/public-root', path: '/public', upstream: publicUpstream.url }),
          route({ id: 'default/r/a', path: '/a/*', upstream: publicUpstream.url }),
          route({
            id: 'default/r/admin',
            path: '/admin',
            upstream: adminUpstream.url,
            policies: ['default/admins'],
          }),
        ],
        [
          jwtPolicy('default/admins', [
            { issuer: 'https://idp.test', algorithms: ['ES256'], keys: [key.publicJwk] },
          ]),
        ],
      ),
      1,
    );
  });

  afterAll(async () => {
    await tp.close();
    await publicUpstream.close();
    await adminUpstream.close();
  });

  it.each([
    '//admin',
    '/public/../admin',
    '/public/%2e%2e/admin',
    '/public/%2E%2E/admin',
    '/public%2fadmin',
    '/public%2Fadmin',
    '/public/..%2fadmin',
    '/public/..%2Fadmin',
    '/a\\..\\admin',
    '/admin#x',
    '/public/admin#/../x',
    'http://evil/admin',
    'http://api.test/admin',
    '/public/%252e%252e/admin',
    '/public/./x',
    '/public//admin',
    '/public/%00/admin',
    '/public/x%00',
    '/public/http:/admin',
    '/public/xhttps:/admin',
    '/public/..;/admin',
    '/public/%2E%2E;x=1/admin',
    '/public/admin;x=1',
    '/public/admin%3B',
  ])('refuses %s with 400 and nothing reaches the protected upstream', async (target) => {
    const raw = await sendRaw(
      tp.proxy.trafficUrl,
      `GET ${target} HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n`,
    );
    expect(statusLines(raw)).toEqual([400]);
    expect(adminUpstream.seen).toHaveLength(0);
    expect(publicUpstream.seen.filter((r) => r.url.includes('admin'))).toEqual([]);
  });

  // `\` is a path separator to IIS, ASP.NET, some Java and Python servers and many file servers, so
  // `/public%5C..%5Cadmin` is `/admin` to them and `/api%5cadmin` is `/api/admin`. The proxy refuses
  // the escape in either case (it does not canonicalise it to `/` or keep it): whatever an upstream
  // does with a backslash, it never receives one in a path.
  it.each([
    '/public%5C..%5Cadmin',
    '/public%5c..%5cadmin',
    '/public/%5C..%5Cadmin',
    '/public/..%5Cadmin',
    '/public/..%5cadmin',
    '/public/x%5C..%5C..%5Cadmin',
    '/api%5cadmin',
    '/api%5Cadmin',
    '/a/x%5cadmin',
    '/%5Cadmin',
    '/%5cadmin',
    '/public/%5C%5Cadmin',
    '/public/admin%5C',
    '/public/..%255Cadmin',
  ])('refuses the encoded backslash in %s with 400, forwarding nothing', async (target) => {
    const publicSeen = publicUpstream.seen.length;
    const raw = await sendRaw(
      tp.proxy.trafficUrl,
      `GET ${target} HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n`,
    );
    expect(statusLines(raw)).toEqual([400]);
    expect(adminUpstream.seen).toHaveLength(0);
    expect(publicUpstream.seen).toHaveLength(publicSeen);
    // Refused by the path rules themselves, before routing: not a 404 that a new route could turn
    // into a match. (`%255C` is refused for its `%25`, double encoding.)
    const requestId = /x-request-id: (\S+)/.exec(raw)?.[1];
    const record = await waitFor(() => tp.logs.requests().find((r) => r.requestId === requestId));
    expect(record).toMatchObject({
      code: 'BadRequest',
      reason: expect.stringMatching(/^forbidden escape %(5C|25) in path$/) as unknown,
    });
  });

  it('forwards an encoded backslash in the query byte for byte: the query is never routed', async () => {
    const raw = await sendRaw(
      tp.proxy.trafficUrl,
      'GET /public/x?next=%5C..%5cadmin HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n',
    );
    expect(statusLines(raw)).toEqual([200]);
    expect(publicUpstream.seen.at(-1)?.url).toBe('/public/x?next=%5C..%5cadmin');
    expect(adminUpstream.seen).toHaveLength(0);
    // No forwarded path, in this whole file, ever held a backslash, raw or escaped.
    const paths = publicUpstream.seen.map((r) => r.url.split('?')[0] ?? '');
    expect(paths.filter((p) => p.includes('\\') || /%5c/i.test(p))).toEqual([]);
  });

  it('still forwards a legitimate public request (control)', async () => {
    const raw = await sendRaw(
      tp.proxy.trafficUrl,
      'GET /public/%7Ex HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n',
    );
    expect(statusLines(raw)).toEqual([200]);
    expect(publicUpstream.seen.at(-1)?.url).toBe('/public/~x');
  });
});
