import { upstreamUrlProblem } from '@portcullis/contract';
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
  const problem = upstreamUrlProblem(upstream.url);
  if (problem !== undefined) return { ok: false, message: `${where}.url: ${problem}` };
  const url = new URL(upstream.url);
  // upstreamUrlProblem has checked the scheme; TypeScript cannot see that through the URL object.
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(url.port);
  return {
    ok: true,
    upstream: {
      protocol,
      hostname,
      port,
      authority: url.host,
      basePath: url.pathname.replace(/\/+$/, ''),
      timeoutMs: upstream.timeoutMs,
    },
  };
}
