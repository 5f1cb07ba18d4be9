import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach } from '@jest/globals';
import { generateSigningKey } from '@portcullis/contract';
import type { SigningKey } from '@portcullis/contract';
import { startController } from '../../src/runtime/controller.js';
import type { ControllerOptions, RunningController } from '../../src/runtime/controller.js';
import { FakeProxy } from './fake-proxy.js';
import { MemoryStream, memoryLogger } from './streams.js';

/** What each test of the enclosing describe gets afresh: a folder, fake proxies and a status stream. */
export interface LocalController {
  readonly key: SigningKey;
  /** The folder the controller watches, empty at the start of each test. */
  readonly dir: string;
  readonly proxies: readonly FakeProxy[];
  /** Where the controller prints its status table and load errors. */
  readonly out: MemoryStream;
  /** Starts the controller on `dir`, pushing to `proxies`; it is closed after the test. */
  start(extra?: Pick<ControllerOptions, 'extraResources'>): Promise<RunningController>;
}

/**
 * Registers, in the enclosing describe, the set-up and tear-down of a local-mode controller test:
 * one signing key, then per test a temporary folder (named from `prefix`) and `proxyCount` fake
 * proxies, all removed afterwards along with the controller.
 */
export function localController(prefix: string, proxyCount: number): LocalController {
  let key: SigningKey | undefined;
  let dir: string | undefined;
  let proxies: FakeProxy[] = [];
  let out: MemoryStream | undefined;
  let controller: RunningController | undefined;
  const defined = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only there inside a test`);
    return value;
  };

  beforeAll(async () => {
    key = await generateSigningKey();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), prefix));
    const signingKey = defined(key, 'the key');
    proxies = [];
    for (let i = 0; i < proxyCount; i++) proxies.push(await FakeProxy.start(signingKey));
    out = new MemoryStream();
  });
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    for (const p of proxies) await p.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  return {
    get key() {
      return defined(key, 'the key');
    },
    get dir() {
      return defined(dir, 'the folder');
    },
    get proxies() {
      return proxies;
    },
    get out() {
      return defined(out, 'the status stream');
    },
    async start(extra = {}) {
      controller = await startController({
        folder: defined(dir, 'the folder'),
        proxies: proxies.map((p) => p.url),
        signingKey: defined(key, 'the key'),
        ...extra,
        logger: memoryLogger().logger,
        statusOut: out,
        reconcileIntervalMs: 50,
        debounceMs: 20,
      });
      return controller;
    },
  };
}
