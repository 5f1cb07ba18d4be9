import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { SERVER_LIMITS } from '../src/http/hardened-server.js';
import { createSigner, pushOk, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

/**
 * A client that ignores `Connection: close` keeps writing on its socket. Node's own
 * maxRequestsPerSocket would answer it 503 forever; the proxy closes the connection instead, after
 * the last allowed response, as nginx does.
 */
describe('requests per connection', () => {
  let upstream: Upstream;
  let tp: TestProxy;

  beforeAll(async () => {
    upstream = await startUpstream();
    tp = await startTestProxy({ signer: await createSigner() });
    await pushOk(
      tp,
      snapshot([route({ id: 'default/test/health', path: '/health', upstream: upstream.url })]),
      1,
    );
  });
  afterAll(async () => {
    await tp.close();
    await upstream.close();
  });

  it('closes the connection after the last allowed response and never answers 503', async () => {
    const { port } = new URL(tp.proxy.trafficUrl);
    const socket = connect(Number(port), '127.0.0.1');
    const statuses: number[] = [];
    let closeHeaders = 0;
    let buffered = '';
    const request = 'GET /health HTTP/1.1\r\nHost: api.test\r\n\r\n';
    const limit = SERVER_LIMITS.maxRequestsPerSocket;

    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`stalled after ${statuses.length} responses`)),
        20_000,
      );
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        // Parse every complete response in the buffer (headers + content-length body).
        for (;;) {
          const end = buffered.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buffered.slice(0, end);
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (buffered.length < end + 4 + length) return;
          buffered = buffered.slice(end + 4 + length);
          statuses.push(Number(head.slice(9, 12)));
          if (/\r\nconnection: close/i.test(head)) closeHeaders++;
          // Ignore Connection: close on purpose, and keep going (bounded by the limit + 5).
          if (statuses.length < limit + 5 && !socket.destroyed) socket.write(request);
        }
      });
      socket.on('close', () => {
        clearTimeout(deadline);
        resolve();
      });
      socket.on('error', () => undefined);
      socket.write(request);
    });

    expect(statuses.length).toBe(limit);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(closeHeaders).toBe(1);
  });
});
