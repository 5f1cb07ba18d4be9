import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { json, send, sendDriven, sendRaw, statusLines } from './helpers/http-client.js';
import type { Reply } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { jwtPolicy, route, snapshot } from './helpers/snapshots.js';
import { tokenKey } from './helpers/tokens.js';
import { startUpstream } from './helpers/upstream.js';
import type { SeenRequest, Upstream } from './helpers/upstream.js';

let upstream: Upstream;
let tp: TestProxy;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  upstream = await startUpstream();
  tp = await startTestProxy({ signer: await createSigner() });
  const key = await tokenKey('ES256', 'k1');
  await pushOk(
    tp,
    snapshot(
      [
        route({ id: 'default/r/public', path: '/public', methods: ['GET', 'POST'], upstream: upstream.url }),
        route({
          id: 'default/r/private',
          path: '/private',
          methods: ['POST'],
          upstream: upstream.url,
          policies: ['default/p'],
        }),
      ],
      [
        jwtPolicy('default/p', [
          { issuer: 'https://idp.test', algorithms: ['ES256'], keys: [key.publicJwk] },
        ]),
      ],
    ),
    1,
  );
});

afterAll(async () => {
  await tp.close();
  await upstream.close();
});

function raw(lines: string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

async function publicGet(
  headers: Record<string, string | string[]>,
): Promise<{ reply: Reply; seen: SeenRequest }> {
  const reply = await send(tp.proxy.trafficUrl, {
    path: '/public',
    headers: { host: 'api.test', ...headers },
  });
  expect(reply.status).toBe(200);
  return { reply, seen: json<SeenRequest>(reply) };
}

describe('request headers', () => {
  it('survives a Trailer header on a GET (http-proxy crash) and keeps serving', async () => {
    const out = await sendRaw(
      tp.proxy.trafficUrl,
      raw([
        'GET /public HTTP/1.1',
        'Host: api.test',
        'Trailer: x-checksum',
        'TE: trailers',
        'Connection: close',
      ]),
    );
    expect(statusLines(out)).toEqual([200]);
    const last = upstream.seen.at(-1);
    expect(last?.headers.trailer).toBeUndefined();
    expect(last?.headers.te).toBeUndefined();
    expect((await publicGet({})).reply.status).toBe(200);
  });

  it('matches a Host with a port and any case by its name, and forwards it lower-cased', async () => {
    const { seen } = await publicGet({ host: 'API.Test:8443' });
    expect(seen.headers['x-forwarded-host']).toBe('api.test:8443');
  });

  it('strips headers the client names in Connection', async () => {
    const { seen } = await publicGet({ connection: 'close, X-Auth-User', 'x-auth-user': 'admin' });
    expect(seen.headers['x-auth-user']).toBeUndefined();
    expect(seen.headers.connection).not.toContain('x-auth-user');
  });

  it('replaces spoofed forwarding headers and strips spoofed identity and hop-by-hop headers', async () => {
    const { reply, seen } = await publicGet({
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-host': 'evil.test',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      forwarded: 'for=6.6.6.6;proto=https',
      'x-real-ip': '6.6.6.6',
      x_forwarded_for: '6.6.6.6',
      'x-portcullis-subject': 'admin',
      'x-portcullis-anything': 'x',
      'x-request-id': 'client-chosen',
      proxy: 'http://evil.test:3128',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'proxy-connection': 'keep-alive',
      'keep-alive': 'timeout=999',
      upgrade: 'h2c',
      'x-kept': 'yes',
    });
    const h = seen.headers;
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-host']).toBe('api.test');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-request-id']).toBe(reply.headers['x-request-id']);
    expect(h['x-request-id']).toMatch(UUID);
    for (const name of [
      'x-forwarded-port',
      'forwarded',
      'x-real-ip',
      'x_forwarded_for',
      'x-portcullis-subject',
      'x-portcullis-anything',
      'proxy',
      'proxy-authorization',
      'proxy-connection',
      'keep-alive',
      'upgrade',
    ]) {
      expect(h[name]).toBeUndefined();
    }
    expect(h['x-kept']).toBe('yes');
    expect(h.host).toBe(new URL(upstream.url).host);
  });

  it('never forwards an underscore alias of a header', async () => {
    const out = await sendRaw(
      tp.proxy.trafficUrl,
      raw([
        'GET /public HTTP/1.1',
        'Host: api.test',
        'X_Portcullis_Subject: admin',
        'Transfer_Encoding: chunked',
        'Connection: close',
      ]),
    );
    expect(statusLines(out)).toEqual([200]);
    const names = upstream.seen.at(-1)?.rawHeaders.filter((_, i) => i % 2 === 0) ?? [];
    expect(names.filter((n) => n.includes('_'))).toEqual([]);
  });
});

describe('response headers', () => {
  it('strips hop-by-hop response headers, including ones the upstream names in Connection', async () => {
    const { reply } = await publicGet({});
    expect(reply.headers['keep-alive']).not.toBe('timeout=99, max=1000');
    expect(reply.headers['x-upstream-hop']).toBeUndefined();
    expect(reply.headers['x-upstream']).toBe('echo');
    expect(reply.headers['x-request-id']).toMatch(UUID);
  });

  it('puts our own X-Request-Id on denials too', async () => {
    const reply = await send(tp.proxy.trafficUrl, {
      path: '/nope',
      headers: { host: 'api.test', 'x-request-id': 'mine' },
    });
    expect(reply.headers['x-request-id']).toMatch(UUID);
    expect(json(reply).requestId).toBe(reply.headers['x-request-id']);
  });
});

describe('protocol checks', () => {
  it.each([
    ['a duplicate Host', ['Host: api.test', 'Host: evil.test']],
    ['a Host list', ['Host: api.test, evil.test']],
    ['a Host with userinfo', ['Host: user@evil.test']],
    ['a Host with a bad port', ['Host: api.test:99999']],
    ['a Host with port 0', ['Host: api.test:0']],
    ['a Host with a zero-padded port', ['Host: api.test:080']],
    ['a Host with an empty port', ['Host: api.test:']],
    ['a Host with an underscore', ['Host: api_test']],
    ['an empty Host', ['Host: ']],
    ['no Host', []],
  ])('answers %s with 400 BadRequest', async (_name, hostLines) => {
    const before = upstream.seen.length;
    const out = await sendRaw(
      tp.proxy.trafficUrl,
      raw(['GET /public HTTP/1.1', ...hostLines, 'Connection: close']),
    );
    expect(statusLines(out)).toEqual([400]);
    expect(out).toContain('"code":"BadRequest"');
    expect(upstream.seen.length).toBe(before);
  });

  it('answers HTTP/1.0 with 505 and closes the connection', async () => {
    const out = await sendRaw(tp.proxy.trafficUrl, raw(['GET /public HTTP/1.0', 'Host: api.test']));
    expect(statusLines(out)).toEqual([505]);
    expect(out).toContain('"code":"HttpVersionNotSupported"');
  });

  it('refuses HTTP/2.0 in a request line on an HTTP/1.1 connection and forwards nothing', async () => {
    const before = upstream.seen.length;
    const out = await sendRaw(
      tp.proxy.trafficUrl,
      raw(['GET /public HTTP/2.0', 'Host: api.test', 'Connection: close']),
    );
    expect(out).toMatch(/^HTTP\/1\.1 505 /);
    expect(upstream.seen.length).toBe(before);
  });

  // llhttp accepts runs of spaces in the request line and Node exposes no raw line to refuse it by
  // (docs/field-notes.md §1.6). What the proxy guarantees is that the upstream gets one canonical request line.
  it.each([
    ['before the target', 'GET  /public HTTP/1.1'],
    ['after the target', 'GET /public  HTTP/1.1'],
  ])('forwards a request line with a double space %s as one canonical request', async (_name, line) => {
    const before = upstream.seen.length;
    const out = await sendRaw(tp.proxy.trafficUrl, raw([line, 'Host: api.test', 'Connection: close']));
    expect(statusLines(out)).toEqual([200]);
    expect(upstream.seen.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual(['GET /public']);
  });

  it('answers an HTTP/0.9 request line with 505', async () => {
    const out = await sendRaw(tp.proxy.trafficUrl, 'GET /public\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 505 /);
  });

  it('refuses a WebSocket upgrade cleanly (400, connection closed, nothing forwarded)', async () => {
    const before = upstream.seen.length;
    const out = await sendRaw(
      tp.proxy.trafficUrl,
      raw([
        'GET /public HTTP/1.1',
        'Host: api.test',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      ]),
    );
    expect(statusLines(out)).toEqual([400]);
    expect(out.toLowerCase()).toContain('connection: close');
    expect(upstream.seen.length).toBe(before);
  });

  it('refuses a Connection header that names a framing header', async () => {
    const out = await sendRaw(
      tp.proxy.trafficUrl,
      raw(
        ['POST /public HTTP/1.1', 'Host: api.test', 'Connection: content-length', 'Content-Length: 5'],
        'hello',
      ),
    );
    expect(statusLines(out)).toEqual([400]);
  });

  it('answers CONNECT with 400: this is not a forward proxy', async () => {
    const out = await sendRaw(
      tp.proxy.trafficUrl,
      raw(['CONNECT evil.test:443 HTTP/1.1', 'Host: evil.test:443']),
    );
    expect(statusLines(out)).toEqual([400]);
  });

  it('sends 100 Continue only to requests that passed every check', async () => {
    const denied = await sendRaw(
      tp.proxy.trafficUrl,
      raw(['POST /private HTTP/1.1', 'Host: api.test', 'Expect: 100-continue', 'Content-Length: 5']),
    );
    expect(statusLines(denied)).toEqual([401]);
    expect(denied).not.toContain('100 Continue');

    const allowed = await sendDriven(
      tp.proxy.trafficUrl,
      {
        method: 'POST',
        path: '/public',
        headers: { host: 'api.test', expect: '100-continue', 'content-length': '5' },
      },
      (req) => req.on('continue', () => req.end('hello')),
    );
    expect(allowed.status).toBe(200);
    expect(upstream.seen.at(-1)).toMatchObject({ method: 'POST', body: 'hello' });
    expect(upstream.seen.at(-1)?.headers.expect).toBeUndefined();
  });
});
