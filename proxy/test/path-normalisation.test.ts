import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { normaliseTarget } from '../src/index.js';
import { jwtPolicy, route, snapshot } from './helpers/snapshots.js';
import { sendRaw, statusLines } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { tokenKey } from './helpers/tokens.js';
import { startUpstream } from './helpers/upstream.js';
import type { Upstream } from './helpers/upstream.js';

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

  it('still forwards a legitimate public request (control)', async () => {
    const raw = await sendRaw(
      tp.proxy.trafficUrl,
      'GET /public/%7Ex HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n',
    );
    expect(statusLines(raw)).toEqual([200]);
    expect(publicUpstream.seen.at(-1)?.url).toBe('/public/~x');
  });
});
