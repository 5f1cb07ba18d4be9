import type { DeepReadonly, Route } from '@portcullis/contract';
import type { CompiledUpstream } from './compiled.js';

export type UpstreamCompile =
  | { readonly ok: true; readonly upstream: CompiledUpstream }
  | { readonly ok: false; readonly message: string };

/**
 * Parses the upstream URL once. Credentials, a query or a fragment in it would be silently dropped
 * or mangled by the forwarder, so they fail the snapshot instead. A path in the URL becomes a prefix
 * of every forwarded path.
 */
export function compileUpstream(upstream: DeepReadonly<Route['upstream']>, where: string): UpstreamCompile {
  let url: URL;
  try {
    url = new URL(upstream.url);
  } catch {
    return { ok: false, message: `${where}.url: not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: `${where}.url: only http and https upstreams are supported` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, message: `${where}.url: credentials in the URL are not supported` };
  }
  if (url.search !== '' || url.hash !== '') {
    return { ok: false, message: `${where}.url: a query or fragment is not supported` };
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return {
    ok: true,
    upstream: {
      protocol: url.protocol,
      hostname,
      port,
      authority: url.host,
      basePath: url.pathname.replace(/\/+$/, ''),
      timeoutMs: upstream.timeoutMs,
    },
  };
}
