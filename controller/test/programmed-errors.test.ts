import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from '@jest/globals';
import { generateSigningKey } from '@portcullis/contract';
import { startController } from '../src/runtime/controller.js';
import type { RunningController } from '../src/runtime/controller.js';
import { FakeProxy } from './helpers/fake-proxy.js';
import { MemoryStream, memoryLogger } from './helpers/streams.js';
import { waitFor } from './helpers/wait.js';

const ROUTES = `apiVersion: portcullis.io/v1alpha1
kind: RouteClassification
metadata: {name: api, namespace: demo}
spec:
  hosts: [localhost]
  upstream: {url: http://127.0.0.1:9000}
  routes:
    - {name: health, methods: [GET], path: /health, tier: public}
`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

it('says in Programmed why a proxy does not run the generation (a proxy that trusts another key)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-programmed-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'routes.yaml'), ROUTES);
  const proxy = await FakeProxy.start(await generateSigningKey());
  cleanups.push(() => proxy.close());
  const out = new MemoryStream();
  const signingKey = await generateSigningKey();
  const controller: RunningController = await startController({
    folder: dir,
    proxies: [proxy.url],
    signingKey,
    logger: memoryLogger().logger,
    statusOut: out,
    reconcileIntervalMs: 50,
    debounceMs: 20,
  });
  cleanups.push(() => controller.close());

  const programmed = () =>
    controller.current()?.statuses[0]?.status.conditions.find((c) => c.type === 'Programmed');
  await waitFor(() => /SignatureInvalid/.test(programmed()?.message ?? ''), 'the refusal in status');
  expect(programmed()).toMatchObject({ status: 'False', reason: 'Pending' });
  expect(programmed()?.message).toMatch(
    new RegExp(`^0/1 proxies run a snapshot carrying generation 1; ${proxy.url}: .*SignatureInvalid`),
  );
  // It names the key id the proxy was offered, to compare with what the proxy trusts.
  expect(programmed()?.message).toContain(`unknown signing key id ${JSON.stringify(signingKey.kid)}`);
  // The table shows it too, where the user is looking.
  expect(out.text).toMatch(/Programmed=0\/1 {2}0\/1 proxies run .*SignatureInvalid/);
});
