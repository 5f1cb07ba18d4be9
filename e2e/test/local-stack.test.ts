import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, generateKeyPair } from 'jose';
import { generateSigningKey, signSnapshot, emptySnapshot, type ProxyStatus } from '@portcullis/contract';
import { bearer, eventually, send } from './helpers/http.js';
import {
  startControllerProcess,
  startProxyProcess,
  type NodeProcess,
  type ProxyProcess,
} from './helpers/processes.js';
import {
  AUDIENCE,
  ISSUER,
  createIdp,
  createWorkspace,
  jwksSecretYaml,
  policyYaml,
  routesYaml,
  startEchoUpstream,
  type Workspace,
} from './helpers/stack.js';

/**
 * The local stack as real processes: the proxy binary, the `portcullis controller` CLI, a real
 * upstream, real HTTP. The tests run in order and tell one story: the stack works, then it is
 * changed, attacked, and has its controller and proxy killed.
 */
describe('local stack (real processes)', () => {
  let ws: Workspace;
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let idp: Awaited<ReturnType<typeof createIdp>>;
  let proxy: ProxyProcess;
  let controller: NodeProcess;
  let token: string;

  const status = async (): Promise<ProxyStatus> =>
    JSON.parse((await send(`${proxy.admin}/v1/snapshot/status`)).body) as ProxyStatus;
  const order = (headers: Record<string, string> = {}) => send(`${proxy.traffic}/v1/orders/42`, { headers });

  beforeAll(async () => {
    ws = await createWorkspace();
    upstream = await startEchoUpstream();
    idp = await createIdp();
    token = await idp.mint();
    await writeFile(join(ws.policies, 'routes.yaml'), routesYaml(upstream.url));
    await writeFile(join(ws.policies, 'policy.yaml'), policyYaml('Enforce'));
    await writeFile(join(ws.policies, 'jwks.yaml'), jwksSecretYaml(idp.jwks));
    proxy = await startProxyProcess(ws.trustedKeysFile, ws.proxyState);
    controller = startControllerProcess(ws.policies, ws.signingKeyFile, [proxy.admin]);
    await eventually(async () => (await status()).version !== null, 'first snapshot pushed');
  });

  afterAll(async () => {
    await controller.stop();
    await proxy.process.stop();
    await upstream.close();
    await ws.remove();
  });

  it('forwards an authenticated request and passes the subject upstream (200)', async () => {
    const reply = await order(bearer(token));
    expect(reply.status).toBe(200);
    const echoed = JSON.parse(reply.body) as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe('/v1/orders/42');
    expect(echoed.headers['x-portcullis-subject']).toBe('alice');
  });

  it('answers 401 AuthenticationRequired without a token, with a generic body', async () => {
    const reply = await order();
    expect(reply.status).toBe(401);
    const body = JSON.parse(reply.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['code', 'requestId']);
    expect(body.code).toBe('AuthenticationRequired');
  });

  it('answers 401 InvalidCredentials to a forged token (signed by a key the policy does not trust)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'e2e-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('mallory')
      .setExpirationTime('10m')
      .sign(privateKey);
    const reply = await order(bearer(forged));
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.body)).toMatchObject({ code: 'InvalidCredentials' });
  });

  it('answers 404 RouteNotFound to an undeclared (shadow) path', async () => {
    const reply = await send(`${proxy.traffic}/v1/admin/users`, { headers: bearer(token) });
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toMatchObject({ code: 'RouteNotFound' });
  });

  it('refuses a snapshot signed with another key and keeps enforcing the one in force', async () => {
    const before = await status();
    const attacker = await generateSigningKey();
    const { jws } = await signSnapshot(attacker, 1_000_000, emptySnapshot());
    const reply = await send(`${proxy.admin}/v1/snapshot`, {
      method: 'PUT',
      headers: { 'content-type': 'application/jose' },
      body: jws,
    });
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'SignatureInvalid' } });
    expect(await status()).toMatchObject({ version: before.version, hash: before.hash });
    expect((await order()).status).toBe(401);
    expect((await order(bearer(token))).status).toBe(200);
  });

  it('changes behaviour when a policy file is edited (Enforce -> Audit -> Enforce)', async () => {
    const v0 = (await status()).version ?? 0;
    await writeFile(join(ws.policies, 'policy.yaml'), policyYaml('Audit'));
    await eventually(async () => ((await status()).version ?? 0) > v0, 'the Audit edit was pushed');
    // Audit evaluates and logs, but never blocks: the request without a token now passes.
    expect((await order()).status).toBe(200);

    const v1 = (await status()).version ?? 0;
    await writeFile(join(ws.policies, 'policy.yaml'), policyYaml('Enforce'));
    await eventually(async () => ((await status()).version ?? 0) > v1, 'the Enforce edit was pushed');
    expect((await order()).status).toBe(401);
  });

  it('keeps enforcing after the controller is killed', async () => {
    const before = await status();
    await controller.stop('SIGKILL');
    expect((await order()).status).toBe(401);
    expect((await order(bearer(token))).status).toBe(200);
    expect((await send(`${proxy.traffic}/nope`)).status).toBe(404);
    expect(await status()).toMatchObject({ version: before.version, hash: before.hash });
  });

  it('a restarted proxy with no controller serves its persisted last-known-good snapshot', async () => {
    const before = await status();
    await proxy.process.stop();
    proxy = await startProxyProcess(ws.trustedKeysFile, ws.proxyState);
    expect(await status()).toMatchObject({
      version: before.version,
      hash: before.hash,
      ready: true,
      origin: 'last-known-good',
    });
    expect((await send(`${proxy.admin}/readyz`)).status).toBe(200);
    expect((await order()).status).toBe(401);
    expect((await order(bearer(token))).status).toBe(200);
  });

  it('a proxy with no snapshot at all answers 503 NoSnapshot and is not ready', async () => {
    const empty = await startProxyProcess(ws.trustedKeysFile, join(ws.dir, 'empty-state'));
    try {
      const reply = await send(`${empty.traffic}/health`);
      expect(reply.status).toBe(503);
      expect(JSON.parse(reply.body)).toMatchObject({ code: 'NoSnapshot' });
      expect((await send(`${empty.admin}/readyz`)).status).toBe(503);
    } finally {
      await empty.process.stop();
    }
  });
});
