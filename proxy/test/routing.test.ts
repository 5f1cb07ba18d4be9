import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { json, send } from './helpers/http-client.js';
import type { Reply } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';
import { startUpstream } from './helpers/upstream.js';
import type { SeenRequest, Upstream } from './helpers/upstream.js';

let upstream: Upstream;
let tp: TestProxy;

beforeAll(async () => {
  upstream = await startUpstream();
  tp = await startTestProxy({ signer: await createSigner() });
  const u = upstream.url;
  await pushOk(
    tp,
    snapshot([
      route({ id: 'default/r/public', path: '/public', upstream: u }),
      route({ id: 'default/r/users-me', path: '/users/me', upstream: u }),
      route({ id: 'default/r/users-id', path: '/users/{id}', methods: ['GET', 'POST'], upstream: u }),
      route({ id: 'default/r/users-any', path: '/users/*', upstream: u }),
      route({ id: 'default/r/files', path: '/files/*', upstream: u }),
      route({ id: 'default/r/dir', path: '/dir/', upstream: u }),
      route({ id: 'default/r/tilde', path: '/v1/{name}', upstream: u }),
      route({ id: 'default/r/wild', path: '/w', hosts: ['*.wild.test'], upstream: u }),
      route({ id: 'default/r/exact', path: '/exact', hosts: ['a.wild.test'], upstream: u }),
      route({ id: 'default/r/root', path: '/', hosts: ['root.test'], upstream: u }),
      route({ id: 'default/r/based', path: '/b/{x}', hosts: ['based.test'], upstream: `${u}/base/` }),
    ]),
    1,
  );
});

afterAll(async () => {
  await tp.close();
  await upstream.close();
});

async function get(host: string, path: string, method = 'GET'): Promise<Reply> {
  return send(tp.proxy.trafficUrl, { method, path, headers: { host } });
}

function routeOf(reply: Reply): unknown {
  const id = reply.headers['x-request-id'];
  return tp.logs.requests().find((r) => r.requestId === id)?.route;
}

function echoed(reply: Reply): SeenRequest {
  return json<SeenRequest>(reply);
}

describe('routing', () => {
  it('forwards a declared route', async () => {
    const reply = await get('api.test', '/public');
    expect(reply.status).toBe(200);
    expect(echoed(reply).url).toBe('/public');
    expect(routeOf(reply)).toBe('default/r/public');
  });

  it.each([
    ['an unknown path', 'api.test', '/nope', 'GET'],
    ['an unknown method', 'api.test', '/public', 'DELETE'],
    ['an unknown host', 'other.test', '/public', 'GET'],
    ['a path differing only in case', 'api.test', '/PUBLIC', 'GET'],
  ])('answers %s with the generic 404 RouteNotFound (shadow API)', async (_name, host, path, method) => {
    const seenBefore = upstream.seen.length;
    const reply = await get(host, path, method);
    expect(reply.status).toBe(404);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(json(reply)).toEqual({ code: 'RouteNotFound', requestId: reply.headers['x-request-id'] });
    expect(upstream.seen.length).toBe(seenBefore);
    const record = tp.logs.requests().find((r) => r.requestId === reply.headers['x-request-id']);
    expect(record).toMatchObject({ shadow: true, code: 'RouteNotFound', decision: 'deny', status: 404 });
  });

  it('matches the Host header case-insensitively and without its port', async () => {
    expect((await get('API.Test:8443', '/public')).status).toBe(200);
  });

  it('matches a wildcard host on exactly one extra label', async () => {
    expect((await get('x.wild.test', '/w')).status).toBe(200);
    expect((await get('wild.test', '/w')).status).toBe(404);
    expect((await get('a.b.wild.test', '/w')).status).toBe(404);
  });

  it('prefers an exact host but still reaches the wildcard routes for that host', async () => {
    expect(routeOf(await get('a.wild.test', '/exact'))).toBe('default/r/exact');
    expect(routeOf(await get('a.wild.test', '/w'))).toBe('default/r/wild');
    expect((await get('b.wild.test', '/exact')).status).toBe(404);
  });

  it('prefers a literal segment over a parameter, and a parameter over a trailing /*', async () => {
    expect(routeOf(await get('api.test', '/users/me'))).toBe('default/r/users-me');
    expect(routeOf(await get('api.test', '/users/42'))).toBe('default/r/users-id');
    expect(routeOf(await get('api.test', '/users/42/orders'))).toBe('default/r/users-any');
    expect(routeOf(await get('api.test', '/users/42', 'POST'))).toBe('default/r/users-id');
  });

  it('matches a trailing /* against one or more non-empty segments only', async () => {
    expect((await get('api.test', '/files/a')).status).toBe(200);
    expect((await get('api.test', '/files/a/b/c.txt')).status).toBe(200);
    expect((await get('api.test', '/files')).status).toBe(404);
    expect((await get('api.test', '/files/')).status).toBe(404);
  });

  it('treats a trailing slash as significant', async () => {
    expect((await get('api.test', '/dir/')).status).toBe(200);
    expect((await get('api.test', '/dir')).status).toBe(404);
    expect((await get('root.test', '/')).status).toBe(200);
  });

  it('forwards exactly the canonical path it matched, with the query untouched', async () => {
    expect(echoed(await get('api.test', '/v1/%7Euser')).url).toBe('/v1/~user');
    expect(echoed(await get('api.test', '/v1/%c3%a9')).url).toBe('/v1/%C3%A9');
    expect(echoed(await get('api.test', '/public?a=1&b=%2F&c=/x?y')).url).toBe('/public?a=1&b=%2F&c=/x?y');
  });

  it('prefixes the upstream URL path to the canonical path', async () => {
    expect(echoed(await get('based.test', '/b/1?q')).url).toBe('/base/b/1?q');
  });
});
