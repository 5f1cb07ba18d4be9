import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { json, send, sendRaw, statusLines } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';
import { waitFor } from './helpers/wait.js';

/**
 * A hostile or broken upstream, played by a raw TCP server that can send anything. Each request
 * head is answered by the behaviour registered for its path; every connection is numbered, so a
 * test can tell whether the proxy reused a pooled upstream connection.
 */
interface RawUpstream {
  readonly url: string;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

type Behaviour = (socket: net.Socket, info: { conn: number; req: number }) => void;

async function startRawUpstream(behaviours: Record<string, Behaviour>): Promise<RawUpstream> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let conns = 0;
  const server = net.createServer((socket) => {
    const conn = ++conns;
    let req = 0;
    let buffered = '';
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      // Requests here are bodyless GETs: a head ends at the first empty line.
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const path = head.split(' ')[1] ?? '';
        const behaviour = behaviours[path];
        if (behaviour !== undefined) behaviour(socket, { conn, req: ++req });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted: () => conns,
    close: () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `data` every `everyMs`, at most `times` times, until the socket closes. */
function repeat(socket: net.Socket, data: () => string, everyMs: number, times: number): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || sent++ >= times) {
      clearInterval(timer);
      return;
    }
    socket.write(data());
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

const ok = (body: string, extra = ''): string =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

let upstream: RawUpstream;
let hanging: RawUpstream;
let tp: TestProxy;
let poisonWritten = false;

beforeAll(async () => {
  upstream = await startRawUpstream({
    '/ok': (s, { conn, req }) => s.write(ok(`ok conn=${conn} req=${req}`)),
    // A 101 to a request that asked for no upgrade.
    '/switch': (s) =>
      s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'),
    // 103 Early Hints for ever (bounded: 200 x 50 ms), never a final response.
    '/hints': (s) =>
      repeat(s, () => 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n', 50, 200),
    // The response head one header line at a time, never finished (bounded: 200 x 50 ms).
    '/drip': (s) => {
      s.write('HTTP/1.1 200 OK\r\n');
      repeat(s, () => 'X-Drip: 1\r\n', 50, 200);
    },
    // A body framed by the connection's end (Transfer-Encoding without a final `chunked`).
    '/te-gzip': (s) => s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nCLOSE-DELIMITED'),
    // A complete response, then a second, unsolicited one on the idle keep-alive connection.
    '/poison': (s, { conn }) => {
      s.write(ok(`first conn=${conn}`));
      setTimeout(() => s.write(ok('POISON', 'X-Poison: 1\r\n'), () => (poisonWritten = true)), 50).unref();
    },
    '/cl-te': (s) =>
      s.write(
        'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      ),
    '/dup-cl': (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'),
    '/big-head': (s) => s.write(ok('x', `X-Big: ${'a'.repeat(20_000)}\r\n`)),
    '/hop': (s) =>
      s.write(
        ok(
          'hop',
          'Connection: close, x-named\r\nX-Named: 1\r\nKeep-Alive: timeout=1\r\nUpgrade: h2c\r\n' +
            'Proxy-Authenticate: Basic\r\nTrailer: x-t\r\nTE: trailers\r\nX-Request-Id: forged\r\n',
        ),
      ),
    '/cut-chunked': (s) => {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n', () =>
        setTimeout(() => s.destroy(), 20).unref(),
      );
    },
  });
  // Accepts connections and never answers.
  hanging = await startRawUpstream({});
  tp = await startTestProxy({ signer: await createSigner() });
  const r = (path: string, url: string, timeoutMs = 5_000) =>
    route({ id: `default/r${path.replaceAll('/', '-')}`, path, upstream: url, timeoutMs });
  await pushOk(
    tp,
    snapshot([
      r('/ok', upstream.url),
      r('/switch', upstream.url, 300),
      r('/hints', upstream.url, 300),
      r('/drip', upstream.url, 300),
      r('/te-gzip', upstream.url),
      r('/poison', upstream.url),
      r('/cl-te', upstream.url),
      r('/dup-cl', upstream.url),
      r('/big-head', upstream.url),
      r('/hop', upstream.url),
      r('/cut-chunked', upstream.url),
      r('/hang-long', hanging.url, 60_000),
      r('/hang-short', hanging.url, 300),
    ]),
    1,
  );
});

afterAll(async () => {
  await tp.close();
  await upstream.close();
  await hanging.close();
});

const get = (path: string) => send(tp.proxy.trafficUrl, { path, headers: { host: 'api.test' } });
const rawGet = (path: string, maxWaitMs = 4_000) =>
  sendRaw(
    tp.proxy.trafficUrl,
    `GET ${path} HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n`,
    maxWaitMs,
  );

describe('hostile upstream: the route timeout and responses that never come', () => {
  it('answers 502 when the upstream switches protocols on a plain request (it used to hang)', async () => {
    // Node's client destroys the socket and emits neither a response nor an error, nor any timeout.
    const out = await rawGet('/switch');
    expect(statusLines(out)).toEqual([502]);
    expect(out).toContain('"code":"UpstreamUnavailable"');
    expect(out).not.toContain('101');
  });

  it('answers 504 when the upstream sends only 103 Early Hints, never a final response', async () => {
    // Each 1xx reset the idle timer http-proxy uses, so the route timeout never fired.
    const out = await rawGet('/hints');
    expect(statusLines(out)).toEqual([504]);
    expect(out).toContain('"code":"UpstreamTimeout"');
  });

  it('answers 504 when the upstream drips its response head and never finishes it', async () => {
    const out = await rawGet('/drip');
    expect(statusLines(out)).toEqual([504]);
    expect(out).not.toContain('x-drip');
  });

  it('times out a request waiting for a socket to an upstream another route keeps busy', async () => {
    // 256 requests (the agent's maxSockets per upstream) hang on a 60 s route; a request to the same
    // upstream on a 300 ms route used to wait for a free socket, outside any timeout.
    const url = new URL(tp.proxy.trafficUrl);
    const clients: net.Socket[] = [];
    try {
      for (let i = 0; i < 256; i++) {
        const socket = net.connect(Number(url.port), url.hostname);
        socket.on('error', () => undefined);
        socket.write('GET /hang-long HTTP/1.1\r\nHost: api.test\r\n\r\n');
        clients.push(socket);
      }
      await waitFor(() => hanging.accepted() >= 256, 500, 10);
      const out = await rawGet('/hang-short');
      expect(statusLines(out)).toEqual([504]);
      expect(out).toContain('"code":"UpstreamTimeout"');
    } finally {
      for (const socket of clients) socket.resetAndDestroy();
    }
    // The other upstream was never starved.
    expect((await get('/ok')).status).toBe(200);
  });
});

describe('hostile upstream: framing', () => {
  it('closes the client connection after a body the upstream framed by closing its own', async () => {
    // Pipelined: with the connection kept alive, the next response ran into this body.
    const out = await sendRaw(tp.proxy.trafficUrl, [
      'GET /te-gzip HTTP/1.1\r\nHost: api.test\r\n\r\n',
      'GET /ok HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n',
    ]);
    expect(statusLines(out)).toEqual([200]);
    expect(out.toLowerCase()).toContain('connection: close');
    expect(out.endsWith('CLOSE-DELIMITED')).toBe(true);
  });

  it('never hands bytes an upstream sent after its response to the next client', async () => {
    const first = await get('/poison');
    const conn = /^first conn=(\d+)$/.exec(first.text)?.[1];
    expect(conn).toBeDefined();
    await waitFor(() => poisonWritten);
    // The next request goes out on the same pooled connection (the agent is LIFO), and its answer
    // is its own.
    const next = await get('/ok');
    expect(next.status).toBe(200);
    expect(next.headers['x-poison']).toBeUndefined();
    expect(next.text).toMatch(new RegExp(`^ok conn=${conn} req=\\d+$`));
  });

  it.each(['/cl-te', '/dup-cl', '/big-head'])('answers 502 to an unparseable response (%s)', async (path) => {
    const reply = await get(path);
    expect(reply.status).toBe(502);
    expect(json(reply)).toEqual({ code: 'UpstreamUnavailable', requestId: reply.headers['x-request-id'] });
  });

  it('strips hop-by-hop response headers and keeps the proxy request id', async () => {
    const reply = await get('/hop');
    expect(reply.text).toBe('hop');
    for (const name of ['x-named', 'keep-alive', 'upgrade', 'proxy-authenticate', 'trailer', 'te'])
      expect(reply.headers[name]).toBeUndefined();
    expect(reply.headers['x-request-id']).not.toBe('forged');
  });

  it('never sends the final chunk of a chunked body the upstream cut', async () => {
    const out = await rawGet('/cut-chunked');
    expect(statusLines(out)).toEqual([200]);
    expect(out).toContain('0123456789');
    expect(out).not.toMatch(/\r\n0\r\n\r\n$/);
    expect((await get('/ok')).status).toBe(200);
  });
});
