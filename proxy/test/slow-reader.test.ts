import { createServer } from 'node:http';
import type { Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';
import { waitFor } from './helpers/wait.js';

/**
 * A client that stops reading a large response stalls the upstream (backpressure) until the route's
 * idle timeout cuts the exchange. That is the client's doing, and the log must say so rather than
 * blame an upstream that was only waiting for it.
 */

const BODY = Buffer.alloc(32 * 1024 * 1024, 0x61); // far more than the socket buffers on the way
let upstream: Server;
let tp: TestProxy;

beforeAll(async () => {
  upstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': BODY.length });
    res.end(BODY);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const { port } = upstream.address() as AddressInfo;
  tp = await startTestProxy({ signer: await createSigner() });
  await pushOk(
    tp,
    snapshot([
      route({ id: 'default/test/big', path: '/big', upstream: `http://127.0.0.1:${port}`, timeoutMs: 300 }),
    ]),
    1,
  );
});

afterAll(async () => {
  await tp.close();
  upstream.closeAllConnections();
  await new Promise<void>((r) => upstream.close(() => r()));
});

it('logs a response cut because the client stopped reading as the client stalling, not the upstream', async () => {
  const { port } = new URL(tp.proxy.trafficUrl);
  const client = net.connect(Number(port), '127.0.0.1');
  client.pause(); // never read: the proxy's writes back up until the idle timeout fires
  client.on('error', () => undefined);
  client.write('GET /big HTTP/1.1\r\nHost: api.test\r\n\r\n');
  try {
    await waitFor(() => tp.logs.requests().some((r) => r.route === 'default/test/big'), 500, 20);
    const record = tp.logs.requests().find((r) => r.route === 'default/test/big');
    expect(record).toMatchObject({ code: 'UpstreamUnavailable', status: 200 });
    expect(record?.reason).toMatch(/^client stopped reading/);
  } finally {
    client.destroy();
  }
});
