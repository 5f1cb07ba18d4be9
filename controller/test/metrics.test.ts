import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { generateSigningKey } from '@portcullis/contract';
import type { SigningKey } from '@portcullis/contract';
import { ControllerMetrics } from '../src/metrics/metrics.js';
import { parseListenAddress, startMetricsServer } from '../src/metrics/server.js';
import type { MetricsServer } from '../src/metrics/server.js';
import { startController } from '../src/runtime/controller.js';
import type { RunningController } from '../src/runtime/controller.js';
import { FakeProxy } from './helpers/fake-proxy.js';
import { MemoryStream, memoryLogger } from './helpers/streams.js';
import { waitFor } from './helpers/wait.js';

const routes = (p: string) => `apiVersion: portcullis.io/v1alpha1
kind: RouteClassification
metadata: {name: api, namespace: demo}
spec:
  hosts: [localhost]
  upstream: {url: http://127.0.0.1:9000}
  routes:
    - {name: read, methods: [GET], path: '${p}'}
    - {name: health, methods: [GET], path: /health, tier: public}
`;

/** One sample of the Prometheus text format, found by name and exact label set. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const found = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort()))
      return Number(m[3]);
  }
  return undefined;
}

describe('controller metrics', () => {
  let key: SigningKey;
  let dir: string;
  let proxies: FakeProxy[];
  let controller: RunningController | undefined;
  let server: MetricsServer | undefined;
  let metrics: ControllerMetrics;

  beforeAll(async () => {
    key = await generateSigningKey();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-metrics-'));
    proxies = [await FakeProxy.start(key), await FakeProxy.start(key)];
    metrics = new ControllerMetrics();
    server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, metrics);
  });
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    await server?.close();
    for (const p of proxies) await p.close();
    await rm(dir, { recursive: true, force: true });
  });

  const scrape = async () => {
    const res = await fetch(`${server?.url ?? ''}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  async function start(): Promise<RunningController> {
    controller = await startController({
      folder: dir,
      proxies: proxies.map((p) => p.url),
      signingKey: key,
      logger: memoryLogger().logger,
      statusOut: new MemoryStream(),
      reconcileIntervalMs: 50,
      debounceMs: 20,
      metrics,
    });
    return controller;
  }

  it('counts compilations, objects, signatures and pushes, and reads each proxy at scrape time', async () => {
    await writeFile(path.join(dir, 'routes.yaml'), routes('/v1/orders/{id}'));
    const [a, b] = proxies;
    if (a === undefined || b === undefined) throw new Error('two proxies');
    b.failNext = 2; // its first two calls fail: counted, then retried with backoff
    const c = await start();
    const done = await c.whenProgrammed();

    const text = await scrape();
    expect(sample(text, 'portcullis_controller_compiles_total', { result: 'compiled' })).toBe(1);
    expect(sample(text, 'portcullis_controller_compile_duration_seconds_count')).toBe(1);
    expect(sample(text, 'portcullis_controller_load_errors')).toBe(0);
    expect(
      sample(text, 'portcullis_controller_objects', { kind: 'RouteClassification', accepted: 'True' }),
    ).toBe(1);
    // The internal route has no policy: default deny leaves only the public one in the snapshot.
    expect(sample(text, 'portcullis_controller_snapshot_routes')).toBe(c.current()?.snapshot.routes.length);
    expect(sample(text, 'portcullis_controller_snapshots_signed_total')).toBe(1);
    expect(sample(text, 'portcullis_controller_snapshot_version')).toBe(done.version);
    for (const p of proxies) {
      expect(sample(text, 'portcullis_controller_proxy_in_sync', { proxy: p.url })).toBe(1);
      expect(sample(text, 'portcullis_controller_proxy_snapshot_version', { proxy: p.url })).toBe(
        done.version,
      );
      expect(sample(text, 'portcullis_controller_proxy_consecutive_failures', { proxy: p.url })).toBe(0);
      expect(sample(text, 'portcullis_controller_pushes_total', { proxy: p.url, result: 'Applied' })).toBe(1);
    }
    expect(sample(text, 'portcullis_controller_pushes_total', { proxy: b.url, result: 'Failed' })).toBe(2);
    expect(
      sample(text, 'portcullis_controller_pushes_total', { proxy: a.url, result: 'Failed' }),
    ).toBeUndefined();

    // An unreachable proxy is not in sync (unconfirmed), though its last report is kept.
    a.failNext = 1000;
    await waitFor(
      async () =>
        sample(await scrape(), 'portcullis_controller_proxy_consecutive_failures', { proxy: a.url }) !== 0,
      'the failures to show',
    );
    const broken = await scrape();
    expect(sample(broken, 'portcullis_controller_proxy_in_sync', { proxy: a.url })).toBe(0);
    expect(sample(broken, 'portcullis_controller_proxy_snapshot_version', { proxy: a.url })).toBe(
      done.version,
    );
    // Back, but empty (restarted without state): out of sync until the reconcile restores it.
    a.restartEmpty();
    a.failNext = 0;
    await waitFor(
      async () => sample(await scrape(), 'portcullis_controller_proxy_in_sync', { proxy: a.url }) === 1,
      'the reconcile',
    );
  });

  it('counts typed refusals, and a re-signature above the version the proxy holds', async () => {
    await writeFile(path.join(dir, 'routes.yaml'), routes('/v1/orders/{id}'));
    const [a] = proxies;
    if (a === undefined) throw new Error('a proxy');
    // Between its status answer and the push, the proxy takes a newer version from elsewhere.
    a.beforePut = () => {
      a.version = 100;
      a.beforePut = undefined;
    };
    const c = await start();
    const done = await c.whenProgrammed();
    expect(done.version).toBeGreaterThan(100);
    const text = await scrape();
    expect(
      sample(text, 'portcullis_controller_push_refusals_total', { proxy: a.url, code: 'VersionNotNewer' }),
    ).toBe(1);
    expect(sample(text, 'portcullis_controller_snapshots_signed_total')).toBe(2);
  });

  it('shows an object whose newest generation is refused as Accepted=False, and load errors', async () => {
    await writeFile(path.join(dir, 'routes.yaml'), routes('/v1/orders/{id}'));
    const c = await start();
    await c.whenProgrammed();
    await writeFile(path.join(dir, 'routes.yaml'), routes('/v1/../admin'));
    await waitFor(
      async () =>
        sample(await scrape(), 'portcullis_controller_objects', {
          kind: 'RouteClassification',
          accepted: 'False',
        }) === 1,
      'the refused generation',
    );
    await writeFile(path.join(dir, 'broken.yaml'), 'spec: [unclosed\n');
    await waitFor(
      async () => sample(await scrape(), 'portcullis_controller_load_errors') === 1,
      'the load error',
    );
    expect(sample(await scrape(), 'portcullis_controller_compiles_total', { result: 'compiled' })).toBe(3);
  });

  it('serves /healthz, and nothing but GET /metrics and /healthz', async () => {
    const base = server?.url ?? '';
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/v1/snapshot`)).status).toBe(404);
  });

  it('parses --metrics-listen addresses and names what is wrong', () => {
    expect(parseListenAddress('127.0.0.1:9902')).toEqual({ host: '127.0.0.1', port: 9902 });
    expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListenAddress('0.0.0.0:65536')).toMatch(/is not host:port/);
    expect(parseListenAddress('9902')).toMatch(/is not host:port/);
    expect(parseListenAddress('http://127.0.0.1:9902')).toMatch(/is not host:port/);
  });
});
