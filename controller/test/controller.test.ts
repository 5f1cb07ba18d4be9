import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { contentHash } from '@portcullis/contract';
import { localController } from './helpers/local-controller.js';
import { waitFor } from './helpers/wait.js';

const KEY = {
  kty: 'EC',
  crv: 'P-256',
  x: 'NYYBo0Kd3yiv0IAuWacIB0VBYpDwf_92pZU0p1agCZU',
  y: 'rByAex6YIGq_OI5K2XXuvjCrs9KfQ7iGM02sFuVunH0',
};

const routes = (path: string) => `apiVersion: portcullis.io/v1alpha1
kind: RouteClassification
metadata: {name: api, namespace: demo}
spec:
  hosts: [localhost]
  upstream: {url: http://127.0.0.1:9000}
  routes:
    - {name: read, methods: [GET], path: '${path}'}
    - {name: health, methods: [GET], path: /health, tier: public}
`;

const policy = `apiVersion: portcullis.io/v1alpha1
kind: GatewayPolicy
metadata: {name: jwt, namespace: demo}
spec:
  targetRefs: [{kind: RouteClassification, name: api}]
  authentication:
    jwt:
      - name: idp
        issuer: https://idp.example.com/
        audiences: [api]
        algorithms: [ES256]
        jwks: {secretRef: {name: idp-jwks}}
`;

describe('startController (local mode)', () => {
  const ctl = localController('portcullis-ctl-', 2);

  const start = () =>
    ctl.start({
      // The demo's way of supplying a JWKS that is not in the folder.
      extraResources: [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'idp-jwks', namespace: 'demo' },
          stringData: { 'jwks.json': JSON.stringify({ keys: [KEY] }) },
        },
      ],
    });

  it('compiles the folder, pushes to every proxy and reports Programmed', async () => {
    await writeFile(path.join(ctl.dir, 'routes.yaml'), routes('/v1/orders/{id}'));
    await writeFile(path.join(ctl.dir, 'policy.yaml'), policy);
    const c = await start();
    const done = await c.whenProgrammed();
    for (const p of ctl.proxies) expect(p.hash).toBe(done.hash);
    const view = c.current();
    expect(view?.hash).toBe(done.hash);
    expect(view?.snapshot.routes.map((r) => [r.id, r.policies])).toEqual([
      ['demo/api/health', ['demo/jwt']],
      ['demo/api/read', ['demo/jwt']],
    ]);
    await waitFor(() => c.current()?.statuses.every((s) => s.status.programmed === '2/2'), 'Programmed 2/2');
    for (const s of c.current()?.statuses ?? []) {
      expect(s.status.conditions.map((x) => `${x.type}=${x.status}`)).toEqual([
        'Accepted=True',
        'ResolvedRefs=True',
        'Programmed=True',
        'Ready=True',
      ]);
    }
    expect(ctl.out.text).toMatch(
      /GatewayPolicy\s+demo\/jwt\s+Accepted=True\s+ResolvedRefs=True\s+Programmed=2\/2/,
    );
  });

  it('republishes on an edit, and keeps the last good version when an edit breaks a file', async () => {
    await writeFile(path.join(ctl.dir, 'routes.yaml'), routes('/v1/orders/{id}'));
    await writeFile(path.join(ctl.dir, 'policy.yaml'), policy);
    const c = await start();
    const first = await c.whenProgrammed();

    await writeFile(path.join(ctl.dir, 'routes.yaml'), routes('/v2/orders/{id}'));
    await waitFor(
      () => ctl.proxies.every((p) => p.snapshot?.routes.some((r) => r.path === '/v2/orders/{id}')),
      'the edit',
    );
    const second = await c.whenProgrammed();
    expect(second.version).toBeGreaterThan(first.version);

    // A half-saved file: the objects from its last good version stay in force.
    await writeFile(path.join(ctl.dir, 'routes.yaml'), 'spec: [unclosed\n');
    await waitFor(() => ctl.out.text.includes('error: '), 'the load error to be printed');
    expect(c.current()?.hash).toBe(second.hash);

    // A valid edit that is semantically invalid: the last accepted generation stays in force.
    await writeFile(path.join(ctl.dir, 'routes.yaml'), routes('/v1/../admin'));
    await waitFor(
      () => c.current()?.statuses.some((s) => /stays in force/.test(s.status.conditions[0]?.message ?? '')),
      'kept',
    );
    // The file loads again (its content is refused, but that is status, not a load error): say so.
    expect(ctl.out.text).toContain(`ok: every file in ${ctl.dir} loads again\n`);
    expect(ctl.out.text.split('loads again')).toHaveLength(2);
    expect(c.current()?.hash).toBe(second.hash);
    expect(ctl.proxies.every((p) => p.hash === second.hash)).toBe(true);
    // The proxies run generation 2, not the rejected generation 3: Programmed must not say 2/2.
    const rejected = c.current()?.statuses.find((s) => s.kind === 'RouteClassification');
    expect(rejected?.generation).toBe(3);
    expect(rejected?.status.programmed).toBe('0/2');
    expect(rejected?.status.conditions.find((x) => x.type === 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
    });
    expect(ctl.out.text).toMatch(
      /RouteClassification\s+demo\/api\s+Accepted=False\(Invalid\).*Programmed=0\/2/,
    );
  });

  it('brings a proxy that restarted empty back up to date', async () => {
    await writeFile(path.join(ctl.dir, 'routes.yaml'), routes('/v1/x'));
    await writeFile(path.join(ctl.dir, 'policy.yaml'), policy);
    const c = await start();
    const done = await c.whenProgrammed();
    ctl.proxies[1]?.restartEmpty();
    await waitFor(() => ctl.proxies[1]?.hash === done.hash, 'the reconcile');
  });

  it('starts with an empty folder: an empty snapshot, everything denied', async () => {
    const c = await start();
    const done = await c.whenProgrammed();
    expect(done.hash).toBe(contentHash({ schemaVersion: 1, routes: [], policies: [] }));
    expect(c.current()?.snapshot.routes).toEqual([]);
  });
});
