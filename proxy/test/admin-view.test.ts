import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { json, send } from './helpers/http-client.js';
import { createSigner, pushOk, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { jwtPolicy, route, snapshot } from './helpers/snapshots.js';
import { tokenKey, type TokenKey } from './helpers/tokens.js';

/** GET /v1/snapshot: what exactly this proxy enforces, without key material. */
describe('admin snapshot view', () => {
  let tp: TestProxy;
  let key: TokenKey;

  beforeAll(async () => {
    tp = await startTestProxy({ signer: await createSigner() });
    key = await tokenKey('ES256', 'idp-1');
  });
  afterAll(() => tp.close());

  it('answers 404 NotFound while no snapshot is in force', async () => {
    const reply = await send(tp.proxy.adminUrl, { path: '/v1/snapshot' });
    expect(reply.status).toBe(404);
    expect(json(reply)).toMatchObject({ error: { code: 'NotFound' }, current: { version: null } });
  });

  it('shows the snapshot in force with its version and hash, and key fingerprints instead of key material', async () => {
    const snap = snapshot(
      [
        route({
          id: 'default/test/orders',
          path: '/orders',
          upstream: 'http://127.0.0.1:1',
          policies: ['default/p'],
        }),
      ],
      [
        jwtPolicy('default/p', [
          { issuer: 'https://idp.test', algorithms: ['ES256'], keys: [key.publicJwk] },
        ]),
      ],
    );
    await pushOk(tp, snap, 3);
    const reply = await send(tp.proxy.adminUrl, { path: '/v1/snapshot' });
    expect(reply.status).toBe(200);
    const view = json<{ version: number; hash: string; snapshot: typeof snap }>(reply);
    expect(view.version).toBe(3);
    expect(view.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(view.snapshot.routes.map((r) => r.id)).toEqual(['default/test/orders']);
    const shown = view.snapshot.policies[0]?.authentication.jwt[0]?.keys[0] as Record<string, unknown>;
    expect(shown).toEqual({
      kty: 'EC',
      kid: 'idp-1',
      fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
    });
    expect(reply.text).not.toContain(String(key.publicJwk.x));
  });
});
