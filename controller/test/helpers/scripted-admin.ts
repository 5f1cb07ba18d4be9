import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A bare HTTP server on 127.0.0.1 whose every answer a test writes itself (hang, fail slowly,
 * answer late), counting requests. For publisher behaviour the FakeProxy cannot stage.
 */
export class ScriptedAdmin {
  requests = 0;
  readonly #server: Server;
  #url = '';

  private constructor(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
    this.#server = createServer((req, res) => {
      this.requests += 1;
      handler(req, res, this.requests);
    });
  }

  static async start(
    handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
  ): Promise<ScriptedAdmin> {
    const s = new ScriptedAdmin(handler);
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    s.#url = `http://127.0.0.1:${(s.#server.address() as AddressInfo).port}`;
    return s;
  }

  get url(): string {
    return this.#url;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Passes one request on to another server (a FakeProxy) and its answer back. */
export async function forward(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers: Record<string, string> = {};
  for (const h of ['content-type', 'accept']) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const answer = await fetch(`${target}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
  });
  const body = await answer.text();
  res.writeHead(answer.status, { 'content-type': 'application/json' });
  res.end(body);
}
