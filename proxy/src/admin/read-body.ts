import type { IncomingMessage } from 'node:http';

export type BodyRead =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly kind: 'too-large' | 'aborted' };

/**
 * Reads a request body, refusing it as soon as it is known to exceed `limit` bytes: up front from
 * Content-Length, or while streaming (chunked bodies have no length to check).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  // A request can be gone before its body is read (it waited for a slot and the client left, or the
  // request timeout ended it): its 'close' has already fired, so waiting for it would never end.
  if (req.destroyed) return Promise.resolve({ ok: false, kind: 'aborted' });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.resolve({ ok: false, kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyRead): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish({ ok: false, kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish({ ok: true, body: Buffer.concat(chunks, size).toString('utf8') }));
    req.once('error', () => finish({ ok: false, kind: 'aborted' }));
    req.once('close', () => finish({ ok: false, kind: 'aborted' }));
  });
}
