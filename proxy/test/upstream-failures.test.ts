import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { json, send } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';
import { startUpstream } from './helpers/upstream.js';
import type { Upstream } from './helpers/upstream.js';
import { waitFor } from './helpers/wait.js';

let echo: Upstream;
let hang: Upstream;
let broken: http.Server;
let tp: TestProxy;

async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  echo = await startUpstream();
  hang = await startUpstream('hang');
  // Sends half of the promised body, then drops the connection.
  broken = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('0123456789', () => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  const brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
  tp = await startTestProxy({ signer: await createSigner() });
  await pushOk(
    tp,
    snapshot([
      route({ id: 'default/r/ok', path: '/ok', upstream: echo.url }),
      route({ id: 'default/r/down', path: '/down', upstream: await closedPortUrl() }),
      route({ id: 'default/r/slow', path: '/slow', upstream: hang.url, timeoutMs: 200 }),
      route({ id: 'default/r/long', path: '/long', upstream: hang.url, timeoutMs: 60_000 }),
      route({ id: 'default/r/broken', path: '/broken', upstream: brokenUrl }),
    ]),
    1,
  );
});

afterAll(async () => {
  await tp.close();
  await echo.close();
  await hang.close();
  broken.closeAllConnections();
  await new Promise<void>((resolve) => broken.close(() => resolve()));
});

const get = (path: string) => send(tp.proxy.trafficUrl, { path, headers: { host: 'api.test' } });

describe('upstream failures', () => {
  it('answers 502 UpstreamUnavailable when the upstream refuses connections', async () => {
    const reply = await get('/down');
    expect(reply.status).toBe(502);
    expect(json(reply)).toEqual({ code: 'UpstreamUnavailable', requestId: reply.headers['x-request-id'] });
  });

  it('answers 504 UpstreamTimeout when the upstream does not answer within the route timeout', async () => {
    const reply = await get('/slow');
    expect(reply.status).toBe(504);
    expect(json(reply)).toEqual({ code: 'UpstreamTimeout', requestId: reply.headers['x-request-id'] });
  });

  it('cuts the client connection when the upstream dies mid-response, and keeps serving', async () => {
    // Either the client sees the connection reset, or a body shorter than promised.
    const truncated = await get('/broken').then(
      (reply) => reply.text.length < 100,
      () => true,
    );
    expect(truncated).toBe(true);
    const record = await waitFor(() => tp.logs.requests().find((r) => r.route === 'default/r/broken'));
    expect(record.code).toBe('UpstreamUnavailable');
    expect((await get('/ok')).status).toBe(200);
  });

  it('survives a client that disconnects while the upstream is still working', async () => {
    const before = hang.seen.length;
    const url = new URL(tp.proxy.trafficUrl);
    const socket = net.connect(Number(url.port), url.hostname);
    socket.on('error', () => undefined);
    socket.write('GET /long HTTP/1.1\r\nHost: api.test\r\n\r\n');
    await waitFor(() => hang.seen.length > before);
    // A reset: a plain close after a complete request is the same FIN as a half-close, which is
    // still answered (half-close.test.ts), so it would only be noticed at the route timeout.
    socket.resetAndDestroy();
    const record = await waitFor(() => tp.logs.requests().find((r) => r.route === 'default/r/long'));
    expect(record.decision).toBe('aborted');
    expect((await get('/ok')).status).toBe(200);
  });
});
