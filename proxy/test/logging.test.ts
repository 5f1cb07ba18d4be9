import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../src/index.js';
import { withRedaction } from '../src/logging/logger.js';
import { send, sendRaw, statusLines } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy } from './helpers/proxy.js';
import type { TestProxy } from './helpers/proxy.js';
import { jwtPolicy, route, snapshot } from './helpers/snapshots.js';
import { mint, tokenKey } from './helpers/tokens.js';
import { startUpstream } from './helpers/upstream.js';
import type { Upstream } from './helpers/upstream.js';

let upstream: Upstream;
let tp: TestProxy;

beforeAll(async () => {
  upstream = await startUpstream();
  tp = await startTestProxy({ signer: await createSigner() });
  const key = await tokenKey('ES256', 'k1');
  await pushOk(
    tp,
    snapshot(
      [
        route({
          id: 'default/r/private',
          path: '/private/{id}',
          upstream: upstream.url,
          policies: ['default/p'],
        }),
      ],
      [
        jwtPolicy('default/p', [
          { issuer: 'https://idp.test', algorithms: ['ES256'], keys: [key.publicJwk] },
        ]),
      ],
    ),
    1,
  );
  const good = await mint(key, 'https://idp.test', { claims: { sub: 'alice' } });
  const forged = await mint(await tokenKey('ES256', 'k1'), 'https://idp.test');
  for (const token of [good, forged]) {
    await send(tp.proxy.trafficUrl, {
      path: `/private/1?access_token=${token}`,
      headers: { host: 'api.test', authorization: `Bearer ${token}`, cookie: `session=${token}` },
    });
  }
  tokens.push(good, forged);
});

const tokens: string[] = [];

afterAll(async () => {
  await tp.close();
  await upstream.close();
});

describe('access log', () => {
  it('writes one audit record per request with the decision, and no credential anywhere', () => {
    const records = tp.logs.requests();
    expect(records).toHaveLength(2);
    const [allowed, denied] = records;
    expect(allowed).toMatchObject({
      method: 'GET',
      host: 'api.test',
      path: '/private/1',
      route: 'default/r/private',
      policies: ['default/p'],
      decision: 'allow',
      code: 'Forwarded',
      status: 200,
      subject: 'alice',
    });
    expect(typeof allowed?.requestId).toBe('string');
    expect(typeof allowed?.durationMs).toBe('number');
    expect(denied).toMatchObject({ decision: 'deny', code: 'InvalidCredentials', status: 401 });
    expect(denied?.subject).toBeUndefined();
    const all = tp.logs.lines.join('\n');
    for (const token of tokens) {
      expect(all).not.toContain(token);
      for (const part of token.split('.')) expect(all).not.toContain(part);
    }
    expect(all).not.toContain('access_token');
  });

  it('redacts credential headers if a log line ever carries them', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // Every logger startProxy hands out, except the typed access record, goes through withRedaction.
    const logger = withRedaction(createLogger('info', sink));
    logger.info(
      { req: { headers: { authorization: 'Bearer secret-token', cookie: 'sid=secret-cookie' } } },
      'x',
    );
    logger.info({ headers: { 'x-api-key': 'secret-key' } }, 'y');
    expect(lines.join('')).not.toMatch(/secret-(token|cookie|key)/);
    expect(lines.join('')).toContain('[Redacted]');
  });
});

describe('refused request targets', () => {
  it.each([
    ['absolute-form userinfo', 'http://user:s3cr3t-pw@api.test/private/1'],
    ['a fragment', '/private/1#access_token=s3cr3t-frag'],
    ['a fragment after an invalid path', '/private/a b#access_token=s3cr3t-frag'],
    ['authority-form userinfo', 'user:s3cr3t-pw@api.test:443'],
  ])('never log the credentials in %s', async (_name, target) => {
    const out = await sendRaw(
      tp.proxy.trafficUrl,
      `GET ${target} HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n`,
    );
    expect(statusLines(out)).toEqual([400]);
    const all = tp.logs.lines.join('\n');
    expect(all).not.toContain('s3cr3t');
  });
});
