import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Hop-by-hop response headers (RFC 9110 §7.6.1): they describe the upstream connection, not ours.
 * http-proxy passes them through, e.g. the upstream's `Keep-Alive` (field-notes §P). Node sets our
 * own Connection/Keep-Alive for the client connection. Transfer-Encoding stays: Node re-frames the
 * body it relays according to it.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'upgrade']);

export function clientResponseHeaders(upstream: IncomingHttpHeaders, requestId: string): OutgoingHttpHeaders {
  const named = new Set<string>();
  const connection = upstream.connection;
  if (connection !== undefined) {
    for (const token of connection.toLowerCase().split(',')) named.add(token.trim());
  }
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name.startsWith('proxy-')) continue;
    if (named.has(name) && name !== 'content-length' && name !== 'transfer-encoding') continue;
    out[name] = value;
  }
  out['x-request-id'] = requestId;
  return out;
}

/**
 * True when the upstream framed its body by closing the connection: a Transfer-Encoding whose last
 * coding is not `chunked` (RFC 9112 §6.3). Node's client reads such a body until the upstream
 * closes; Node's server writes it unframed, so our response must end with the connection too.
 */
export function isCloseDelimited(upstream: IncomingHttpHeaders): boolean {
  const te = upstream['transfer-encoding'];
  if (te === undefined) return false;
  const codings = te.toLowerCase().split(',');
  return codings[codings.length - 1]?.trim() !== 'chunked';
}
