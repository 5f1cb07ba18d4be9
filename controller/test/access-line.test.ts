import { describe, expect, it } from '@jest/globals';
import { formatAccessLine } from '../src/cli/access-line.js';

describe("up's terminal line per request", () => {
  it('says what was decided, on which route', () => {
    expect(
      formatAccessLine({
        method: 'GET',
        path: '/v1/orders/42',
        status: 200,
        code: 'Forwarded',
        route: 'demo/demo-api/get-order',
      }),
    ).toBe('  GET /v1/orders/42 -> 200 Forwarded  (route demo/demo-api/get-order)');
  });

  it('gives the reason of a denial, shortened, and the host of a shadow request', () => {
    expect(
      formatAccessLine({
        method: 'GET',
        path: '/health',
        status: 404,
        code: 'RouteNotFound',
        reason: 'no route matches',
        host: '127.0.0.1',
        shadow: true,
      }),
    ).toBe('  GET /health -> 404 RouteNotFound: no route matches (host 127.0.0.1)');
    const long = formatAccessLine({
      method: 'GET',
      path: '/',
      status: 400,
      code: 'BadRequest',
      reason: 'x'.repeat(500),
    });
    expect(long).toMatch(/: x+…$/);
    expect(long?.length).toBeLessThan(200);
  });

  it('shows what an Audit policy would have denied', () => {
    expect(
      formatAccessLine({
        method: 'GET',
        path: '/v1/orders/42',
        status: 200,
        code: 'Forwarded',
        route: 'demo/demo-api/get-order',
        wouldDeny: [{ policy: 'demo/demo-jwt', code: 'AuthenticationRequired', reason: 'no token' }],
      }),
    ).toBe(
      '  GET /v1/orders/42 -> 200 Forwarded  (route demo/demo-api/get-order)  [Audit: would deny AuthenticationRequired by demo/demo-jwt]',
    );
  });

  it('ignores lines that are not request records, and malformed fields', () => {
    expect(formatAccessLine({ msg: 'listening' })).toBeUndefined();
    expect(
      formatAccessLine({
        method: 'GET',
        path: '/',
        status: 200,
        wouldDeny: [null, 3, { policy: 1 }],
        reason: 7,
      }),
    ).toBe('  GET / -> 200');
  });
});
