import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentHash } from '@portcullis/contract';
import { LAST_KNOWN_GOOD_FILE } from '../src/index.js';
import { json, send } from './helpers/http-client.js';
import { createSigner, makeStateDir, startTestProxy } from './helpers/proxy.js';
import type { Signer, TestProxy } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';
import { startUpstream } from './helpers/upstream.js';
import type { Upstream } from './helpers/upstream.js';

let signer: Signer;
let upstream: Upstream;
const open: TestProxy[] = [];

async function start(stateDir?: string, s: Signer = signer): Promise<TestProxy> {
  const tp = await startTestProxy({ signer: s, ...(stateDir === undefined ? {} : { stateDir }) });
  open.push(tp);
  return tp;
}

async function stop(tp: TestProxy): Promise<void> {
  open.splice(open.indexOf(tp), 1);
  await tp.close({ keepStateDir: true });
}

beforeAll(async () => {
  signer = await createSigner();
  upstream = await startUpstream();
});

afterAll(async () => {
  for (const tp of open) await tp.close();
  await upstream.close();
});

const snap = () => snapshot([route({ id: 'default/test/public', path: '/public', upstream: upstream.url })]);

describe('boot', () => {
  it('with no snapshot answers 503 NoSnapshot to every request and is not ready', async () => {
    const tp = await start();
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/public'],
      ['POST', '/anything?x=1'],
    ] as const) {
      const reply = await send(tp.proxy.trafficUrl, { method, path, headers: { host: 'api.test' } });
      expect(reply.status).toBe(503);
      const body = json(reply);
      expect(body).toEqual({ code: 'NoSnapshot', requestId: reply.headers['x-request-id'] });
      expect(reply.headers['cache-control']).toBe('no-store');
    }
    expect((await send(tp.proxy.adminUrl, { path: '/readyz' })).status).toBe(503);
    expect((await send(tp.proxy.adminUrl, { path: '/healthz' })).status).toBe(200);
    expect(tp.proxy.status()).toEqual({
      version: null,
      hash: null,
      ready: false,
      appliedAt: null,
      origin: null,
    });
    await stop(tp);
  });

  it('a restarted proxy serves its persisted last-known-good snapshot without any push', async () => {
    const first = await start();
    const stateDir = first.stateDir;
    expect((await first.push(snap(), 7)).status).toBe(200);
    await stop(first);

    const second = await start(stateDir);
    expect(second.proxy.status()).toMatchObject({
      version: 7,
      hash: contentHash(snap()),
      ready: true,
      origin: 'last-known-good',
    });
    expect((await send(second.proxy.adminUrl, { path: '/readyz' })).status).toBe(200);
    const reply = await send(second.proxy.trafficUrl, { path: '/public', headers: { host: 'api.test' } });
    expect(reply.status).toBe(200);
    // Versions keep going up from what was loaded: a replay of an older one is still refused.
    expect((await second.push(snap(), 6)).status).toBe(409);
    await stop(second);
  });

  it('refuses a tampered last-known-good file at boot: 503 and not ready', async () => {
    const first = await start();
    const stateDir = first.stateDir;
    expect((await first.push(snap(), 1)).status).toBe(200);
    await stop(first);

    const file = join(stateDir, LAST_KNOWN_GOOD_FILE);
    const [h, p, s] = (await readFile(file, 'utf8')).split('.');
    const payload = Buffer.from(p ?? '', 'base64url')
      .toString('utf8')
      .replace('/public', '/admin!');
    await writeFile(file, `${h}.${Buffer.from(payload).toString('base64url')}.${s}`);

    const second = await start(stateDir);
    expect(second.proxy.status().ready).toBe(false);
    expect((await send(second.proxy.adminUrl, { path: '/readyz' })).status).toBe(503);
    const reply = await send(second.proxy.trafficUrl, { path: '/admin!', headers: { host: 'api.test' } });
    expect(reply.status).toBe(503);
    expect(json(reply).code).toBe('NoSnapshot');
    const refusal = second.logs.records().find((r) => r.msg === 'last-known-good snapshot refused');
    expect(refusal?.reason).toMatch(/SignatureInvalid/);
    await stop(second);
  });

  it('refuses a last-known-good snapshot signed by a key that is no longer trusted', async () => {
    const first = await start();
    expect((await first.push(snap(), 1)).status).toBe(200);
    await stop(first);
    const rotated = await createSigner();
    const second = await start(first.stateDir, rotated);
    expect(second.proxy.status().ready).toBe(false);
    await stop(second);
  });

  it('starts with none when the state file is garbage, and accepts a push afterwards', async () => {
    const stateDir = await makeStateDir();
    const first = await start(stateDir);
    await stop(first);
    await writeFile(join(stateDir, LAST_KNOWN_GOOD_FILE), 'not a jws');
    const second = await start(stateDir);
    expect(second.proxy.status().ready).toBe(false);
    expect((await second.push(snap(), 1)).status).toBe(200);
    expect(second.proxy.status()).toMatchObject({ ready: true, origin: 'push', version: 1 });
  });
});
