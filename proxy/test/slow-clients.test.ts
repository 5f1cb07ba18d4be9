import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { send } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';
import { startUpstream } from './helpers/upstream.js';
import type { Upstream } from './helpers/upstream.js';

/**
 * Slow clients (field-notes §A6): slowloris headers and a trickled body are cut off with 408 and the
 * connection closed, while other clients keep being served. The limits are shortened for the test
 * (production: 15 s for headers, 60 s for the whole request); every drip loop is bounded.
 */
const TIMEOUTS = { headersTimeout: 600, requestTimeout: 1_200, connectionsCheckingInterval: 100 };
const DRIP_MS = 150;
const MAX_DRIPS = 40;

let upstream: Upstream;
let tp: TestProxy;

beforeAll(async () => {
  upstream = await startUpstream();
  tp = await startTestProxy({ signer: await createSigner(), timeouts: TIMEOUTS });
  await pushOk(
    tp,
    snapshot([
      route({ id: 'default/r/public', path: '/public', methods: ['GET', 'POST'], upstream: upstream.url }),
    ]),
    1,
  );
});

afterAll(async () => {
  await tp.close();
  await upstream.close();
});

interface Dripped {
  readonly received: string;
  /** Whether the proxy closed the connection before the drips ran out. */
  readonly closedByProxy: boolean;
}

/** Sends `head` at once, then one `drip` every DRIP_MS until the proxy closes or MAX_DRIPS are sent. */
function drip(head: string, dripText: string, during?: () => Promise<void>): Promise<Dripped> {
  const { hostname, port } = new URL(tp.proxy.trafficUrl);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    let sent = 0;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      clearInterval(timer);
      resolve({ received, closedByProxy: sent < MAX_DRIPS });
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (closed) return;
        if (sent >= MAX_DRIPS) {
          socket.destroy();
          return;
        }
        sent++;
        socket.write(dripText);
      }, DRIP_MS);
      if (during !== undefined) during().catch(reject);
    });
  });
}

describe('slow clients', () => {
  it('cuts off slowloris headers with 408 and keeps serving other clients meanwhile', async () => {
    const before = upstream.seen.length;
    const served: number[] = [];
    const result = await drip('GET /public HTTP/1.1\r\nHost: api.test\r\n', 'X-Slow: 1\r\n', async () => {
      for (let i = 0; i < 3; i++)
        served.push(
          (await send(tp.proxy.trafficUrl, { path: '/public', headers: { host: 'api.test' } })).status,
        );
    });
    expect(result.closedByProxy).toBe(true);
    expect(result.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(result.received).toContain('"code":"RequestTimeout"');
    expect(served).toEqual([200, 200, 200]);
    // Only the three normal requests reached the upstream.
    expect(upstream.seen.length - before).toBe(3);
  });

  it('cuts off a trickled body with 408 when the whole-request limit passes', async () => {
    const before = upstream.seen.length;
    const result = await drip(
      'POST /public HTTP/1.1\r\nHost: api.test\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n',
      'x',
    );
    expect(result.closedByProxy).toBe(true);
    expect(result.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(result.received).toContain('"code":"RequestTimeout"');
    // The upstream never saw a complete request: its half-sent copy was abandoned.
    expect(upstream.seen.length).toBe(before);
  });

  it('counts the refusals in the metrics', async () => {
    const metrics = (await send(tp.proxy.adminUrl, { path: '/metrics' })).text;
    expect(metrics).toMatch(/^portcullis_requests_total\{route="none",code="RequestTimeout"\} [1-9]\d*$/m);
  });
});
