import { beforeAll, describe, expect, it } from '@jest/globals';
import { contentHash, generateSigningKey } from '@portcullis/contract';
import type { SigningKey } from '@portcullis/contract';
import { Publisher } from '../src/publisher/publisher.js';
import { cleanupAfterEach } from './helpers/cleanup.js';
import { FakeProxy } from './helpers/fake-proxy.js';
import { ScriptedAdmin, forward, sendJson } from './helpers/scripted-admin.js';
import { oneRouteSnapshot } from './helpers/snapshots.js';
import { memoryLogger } from './helpers/streams.js';
import { waitFor } from './helpers/wait.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A 60 s backoff (30 s with random 0): within these tests, a proxy that failed once is never retried. */
const LONG_BACKOFF = { initialMs: 60_000, maxMs: 60_000, random: () => 0 };

describe('publisher backoff against a failing proxy', () => {
  let key: SigningKey;
  const cleanup = cleanupAfterEach();
  beforeAll(async () => {
    key = await generateSigningKey();
  });

  function publisherFor(url: string, o: { requestTimeoutMs?: number } = {}): Publisher {
    const publisher = new Publisher({
      proxies: [url],
      signingKey: key,
      logger: memoryLogger().logger,
      // Several ticks land during every sync: none of them may turn into a retry.
      reconcileIntervalMs: 50,
      backoff: LONG_BACKOFF,
      ...o,
    });
    cleanup.push(() => publisher.close());
    return publisher;
  }

  it('does not retry a slow proxy that answers 500 at the reconcile interval', async () => {
    const admin = await ScriptedAdmin.start((_req, res) => {
      setTimeout(() => sendJson(res, 500, { oops: true }), 120);
    });
    cleanup.push(() => admin.close());
    const publisher = publisherFor(admin.url);
    publisher.start();
    await publisher.publish(oneRouteSnapshot('/a'));
    await waitFor(() => publisher.proxies()[0]?.failures === 1, 'the first failure');
    // Room for about thirty reconcile ticks: without the backoff they would each bring a request.
    await sleep(1500);
    expect(admin.requests).toBeLessThanOrEqual(2);
    expect(publisher.proxies()[0]?.failures).toBeLessThanOrEqual(2);
  });

  it('does not retry a proxy that never answers at the reconcile interval', async () => {
    const admin = await ScriptedAdmin.start(() => {
      // Never answers: every sync ends in the request timeout.
    });
    cleanup.push(() => admin.close());
    const publisher = publisherFor(admin.url, { requestTimeoutMs: 100 });
    publisher.start();
    await publisher.publish(oneRouteSnapshot('/a'));
    await waitFor(() => publisher.proxies()[0]?.failures === 1, 'the first timeout');
    await sleep(1500);
    expect(admin.requests).toBeLessThanOrEqual(2);
    expect(publisher.proxies()[0]?.lastError).toMatch(/timeout/i);
  });

  it('pushes a snapshot published during a failing sync right after it, despite the backoff', async () => {
    // The first request is held until the second snapshot is signed, then fails; after that the
    // server behaves as a proxy, by delegating to a FakeProxy.
    const proxy = await FakeProxy.start(key);
    cleanup.push(() => proxy.close());
    let release: (() => void) | undefined;
    const held = new Promise<void>((r) => (release = r));
    const admin = await ScriptedAdmin.start((req, res, n) => {
      if (n === 1) {
        void held.then(() => sendJson(res, 500, { oops: true }));
        return;
      }
      void forward(req, res, proxy.url);
    });
    cleanup.push(() => admin.close());
    const publisher = publisherFor(admin.url);
    publisher.start();
    await publisher.publish(oneRouteSnapshot('/old'));
    await waitFor(() => admin.requests === 1, 'the first sync to be in flight');
    const second = await publisher.publish(oneRouteSnapshot('/new'));
    release?.();
    await waitFor(() => proxy.hash === second.hash, 'the new snapshot');
    expect(proxy.hash).toBe(contentHash(oneRouteSnapshot('/new')));
    expect(proxy.puts().map((p) => p.version)).toEqual([second.version]);
  });

  it('pushes a snapshot published during a successful sync right after it', async () => {
    const proxy = await FakeProxy.start(key);
    cleanup.push(() => proxy.close());
    let release: (() => void) | undefined;
    const held = new Promise<void>((r) => (release = r));
    const admin = await ScriptedAdmin.start((req, res, n) => {
      // Holds the first request (the status call of the first sync) until the second publish.
      void (n === 1 ? held : Promise.resolve()).then(() => forward(req, res, proxy.url));
    });
    cleanup.push(() => admin.close());
    // No reconcile within the test: only `again` can bring the second snapshot.
    const publisher = new Publisher({
      proxies: [admin.url],
      signingKey: key,
      logger: memoryLogger().logger,
      reconcileIntervalMs: 60_000,
      backoff: LONG_BACKOFF,
    });
    cleanup.push(() => publisher.close());
    publisher.start();
    const first = await publisher.publish(oneRouteSnapshot('/old'));
    await waitFor(() => admin.requests === 1, 'the first sync to be in flight');
    const second = await publisher.publish(oneRouteSnapshot('/new'));
    release?.();
    await waitFor(() => proxy.hash === second.hash, 'the new snapshot');
    expect(proxy.puts().map((p) => p.version)).toEqual([first.version, second.version]);
  });
});
