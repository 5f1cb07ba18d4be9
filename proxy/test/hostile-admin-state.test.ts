import { execFileSync } from 'node:child_process';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readFile,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  MAX_SIGNED_SNAPSHOT_BYTES,
  contentHash,
  signSnapshot,
  verifySignedSnapshot,
} from '@portcullis/contract';
import { LAST_KNOWN_GOOD_FILE } from '../src/index.js';
import { send } from './helpers/http-client.js';
import { createSigner, makeStateDir, startTestProxy } from './helpers/proxy.js';
import type { Signer, TestProxy } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';

/**
 * The persisted last-known-good snapshot played by a local attacker who can reach the state
 * directory. A signature cannot tell an old snapshot from a new one, so the file is loaded only if
 * the proxy's own user could have written it; anything else boots with no snapshot (503, not ready)
 * and is named in the log.
 */

let signer: Signer;
const open: TestProxy[] = [];
/** State directories made here; each lives in its own temporary parent, removed at the end. */
const dirs: string[] = [];
const snap = (path: string) =>
  snapshot([route({ id: 'default/test/public', path, upstream: 'http://127.0.0.1:9' })]);

beforeAll(async () => {
  signer = await createSigner();
});

afterAll(async () => {
  for (const tp of open) await tp.close({ keepStateDir: true });
  for (const dir of dirs) await rm(join(dir, '..'), { recursive: true, force: true });
});

async function newStateDir(): Promise<string> {
  const dir = await makeStateDir();
  dirs.push(dir);
  return dir;
}

async function start(stateDir: string): Promise<TestProxy> {
  const tp = await startTestProxy({ signer, stateDir });
  open.push(tp);
  return tp;
}

async function stop(tp: TestProxy): Promise<void> {
  open.splice(open.indexOf(tp), 1);
  await tp.close({ keepStateDir: true });
}

/** A state directory holding a valid v3 written by a proxy, and the path of its file. */
async function stateWithV3(): Promise<{ dir: string; file: string; v3: string }> {
  const dir = await newStateDir();
  const tp = await start(dir);
  expect((await tp.push(snap('/v3'), 3)).status).toBe(200);
  await stop(tp);
  const file = join(dir, LAST_KNOWN_GOOD_FILE);
  return { dir, file, v3: await readFile(file, 'utf8') };
}

/** Boots on `dir` and expects the file to be refused for `reason`: no snapshot, not ready. */
async function expectRefusedAtBoot(dir: string, reason: RegExp): Promise<TestProxy> {
  const tp = await start(dir);
  expect(tp.proxy.status()).toMatchObject({ ready: false, version: null });
  expect((await send(tp.proxy.adminUrl, { path: '/readyz' })).status).toBe(503);
  const refusal = tp.logs.records().find((r) => r.msg === 'last-known-good snapshot refused');
  expect(String(refusal?.reason)).toMatch(reason);
  return tp;
}

describe('hostile state: what is refused at boot', () => {
  it('a symlink in place of the file (not followed); the next push replaces the link, not its target', async () => {
    const { dir, file, v3 } = await stateWithV3();
    const elsewhere = join(dir, '..', 'elsewhere.jws');
    await writeFile(elsewhere, v3, { mode: 0o600 });
    await rm(file);
    await symlink(elsewhere, file);
    const tp = await expectRefusedAtBoot(dir, /symbolic link/);
    expect((await tp.push(snap('/v4'), 4)).status).toBe(200);
    expect((await lstat(file)).isFile()).toBe(true);
    expect(await readFile(elsewhere, 'utf8')).toBe(v3);
    await stop(tp);
  });

  it('a FIFO in place of the file, without hanging the boot', async () => {
    const { dir, file } = await stateWithV3();
    await rm(file);
    execFileSync('mkfifo', ['-m', '600', file]);
    await stop(await expectRefusedAtBoot(dir, /not a regular file/));
  });

  it('a truncated file', async () => {
    const { dir, file, v3 } = await stateWithV3();
    await writeFile(file, v3.slice(0, v3.length - 40));
    await stop(await expectRefusedAtBoot(dir, /SignatureInvalid/));
  });

  it('a file larger than a snapshot can be, without reading it', async () => {
    const { dir, file } = await stateWithV3();
    await truncate(file, MAX_SIGNED_SNAPSHOT_BYTES + 1);
    await stop(await expectRefusedAtBoot(dir, /too large/));
  });

  it('a file that group or others can write, even when it holds a valid snapshot', async () => {
    const { dir, file } = await stateWithV3();
    await chmod(file, 0o666);
    await stop(await expectRefusedAtBoot(dir, /writable by group or others/));
  });

  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot(
    'a file owned by another user, even when it holds a valid snapshot (needs root to chown)',
    async () => {
      const { dir, file } = await stateWithV3();
      await chown(file, 65534, 65534);
      await stop(await expectRefusedAtBoot(dir, /owned by uid 65534/));
    },
  );

  it('a directory in place of the file; a push is still applied and the failed write is counted', async () => {
    const { dir, file } = await stateWithV3();
    await rm(file);
    await mkdir(file);
    const tp = await expectRefusedAtBoot(dir, /not a regular file/);
    const reply = await tp.push(snap('/v4'), 4);
    expect(reply.status).toBe(200);
    expect(tp.proxy.status()).toMatchObject({ version: 4, ready: true });
    const metrics = await send(tp.proxy.adminUrl, { path: '/metrics' });
    expect(metrics.text).toMatch(/^portcullis_snapshot_persist_failures_total 1$/m);
    expect((await stat(file)).isDirectory()).toBe(true);
    await stop(tp);
  });
});

describe('hostile state: the directory', () => {
  it('tightens a world-writable state directory the proxy owns to 0700 and says so', async () => {
    const { dir } = await stateWithV3();
    await chmod(dir, 0o777);
    const tp = await start(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const warning = tp.logs.records().find((r) => /state directory was mode 777/.test(String(r.msg)));
    expect(warning?.level).toBe(40);
    // The file itself was fine, so it still loads.
    expect(tp.proxy.status()).toMatchObject({ version: 3, origin: 'last-known-good' });
    await stop(tp);
  });
});

describe('hostile state: known limits and races', () => {
  it('loads an older snapshot written back by the proxy user itself: rollback through the disk is not detectable', async () => {
    // Documented limit (docs/security.md): anyone who can write the file as the proxy's user can
    // roll it back to any older snapshot a still-trusted key signed, until the controller pushes.
    const { dir, file, v3 } = await stateWithV3();
    const tp = await start(dir);
    expect((await tp.push(snap('/v9'), 9)).status).toBe(200);
    await stop(tp);
    await writeFile(file, v3);
    const again = await start(dir);
    expect(again.proxy.status()).toMatchObject({ version: 3, origin: 'last-known-good' });
    // Pushing again moves it forward; this is what the controller's reconcile does.
    expect((await again.push(snap('/v10'), 10)).status).toBe(200);
    await stop(again);
  });

  it('racing pushes: the newest wins, and the file on disk is the snapshot in memory', async () => {
    const dir = await newStateDir();
    const tp = await start(dir);
    const versions = [41, 45, 43, 50, 42, 49, 44, 48, 46, 47, 40, 50];
    const replies = await Promise.all(versions.map((v) => tp.push(snap(`/c${v}`), v)));
    for (const r of replies) expect([200, 409]).toContain(r.status);
    const inMemory = tp.proxy.status();
    expect(inMemory).toMatchObject({ version: 50, hash: contentHash(snap('/c50')) });
    const onDisk = await verifySignedSnapshot(
      (await readFile(join(dir, LAST_KNOWN_GOOD_FILE), 'utf8')).trim(),
      signer.trusted,
    );
    expect(onDisk.ok && { version: onDisk.payload.version, hash: onDisk.payload.hash }).toEqual({
      version: inMemory.version,
      hash: inMemory.hash,
    });
    await stop(tp);
    const restarted = await start(dir);
    expect(restarted.proxy.status()).toMatchObject({ version: 50, hash: inMemory.hash });
    await stop(restarted);
  });

  it('a replay of the persisted file over the network is Unchanged, and an older one is refused', async () => {
    const { dir, v3 } = await stateWithV3();
    const tp = await start(dir);
    const reply = await tp.putRaw(v3);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ result: 'Unchanged', version: 3 });
    expect((await tp.push(snap('/v5'), 5)).status).toBe(200);
    expect((await tp.putRaw(v3)).status).toBe(409);
    const { jws: v2 } = await signSnapshot(signer.key, 2, snap('/v2'));
    expect((await tp.putRaw(v2)).status).toBe(409);
    await stop(tp);
  });
});
