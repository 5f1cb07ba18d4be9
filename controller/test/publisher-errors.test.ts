import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { generateSigningKey } from '@portcullis/contract';
import { pushErrorText } from '../src/publisher/error-text.js';
import { Publisher } from '../src/publisher/publisher.js';
import { memoryLogger } from './helpers/streams.js';
import { waitFor } from './helpers/wait.js';

/** A port that was just free: listen on port 0, note the port, close. Nothing listens there now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('publisher error messages', () => {
  it('records and logs why fetch failed, not just "fetch failed"', async () => {
    const port = await closedPort();
    const log = memoryLogger();
    const publisher = new Publisher({
      proxies: [`http://127.0.0.1:${port}`],
      signingKey: await generateSigningKey(),
      logger: log.logger,
      backoff: { initialMs: 60_000, maxMs: 60_000, random: () => 0 },
    });
    try {
      await publisher.publish({ schemaVersion: 1, policies: [], routes: [] });
      const error = await waitFor(() => publisher.proxies()[0]?.lastError, 'the push to fail');
      expect(error).toBe(`fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`);
      const logged = log.lines().find((l) => l['msg'] === 'push failed');
      expect(logged?.['error']).toBe(error);
    } finally {
      await publisher.close();
    }
  });

  it('describes causes without a message by what they aggregate, or by their code', () => {
    const aggregate = Object.assign(
      new AggregateError([
        new Error('connect ECONNREFUSED ::1:9901'),
        new Error('connect ECONNREFUSED 127.0.0.1:9901'),
      ]),
      { code: 'ECONNREFUSED' },
    );
    expect(pushErrorText(new TypeError('fetch failed', { cause: aggregate }))).toBe(
      'fetch failed: connect ECONNREFUSED ::1:9901, connect ECONNREFUSED 127.0.0.1:9901',
    );
    const bare = Object.assign(new Error(''), { code: 'UND_ERR_SOCKET' });
    expect(pushErrorText(new TypeError('fetch failed', { cause: bare }))).toBe(
      'fetch failed: UND_ERR_SOCKET',
    );
  });

  it('leaves an error without a cause as it is, and stops at a few causes', () => {
    expect(pushErrorText(new Error('HTTP 500 InternalError: boom'))).toBe('HTTP 500 InternalError: boom');
    let deep: Error = new Error('level 9');
    for (let i = 8; i >= 0; i--) deep = new Error(`level ${i}`, { cause: deep });
    expect(pushErrorText(deep)).toBe('level 0: level 1: level 2: level 3');
  });
});
