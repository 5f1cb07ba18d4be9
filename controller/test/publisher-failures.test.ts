import { beforeAll, describe, expect, it } from '@jest/globals';
import { generateSigningKey } from '@portcullis/contract';
import type { SigningKey } from '@portcullis/contract';
import { pushErrorText } from '../src/publisher/error-text.js';
import { Publisher } from '../src/publisher/publisher.js';
import type { ProxyAck } from '../src/publisher/publisher.js';
import type { BackoffOptions } from '../src/publisher/backoff.js';
import { cleanupAfterEach } from './helpers/cleanup.js';
import { FakeProxy } from './helpers/fake-proxy.js';
import { oneRouteSnapshot } from './helpers/snapshots.js';
import { memoryLogger } from './helpers/streams.js';
import { waitFor } from './helpers/wait.js';

describe('publisher: failure bookkeeping', () => {
  let key: SigningKey;
  const cleanup = cleanupAfterEach();
  beforeAll(async () => {
    key = await generateSigningKey();
  });

  async function setup(o: { reconcileIntervalMs?: number; backoff: Partial<BackoffOptions> }) {
    const proxy = await FakeProxy.start(key);
    cleanup.push(() => proxy.close());
    const acks: ProxyAck[] = [];
    const log = memoryLogger();
    const publisher = new Publisher({
      proxies: [proxy.url],
      signingKey: key,
      logger: log.logger,
      reconcileIntervalMs: o.reconcileIntervalMs ?? 60_000,
      backoff: o.backoff,
      onAck: (a) => acks.push(a),
    });
    cleanup.push(() => publisher.close());
    return { proxy, acks, publisher, log };
  }

  it('the retry delay doubles with every consecutive failure', async () => {
    // random 0: the delay is exactly half the exponential step (initialMs * 2^(failures-1)).
    const { proxy, acks, publisher, log } = await setup({
      backoff: { initialMs: 8, maxMs: 1000, random: () => 0 },
    });
    proxy.failNext = 3;
    await publisher.publish(oneRouteSnapshot('/grow'));
    await waitFor(() => acks.length === 1, 'ack after retries');
    const failed = log.lines().filter((l) => l['msg'] === 'push failed');
    expect(failed.map((l) => [l['failures'], l['retryInMs']])).toEqual([
      [1, 4],
      [2, 8],
      [3, 16],
    ]);
  });

  it('a successful sync resets the failure count and the last error', async () => {
    const { proxy, acks, publisher, log } = await setup({
      backoff: { initialMs: 5, maxMs: 20, random: () => 0 },
    });
    proxy.failNext = 1;
    await publisher.publish(oneRouteSnapshot('/one'));
    await waitFor(() => acks.length === 1, 'first ack');
    expect(publisher.proxies()[0]).toMatchObject({ failures: 0, lastError: undefined });
    // The next failure counts from one again, not on top of the earlier one.
    proxy.failNext = 1;
    await publisher.publish(oneRouteSnapshot('/two'));
    await waitFor(() => acks.length === 2, 'second ack');
    const failed = log.lines().filter((l) => l['msg'] === 'push failed');
    expect(failed.map((l) => l['failures'])).toEqual([1, 1]);
  });

  it('a new snapshot during the backoff cancels the pending retry, so the reconcile resumes', async () => {
    // A 60 s backoff: only the new snapshot (and then the reconcile) may reach the proxy again.
    const { proxy, acks, publisher } = await setup({
      reconcileIntervalMs: 20,
      backoff: { initialMs: 60_000, maxMs: 60_000, random: () => 0 },
    });
    proxy.failNext = 1;
    await publisher.publish(oneRouteSnapshot('/failed'));
    await waitFor(() => publisher.proxies()[0]?.failures === 1, 'the first failure');
    publisher.start();
    const second = await publisher.publish(oneRouteSnapshot('/pushed'));
    await waitFor(() => acks.length === 1, 'the new snapshot pushed despite the backoff');
    // The proxy restarts empty: the reconcile must notice, since no retry is pending any more.
    proxy.restartEmpty();
    await waitFor(() => proxy.hash === second.hash, 'the reconcile to push again', 3000);
  });
});

describe('pushErrorText edge cases', () => {
  it('does not repeat a cause that says what the error already says', () => {
    expect(pushErrorText(new Error('boom', { cause: new Error('boom') }))).toBe('boom');
    expect(
      pushErrorText(
        new Error('fetch failed', {
          cause: new Error('other side closed', { cause: new Error('fetch failed') }),
        }),
      ),
    ).toBe('fetch failed: other side closed');
  });

  it('skips causes that have nothing to say (no message, no inner errors, no string code)', () => {
    expect(pushErrorText(new Error('fetch failed', { cause: {} }))).toBe('fetch failed');
    expect(pushErrorText(new Error('fetch failed', { cause: { code: 42 } }))).toBe('fetch failed');
    expect(pushErrorText(new Error('fetch failed', { cause: new Error('') }))).toBe('fetch failed');
  });

  it('lists what an aggregate holds once each, leaving out empty messages', () => {
    const aggregate = new AggregateError([new Error('refused'), new Error(''), new Error('refused')]);
    expect(pushErrorText(new Error('fetch failed', { cause: aggregate }))).toBe('fetch failed: refused');
    const silent = Object.assign(new AggregateError([new Error('')]), { code: 'ECONNREFUSED' });
    expect(pushErrorText(new Error('fetch failed', { cause: silent }))).toBe('fetch failed: ECONNREFUSED');
  });
});
