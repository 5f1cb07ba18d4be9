import type { IncomingHttpHeaders } from 'node:http';

/**
 * Request headers that never reach an upstream. Hop-by-hop headers (RFC 9110 §7.6.1) belong to the
 * client's connection; `Trailer` on a GET crashes http-proxy's Node client (field-notes §1.1);
 * forwarding and identity headers are ours to set, so a client's copy is a spoofing attempt; `Proxy`
 * is httpoxy (CVE-2016-5385); `Expect` was already answered by us.
 */
const STRIPPED = new Set([
  'connection',
  'keep-alive',
  'proxy',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'forwarded',
  'x-real-ip',
  'x-request-id',
]);

const STRIPPED_PREFIXES = ['proxy-', 'x-forwarded-', 'x-portcullis-'] as const;

/** Never removed even when named in Connection: the protocol stage refuses such requests first. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'host']);

export interface UpstreamIdentity {
  readonly requestId: string;
  /** The client's socket address: the only X-Forwarded-For entry (no client-supplied chain). */
  readonly clientAddress: string | undefined;
  readonly proto: 'http' | 'https';
  readonly originalHost: string;
  /** Authority of the upstream URL: the Host the upstream is addressed by. */
  readonly upstreamAuthority: string;
  readonly identityHeaders: readonly (readonly [string, string])[];
  /** Every header any policy forwards a claim in: a client may never set one. */
  readonly claimHeaders: ReadonlySet<string>;
}

/**
 * Rewrites the request headers in place (http-proxy copies `req.headers` into the upstream request).
 * Content-Length and Transfer-Encoding stay exactly as Node parsed them, so body framing upstream
 * is the framing llhttp validated.
 */
export function prepareUpstreamHeaders(headers: IncomingHttpHeaders, identity: UpstreamIdentity): void {
  const named = connectionNamed(headers.connection);
  for (const name of Object.keys(headers)) {
    if (FRAMING.has(name)) continue;
    if (
      STRIPPED.has(name) ||
      named?.has(name) === true ||
      name.includes('_') ||
      identity.claimHeaders.has(name) ||
      STRIPPED_PREFIXES.some((prefix) => name.startsWith(prefix))
    ) {
      delete headers[name];
    }
  }
  headers.host = identity.upstreamAuthority;
  if (identity.clientAddress !== undefined) headers['x-forwarded-for'] = identity.clientAddress;
  headers['x-forwarded-proto'] = identity.proto;
  headers['x-forwarded-host'] = identity.originalHost;
  headers['x-request-id'] = identity.requestId;
  for (const [name, value] of identity.identityHeaders) headers[name] = value;
}

function connectionNamed(value: string | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const names = new Set<string>();
  for (const token of value.toLowerCase().split(',')) {
    const name = token.trim();
    if (name !== '') names.add(name);
  }
  return names;
}
