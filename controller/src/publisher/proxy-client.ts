import { ADMIN_PATHS, ApplyResponseSchema, JWS_MEDIA_TYPE, ProxyStatusSchema } from '@portcullis/contract';
import type { ApplyResponse, ProxyStatus } from '@portcullis/contract';
import type { ReadableStreamDefaultReader } from 'node:stream/web';
import type { z } from 'zod';

/**
 * The controller's side of the admin channel: two calls, each with a timeout, each response read
 * with a size cap and parsed with the contract's schema. Anything else is an error, never a guess.
 */

/** Admin responses are a few hundred bytes; a proxy that sends more is broken or hostile. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export class ProxyProtocolError extends Error {
  override readonly name = 'ProxyProtocolError';
}

export interface CallOptions {
  readonly timeoutMs: number;
  /** Aborts on controller shutdown. */
  readonly signal: AbortSignal;
}

export async function getProxyStatus(adminUrl: string, o: CallOptions): Promise<ProxyStatus> {
  const res = await fetch(join(adminUrl, ADMIN_PATHS.status), {
    method: 'GET',
    headers: { accept: 'application/json' },
    signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]),
    redirect: 'error',
  });
  const body = await readJson(res);
  if (res.status !== 200) throw new ProxyProtocolError(`status endpoint answered HTTP ${res.status}`);
  return parse(ProxyStatusSchema, body, 'status');
}

export type PutResult = { readonly httpStatus: number; readonly response: ApplyResponse };

/** PUTs a signed snapshot. Refusals come back as a parsed ApplyResponse error, not as exceptions. */
export async function putSignedSnapshot(adminUrl: string, jws: string, o: CallOptions): Promise<PutResult> {
  const res = await fetch(join(adminUrl, ADMIN_PATHS.snapshot), {
    method: 'PUT',
    headers: { 'content-type': JWS_MEDIA_TYPE, accept: 'application/json' },
    body: jws,
    signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]),
    redirect: 'error',
  });
  const body = await readJson(res);
  return { httpStatus: res.status, response: parse(ApplyResponseSchema, body, 'apply') };
}

/** Joins without `new URL(path, base)`, which would drop a path prefix on the admin URL. */
function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

async function readJson(res: Response): Promise<unknown> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES) {
    await res.body?.cancel();
    throw new ProxyProtocolError(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body !== null) {
    const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      const value = chunk.value;
      size += value.byteLength;
      if (size > MAX_RESPONSE_BYTES) {
        await reader.cancel();
        throw new ProxyProtocolError(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProxyProtocolError(`HTTP ${res.status} with a body that is not JSON`);
  }
}

function parse<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ProxyProtocolError(
      `${what} response does not match the contract (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})`,
    );
  }
  return r.data;
}

/** Proxy admin URLs: http(s) only, no credentials (the channel authenticates with TLS, not URLs). */
export function checkAdminUrl(url: string): string | undefined {
  const shown = `"${redactUrl(url)}"`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${shown} is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${shown} must be http:// or https://`;
  if (u.username !== '' || u.password !== '') return `${shown} must not carry credentials`;
  if (u.search !== '' || u.hash !== '') return `${shown} must not have a query or fragment`;
  return undefined;
}

/**
 * A refused URL as a message may quote it: the very thing refused (a `user:password@` or an
 * `?access_token=`) is a credential, and these messages go to stderr and the controller's log, so
 * userinfo is masked and the query and fragment are cut. Text only, since the URL may not parse.
 */
function redactUrl(url: string): string {
  const cut = url.search(/[?#]/);
  const base = cut === -1 ? url : `${url.slice(0, cut)}${url[cut] ?? ''}…`;
  return base.replace(/^([^/?#]*\/\/)?[^/?#]*@/, (_m, scheme: string | undefined) => `${scheme ?? ''}…@`);
}
