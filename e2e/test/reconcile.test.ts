import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProxyStatus } from '@portcullis/contract';
import { bearer, eventually, send } from './helpers/http.js';
import {
  freePort,
  startControllerProcess,
  startProxyProcess,
  type NodeProcess,
  type ProxyProcess,
} from './helpers/processes.js';
import {
  createIdp,
  createWorkspace,
  jwksSecretYaml,
  policyYaml,
  routesYaml,
  startEchoUpstream,
  type Workspace,
} from './helpers/stack.js';

/**
 * The controller's periodic reconcile, with real processes: a proxy that was down when the
 * controller started, or that restarts with an empty state, is brought up to date without anyone
 * editing a file.
 */
describe('reconcile (real processes)', () => {
  let ws: Workspace;
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let controller: NodeProcess;
  let proxy: ProxyProcess | undefined;
  let metricsUrl: string;
  let adminPort: number;
  let token: string;

  const status = async (admin: string) =>
    JSON.parse((await send(`${admin}/v1/snapshot/status`)).body) as ProxyStatus;

  beforeAll(async () => {
    ws = await createWorkspace();
    upstream = await startEchoUpstream();
    const idp = await createIdp();
    token = await idp.mint();
    await writeFile(join(ws.policies, 'routes.yaml'), routesYaml(upstream.url));
    await writeFile(join(ws.policies, 'policy.yaml'), policyYaml('Enforce'));
    await writeFile(join(ws.policies, 'jwks.yaml'), jwksSecretYaml(idp.jwks));
    adminPort = await freePort();
    // Nothing listens on adminPort yet: the controller's first pushes fail and are retried.
    controller = startControllerProcess(
      ws.policies,
      ws.signingKeyFile,
      [`http://127.0.0.1:${adminPort}`],
      ['--metrics-listen', '127.0.0.1:0'],
    );
    const listening = await controller.waitForLine((l) => l.includes('"metrics listening"'));
    metricsUrl = (JSON.parse(listening) as { url: string }).url;
    await controller.waitForLine((l) => l.includes('GatewayPolicy'));
  });

  afterAll(async () => {
    await controller.stop();
    await proxy?.process.stop();
    await upstream.close();
    await ws.remove();
  });

  it('brings up to date a proxy that was down when the controller started', async () => {
    proxy = await startProxyProcess(ws.trustedKeysFile, join(ws.dir, 'late'), { admin: adminPort });
    const admin = proxy.admin;
    await eventually(async () => (await status(admin)).version !== null, 'the late proxy was pushed');
    expect((await send(`${proxy.traffic}/v1/orders/1`)).status).toBe(401);
    expect((await send(`${proxy.traffic}/v1/orders/1`, { headers: bearer(token) })).status).toBe(200);
  });

  it('says so in its metrics: pushes failed while the proxy was down, now it is in sync', async () => {
    const proxyLabel = `proxy="http://127.0.0.1:${adminPort}"`;
    const metric = async (name: string) => {
      const text = (await send(metricsUrl)).body;
      const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(proxyLabel));
      return line === undefined ? undefined : Number(line.split(' ').at(-1));
    };
    await eventually(async () => (await metric('portcullis_controller_proxy_in_sync')) === 1, 'in sync');
    expect(await metric('portcullis_controller_pushes_total{proxy="http://127.0.0.1')).toBeGreaterThan(0);
    const text = (await send(metricsUrl)).body;
    expect(text).toMatch(
      new RegExp(`portcullis_controller_pushes_total\\{${proxyLabel},result="Failed"\\} [1-9]`),
    );
    expect(text).toMatch(
      new RegExp(`portcullis_controller_pushes_total\\{${proxyLabel},result="Applied"\\} 1`),
    );
  });

  it('pushes the snapshot in force again to a proxy restarted with an empty state', async () => {
    if (proxy === undefined) throw new Error('previous test did not start a proxy');
    const before = await status(proxy.admin);
    await proxy.process.stop();
    proxy = await startProxyProcess(ws.trustedKeysFile, join(ws.dir, 'empty-again'), { admin: adminPort });
    const admin = proxy.admin;
    expect((await status(admin)).version).toBeNull();
    await eventually(
      async () => (await status(admin)).hash === before.hash,
      'the restarted proxy was pushed again',
    );
    expect((await send(`${proxy.traffic}/v1/orders/1`)).status).toBe(401);
  });
});
