import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  SnapshotSchema,
  generateSigningKey,
  importTrustedKeys,
  signSnapshot,
  trustedKeysDocument,
  type SigningKey,
  type Snapshot,
} from '@portcullis/contract';
import { startProxy } from '@portcullis/proxy';
import { REPO_ROOT } from './helpers/processes.js';
import { send } from './helpers/http.js';

const GOLDEN_DIR = join(REPO_ROOT, 'controller/test/golden');

/**
 * The controller's golden snapshots are the proxy's fixtures: every one must pass the contract
 * schema and be accepted (signed, pushed over real HTTP, compiled) by a real proxy, so the two
 * sides cannot drift apart without a test failing.
 */
describe('golden compiler snapshots are accepted by the proxy', () => {
  let key: SigningKey;
  let dir: string;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let version = 0;

  beforeAll(async () => {
    key = await generateSigningKey();
    dir = await mkdtemp(join(tmpdir(), 'portcullis-golden-'));
    proxy = await startProxy({
      listen: { host: '127.0.0.1', port: 0 },
      adminListen: { host: '127.0.0.1', port: 0 },
      trustedKeys: await importTrustedKeys(trustedKeysDocument(key)),
      stateDir: join(dir, 'state'),
      logger: pino({ level: 'silent' }),
    });
  });

  afterAll(async () => {
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds golden outputs to check', async () => {
    const files = (await readdir(GOLDEN_DIR)).filter((f) => f.endsWith('.out.json'));
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it('accepts every golden snapshot', async () => {
    const files = (await readdir(GOLDEN_DIR)).filter((f) => f.endsWith('.out.json')).sort();
    for (const file of files) {
      const golden = JSON.parse(await readFile(join(GOLDEN_DIR, file), 'utf8')) as { snapshot: Snapshot };
      expect({ file, valid: SnapshotSchema.safeParse(golden.snapshot).success }).toEqual({
        file,
        valid: true,
      });
      const { jws, hash } = await signSnapshot(key, ++version, golden.snapshot);
      const reply = await send(`${proxy.adminUrl}/v1/snapshot`, {
        method: 'PUT',
        headers: { 'content-type': 'application/jose' },
        body: jws,
      });
      expect({ file, status: reply.status, body: JSON.parse(reply.body) as unknown }).toEqual({
        file,
        status: 200,
        body: { result: 'Applied', version, hash },
      });
    }
  });
});
