import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ADMIN_PATHS,
  ADMIN_REJECT_CODES,
  JWS_MEDIA_TYPE,
  importTrustedKeys,
  trustedKeysDocument,
  verifySignedSnapshot,
} from '@portcullis/contract';
import type { AdminRejectCode, SigningKey, Snapshot } from '@portcullis/contract';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  /** For PUTs that verified: the signed version and hash. */
  readonly version?: number;
  readonly hash?: string;
}

/**
 * A tiny stand-in for the proxy's admin listener: verifies signatures and versions as the real one
 * must, records every request, and can be told to fail or to forget its state (a restart).
 */
export class FakeProxy {
  readonly requests: RecordedRequest[] = [];
  version: number | null = null;
  hash: string | null = null;
  snapshot: Snapshot | undefined;
  /** Answers the next N requests (any path) with HTTP 500. */
  failNext = 0;
  /** Runs when a PUT arrives, before it is judged: lets a test change state between status and push. */
  beforePut: (() => void) | undefined;
  readonly #server: Server;
  #url = '';

  private constructor(private readonly trusted: Awaited<ReturnType<typeof importTrustedKeys>>) {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(key: SigningKey): Promise<FakeProxy> {
    const proxy = new FakeProxy(await importTrustedKeys(trustedKeysDocument(key)));
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.#server.address() as AddressInfo;
    proxy.#url = `http://127.0.0.1:${port}`;
    return proxy;
  }

  get url(): string {
    return this.#url;
  }

  /** Forgets everything, as a proxy restarted without a persisted snapshot would. */
  restartEmpty(): void {
    this.version = null;
    this.hash = null;
    this.snapshot = undefined;
  }

  puts(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'PUT');
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '';
    const record = { method: req.method ?? '', path, contentType: req.headers['content-type'] };
    if (this.failNext > 0) {
      this.failNext -= 1;
      this.requests.push(record);
      return send(res, 500, { oops: true });
    }
    if (req.method === 'GET' && path === ADMIN_PATHS.status) {
      this.requests.push(record);
      return send(res, 200, {
        version: this.version,
        hash: this.hash,
        ready: this.hash !== null,
        appliedAt: null,
        origin: this.hash === null ? null : 'push',
      });
    }
    if (req.method === 'PUT' && path === ADMIN_PATHS.snapshot) {
      this.beforePut?.();
      if (record.contentType !== JWS_MEDIA_TYPE) {
        this.requests.push(record);
        return this.#reject(res, 'UnsupportedMediaType', 'expected a JWS');
      }
      const verified = await verifySignedSnapshot(body, this.trusted);
      if (!verified.ok) {
        this.requests.push(record);
        return this.#reject(res, verified.code, verified.message);
      }
      const { version, hash, snapshot } = verified.payload;
      this.requests.push({ ...record, version, hash });
      if (this.version !== null && version <= this.version) {
        if (version === this.version && hash === this.hash)
          return send(res, 200, { result: 'Unchanged', version, hash });
        return this.#reject(res, 'VersionNotNewer', `version ${version} is not newer than ${this.version}`);
      }
      this.version = version;
      this.hash = hash;
      this.snapshot = snapshot;
      return send(res, 200, { result: 'Applied', version, hash });
    }
    this.requests.push(record);
    return this.#reject(res, 'NotFound', 'no such endpoint');
  }

  #reject(res: ServerResponse, code: AdminRejectCode, message: string): void {
    send(res, ADMIN_REJECT_CODES[code].status, {
      error: { code, message },
      current: { version: this.version, hash: this.hash },
    });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
