import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';
import {
  generateSigningKey,
  importTrustedKeys,
  JWS_MEDIA_TYPE,
  signSnapshot,
  trustedKeysDocument,
} from '@portcullis/contract';
import type { SigningKey, Snapshot, TrustedKeys } from '@portcullis/contract';
import { startProxy } from '../../src/index.js';
import type { RunningProxy } from '../../src/index.js';
import { json, send } from './http-client.js';
import type { Reply } from './http-client.js';
import type { ServerTimeouts } from '../../src/http/hardened-server.js';

export interface Signer {
  readonly key: SigningKey;
  readonly trusted: TrustedKeys;
}

export async function createSigner(): Promise<Signer> {
  const key = await generateSigningKey();
  return { key, trusted: await importTrustedKeys(trustedKeysDocument(key)) };
}

/** Captures pino output line by line, so tests can read what was logged. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger: Logger = pino({ level: 'debug' }, { write: (line: string) => void this.lines.push(line) });

  records(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Access-log records (one per request). */
  requests(): Record<string, unknown>[] {
    return this.records().filter((r) => r.msg === 'request');
  }
}

export interface TestProxy {
  readonly proxy: RunningProxy;
  readonly stateDir: string;
  readonly logs: LogCapture;
  readonly signer: Signer;
  /** Signs `snap` as `version` with the test key and PUTs it to the admin listener. */
  push(snap: Snapshot, version: number): Promise<Reply>;
  putRaw(body: string, contentType?: string): Promise<Reply>;
  close(options?: { keepStateDir?: boolean }): Promise<void>;
}

export async function makeStateDir(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'portcullis-proxy-test-')), 'state');
}

export async function startTestProxy(options: {
  signer: Signer;
  stateDir?: string;
  timeouts?: ServerTimeouts;
}): Promise<TestProxy> {
  const stateDir = options.stateDir ?? (await makeStateDir());
  const logs = new LogCapture();
  const proxy = await startProxy({
    listen: { host: '127.0.0.1', port: 0 },
    adminListen: { host: '127.0.0.1', port: 0 },
    trustedKeys: options.signer.trusted,
    stateDir,
    logger: logs.logger,
    shutdownGraceMs: 1_000,
    ...(options.timeouts !== undefined ? { timeouts: options.timeouts } : {}),
  });
  const putRaw = (body: string, contentType: string = JWS_MEDIA_TYPE): Promise<Reply> =>
    send(proxy.adminUrl, {
      method: 'PUT',
      path: '/v1/snapshot',
      headers: { 'content-type': contentType },
      body,
    });
  return {
    proxy,
    stateDir,
    logs,
    signer: options.signer,
    putRaw,
    async push(snap, version) {
      const { jws } = await signSnapshot(options.signer.key, version, snap);
      return putRaw(jws);
    },
    async close(closeOptions) {
      await proxy.close();
      if (closeOptions?.keepStateDir !== true)
        await rm(join(stateDir, '..'), { recursive: true, force: true });
    },
  };
}

/** Pushes and asserts success, for tests whose subject is not the push itself. */
export async function pushOk(tp: TestProxy, snap: Snapshot, version: number): Promise<void> {
  const reply = await tp.push(snap, version);
  if (reply.status !== 200) throw new Error(`push v${version} failed: ${reply.status} ${reply.text}`);
  const body = json(reply);
  if (body.result !== 'Applied' && body.result !== 'Unchanged')
    throw new Error(`push v${version}: ${reply.text}`);
}
