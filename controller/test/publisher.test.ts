import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { contentHash, emptySnapshot, generateSigningKey, signSnapshot } from '@portcullis/contract';
import type { SigningKey } from '@portcullis/contract';
import { Publisher } from '../src/publisher/publisher.js';
import type { ProxyAck } from '../src/publisher/publisher.js';
import { backoffDelay } from '../src/publisher/backoff.js';
import { cleanupAfterEach } from './helpers/cleanup.js';
import { FakeProxy } from './helpers/fake-proxy.js';
import { oneRouteSnapshot } from './helpers/snapshots.js';
import { memoryLogger } from './helpers/streams.js';
import { waitFor } from './helpers/wait.js';

describe('publisher', () => {
  let key: SigningKey;
  const cleanup = cleanupAfterEach();
  beforeAll(async () => {
    key = await generateSigningKey();
  });

  async function setup(o: { proxies?: number; reconcileIntervalMs?: number } = {}) {
    const proxies: FakeProxy[] = [];
    for (let i = 0; i < (o.proxies ?? 1); i++) {
      const p = await FakeProxy.start(key);
      proxies.push(p);
      cleanup.push(() => p.close());
    }
    const acks: ProxyAck[] = [];
    const log = memoryLogger();
    const publisher = new Publisher({
      proxies: proxies.map((p) => p.url),
      signingKey: key,
      logger: log.logger,
      reconcileIntervalMs: o.reconcileIntervalMs ?? 60_000,
      backoff: { initialMs: 5, maxMs: 20, random: () => 0.5 },
      onAck: (a) => acks.push(a),
    });
    cleanup.push(() => publisher.close());
    return { proxies, acks, publisher, log };
  }

  it('signs, pushes with the JWS media type and acks every proxy', async () => {
    const { proxies, acks, publisher } = await setup({ proxies: 2 });
    const r = await publisher.publish(oneRouteSnapshot('/a'));
    expect(r).toEqual({ version: 1, hash: contentHash(oneRouteSnapshot('/a')), changed: true });
    await waitFor(() => acks.length === 2, 'two acks');
    for (const p of proxies) {
      expect(p.hash).toBe(r.hash);
      expect(p.puts()).toEqual([expect.objectContaining({ contentType: 'application/jose', version: 1 })]);
    }
    expect(new Set(acks.map((a) => a.proxy))).toEqual(new Set(proxies.map((p) => p.url)));
  });

  it('skips a snapshot whose content hash equals the last published one', async () => {
    const { proxies, acks, publisher } = await setup();
    await publisher.publish(oneRouteSnapshot('/a'));
    await waitFor(() => acks.length === 1, 'first ack');
    const again = await publisher.publish(oneRouteSnapshot('/a'));
    expect(again.changed).toBe(false);
    expect(again.version).toBe(1);
    expect(proxies[0]?.puts()).toHaveLength(1);
  });

  it('does not push to a proxy that already runs the same hash', async () => {
    const { proxies, acks, publisher } = await setup();
    const proxy = proxies[0];
    if (proxy === undefined) throw new Error('no proxy');
    // The proxy already has this content (say, from a controller that restarted) at version 7.
    proxy.version = 7;
    proxy.hash = contentHash(oneRouteSnapshot('/a'));
    await publisher.publish(oneRouteSnapshot('/a'));
    const ack = await waitFor(() => acks[0], 'ack');
    expect(ack).toEqual({ proxy: proxy.url, version: 7, hash: proxy.hash });
    expect(proxy.puts()).toHaveLength(0);
  });

  it('re-signs above the version a proxy holds, so a restarted controller never goes backwards', async () => {
    const { proxies, acks, publisher } = await setup();
    const proxy = proxies[0];
    if (proxy === undefined) throw new Error('no proxy');
    // Another (earlier) controller left version 41 with different content.
    const old = await signSnapshot(key, 41, emptySnapshot());
    proxy.version = 41;
    proxy.hash = old.hash;
    await publisher.publish(oneRouteSnapshot('/b'));
    const ack = await waitFor(() => acks[0], 'ack');
    expect(ack.version).toBe(42);
    expect(proxy.version).toBe(42);
    expect(publisher.current()).toEqual({ version: 42, hash: contentHash(oneRouteSnapshot('/b')) });
    // The next snapshot continues from there.
    const next = await publisher.publish(oneRouteSnapshot('/c'));
    expect(next.version).toBe(43);
  });

  it('bumps the version and retries when a proxy answers 409 VersionNotNewer', async () => {
    const { proxies, acks, publisher } = await setup();
    const proxy = proxies[0];
    if (proxy === undefined) throw new Error('no proxy');
    // The status said "empty", but by the time of the PUT another writer has installed version 9.
    proxy.beforePut = () => {
      proxy.beforePut = undefined;
      proxy.version = 9;
      proxy.hash = contentHash(emptySnapshot());
    };
    await publisher.publish(oneRouteSnapshot('/d'));
    const ack = await waitFor(() => acks[0], 'ack');
    expect(ack.version).toBe(10);
    const puts = proxy.puts();
    expect(puts.map((p) => p.version)).toEqual([1, 10]);
  });

  it('retries with backoff after a 500 and then succeeds', async () => {
    const { proxies, acks, publisher, log } = await setup();
    const proxy = proxies[0];
    if (proxy === undefined) throw new Error('no proxy');
    proxy.failNext = 3;
    await publisher.publish(oneRouteSnapshot('/e'));
    await waitFor(() => acks.length === 1, 'ack after retries');
    expect(proxy.hash).toBe(contentHash(oneRouteSnapshot('/e')));
    const failures = log.lines().filter((l) => l['msg'] === 'push failed');
    expect(failures.map((l) => l['failures'])).toEqual([1, 2, 3]);
    // The JWS never reaches the log.
    expect(JSON.stringify(log.lines())).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\./);
  });

  it('the periodic reconcile brings a proxy that restarted empty up to date', async () => {
    const { proxies, acks, publisher } = await setup({ reconcileIntervalMs: 20 });
    const proxy = proxies[0];
    if (proxy === undefined) throw new Error('no proxy');
    publisher.start();
    const first = await publisher.publish(oneRouteSnapshot('/f'));
    await waitFor(() => acks.length >= 1, 'first ack');
    proxy.restartEmpty();
    await waitFor(() => proxy.hash === first.hash, 'the reconcile push');
    expect(proxy.puts().length).toBe(2);
  });

  it('treats a response that does not match the contract as a failure, and never acks it', async () => {
    // A server that answers, but is not a proxy.
    const server = createServer((_req, res) => res.end('<html>hello</html>'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const { port } = server.address() as AddressInfo;
    const acks: ProxyAck[] = [];
    const bogus = new Publisher({
      proxies: [`http://127.0.0.1:${port}`],
      signingKey: key,
      logger: memoryLogger().logger,
      backoff: { initialMs: 60_000, maxMs: 60_000, random: () => 0 },
      onAck: (a) => acks.push(a),
    });
    cleanup.push(() => bogus.close());
    await bogus.publish(oneRouteSnapshot('/g'));
    const error = await waitFor(() => bogus.proxies()[0]?.lastError, 'an error');
    expect(error).toMatch(/not JSON/);
    expect(acks).toEqual([]);
  });

  it('refuses proxy URLs with credentials or other schemes', () => {
    const { logger } = memoryLogger();
    expect(() => new Publisher({ proxies: ['ftp://x'], signingKey: key, logger })).toThrow(/http/);
    expect(() => new Publisher({ proxies: ['http://u:p@x'], signingKey: key, logger })).toThrow(
      /credentials/,
    );
  });

  it('backoff grows exponentially, is capped and jittered', () => {
    const o = { initialMs: 100, maxMs: 1000, random: () => 1 };
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(3, { ...o, random: () => 0 })).toBe(200);
  });
});
