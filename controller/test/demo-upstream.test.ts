import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { startDemoUpstream } from '../src/demo/upstream.js';
import type { DemoUpstream } from '../src/demo/upstream.js';

function get(url: string, headers: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/orders/42?x=1`, { headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demo upstream (echo)', () => {
  let upstream: DemoUpstream;
  beforeAll(async () => {
    upstream = await startDemoUpstream(0);
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('echoes every header it received, so a newcomer sees what the gateway added', async () => {
    const echoed = await get(upstream.url, {
      'x-forwarded-host': 'localhost:8080',
      'x-portcullis-subject': 'demo-user',
      'x-request-id': 'r1',
    });
    expect(echoed).toMatchObject({ service: 'demo-upstream', method: 'GET', path: '/v1/orders/42?x=1' });
    expect(echoed.headers).toMatchObject({
      'x-forwarded-host': 'localhost:8080',
      'x-portcullis-subject': 'demo-user',
      'x-request-id': 'r1',
    });
  });

  it('never echoes credentials, only that they were present', async () => {
    const secret = 'Bearer eyJhbGciOiJFUzI1NiJ9.secret.sig';
    const echoed = await get(upstream.url, { authorization: secret, cookie: 'sid=abc', 'x-api-key': 'k1' });
    const text = JSON.stringify(echoed);
    for (const value of [secret, 'sid=abc', 'k1']) expect(text).not.toContain(value);
    expect(echoed.headers).toMatchObject({
      authorization: '(present, not echoed)',
      cookie: '(present, not echoed)',
      'x-api-key': '(present, not echoed)',
    });
  });
});
