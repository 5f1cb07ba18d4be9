import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SERVER_LIMITS } from '../src/http/hardened-server.js';
import { sendRaw, statusLines } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';
import { startUpstream } from './helpers/upstream.js';
import type { Upstream } from './helpers/upstream.js';

let upstream: Upstream;
let tp: TestProxy;

beforeAll(async () => {
  upstream = await startUpstream();
  tp = await startTestProxy({ signer: await createSigner() });
  await pushOk(
    tp,
    snapshot([
      route({
        id: 'default/r/public',
        path: '/public',
        methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
        upstream: upstream.url,
      }),
    ]),
    1,
  );
});

afterAll(async () => {
  await tp.close();
  await upstream.close();
});

const SMUGGLED = 'GET /admin HTTP/1.1\r\nHost: api.test\r\n\r\n';

describe('request smuggling', () => {
  it.each([
    [
      'Content-Length with Transfer-Encoding (CL.TE)',
      `POST /public HTTP/1.1\r\nHost: api.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    [
      'Transfer-Encoding with Content-Length (TE.CL)',
      `POST /public HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    [
      'Transfer-Encoding folded onto a continuation line (obs-fold)',
      `POST /public HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    [
      'two different Content-Length headers',
      `POST /public HTTP/1.1\r\nHost: api.test\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello${SMUGGLED}`,
    ],
    [
      'an obfuscated Transfer-Encoding value',
      `POST /public HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    [
      'a bare LF inside a header line',
      `POST /public HTTP/1.1\r\nHost: api.test\r\nX-A: b\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
  ])('answers %s with 400 and the upstream never sees a second request', async (_name, payload) => {
    const before = upstream.seen.length;
    const out = await sendRaw(tp.proxy.trafficUrl, payload);
    expect(statusLines(out)[0]).toBe(400);
    expect(statusLines(out)).not.toContain(200);
    expect(upstream.seen.length).toBe(before);
  });

  it.each(['DELETE', 'OPTIONS'])(
    'forwards a chunked %s body as a body, never as a second upstream request (http-proxy deleteLength)',
    async (method) => {
      const before = upstream.seen.length;
      const chunk = Buffer.byteLength(SMUGGLED).toString(16);
      const out = await sendRaw(
        tp.proxy.trafficUrl,
        `${method} /public HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
          `${chunk}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
      );
      expect(statusLines(out)).toEqual([200]);
      const seen = upstream.seen.slice(before);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ method, url: '/public', body: SMUGGLED });
      expect(seen.some((r) => r.url === '/admin')).toBe(false);
    },
  );
});

describe('headers Node drops silently (beyond its header-count limit)', () => {
  // Node records at most `maxHeadersCount` headers in req.headers, but llhttp still frames the body
  // by a Transfer-Encoding or Content-Length it read past that limit. Forwarded without either, a GET
  // body goes upstream raw: the upstream reads it as a second request.
  const filler = Array.from({ length: 2100 }, (_, i) => `a${i % 10}:\r\n`).join('');
  it.each([
    [
      'Transfer-Encoding',
      `Transfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(SMUGGLED).toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
    ],
    ['Content-Length', `Content-Length: ${Buffer.byteLength(SMUGGLED)}\r\n\r\n${SMUGGLED}`],
  ])('a %s after thousands of headers is refused, never smuggled', async (_name, tail) => {
    const before = upstream.seen.length;
    const out = await sendRaw(
      tp.proxy.trafficUrl,
      `GET /public HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n${filler}${tail}`,
    );
    expect(upstream.seen.slice(before).map((r) => r.url)).toEqual([]);
    expect(statusLines(out)).toEqual([400]);
  });

  it('accepts a request at the header-line limit and refuses one line more', async () => {
    const lines = (n: number): string => Array.from({ length: n }, (_, i) => `x-h${i}: v\r\n`).join('');
    // Host and Connection count as two of the lines.
    const at = await sendRaw(
      tp.proxy.trafficUrl,
      `GET /public HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n${lines(SERVER_LIMITS.maxHeaders - 2)}\r\n`,
    );
    expect(statusLines(at)).toEqual([200]);
    const over = await sendRaw(
      tp.proxy.trafficUrl,
      `GET /public HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n${lines(SERVER_LIMITS.maxHeaders - 1)}\r\n`,
    );
    expect(statusLines(over)).toEqual([400]);
  });
});
