import type { SignedPayload } from '@portcullis/contract';
import { TokenCache, DEFAULT_TOKEN_CACHE_SIZE } from '../auth/token-cache.js';
import type { CompiledPolicy, CompiledRoute, CompiledSnapshot } from './compiled.js';
import { compilePolicy } from './jwt-providers.js';
import { RouteTable } from './route-table.js';
import type { RouteEntry } from './route-table.js';
import { compileUpstream } from './upstream.js';

export type CompileResult =
  | { readonly ok: true; readonly compiled: CompiledSnapshot }
  | { readonly ok: false; readonly message: string };

export interface CompileOptions {
  readonly tokenCacheSize?: number;
}

/**
 * Turns a verified snapshot into the proxy's runtime form. It never mutates the input and never
 * touches the live proxy: on failure the caller keeps the snapshot in force. Messages start with
 * the field path, like the controller's status messages.
 */
export async function compileSnapshot(
  payload: SignedPayload,
  options: CompileOptions = {},
): Promise<CompileResult> {
  const { snapshot } = payload;
  const policies = new Map<string, CompiledPolicy>();
  const claimHeaders = new Set<string>();
  for (const [i, policy] of snapshot.policies.entries()) {
    const compiled = await compilePolicy(policy, i);
    if (!compiled.ok) return compiled;
    policies.set(policy.id, compiled.policy);
    for (const provider of policy.authentication.jwt) {
      for (const forward of provider.forwardClaims) claimHeaders.add(forward.header.toLowerCase());
    }
  }

  const entries: RouteEntry[] = [];
  for (const [i, route] of snapshot.routes.entries()) {
    const upstream = compileUpstream(route.upstream, `routes[${i}].upstream`);
    if (!upstream.ok) return upstream;
    const attached: CompiledPolicy[] = [];
    for (const [j, id] of route.policies.entries()) {
      const policy = policies.get(id);
      if (policy === undefined)
        return { ok: false, message: `routes[${i}].policies[${j}]: unknown policy "${id}"` };
      attached.push(policy);
    }
    const compiled: CompiledRoute = {
      id: route.id,
      policies: attached,
      policyIds: [...route.policies],
      upstream: upstream.upstream,
    };
    entries.push({ route: compiled, hosts: route.hosts, methods: route.methods, path: route.path });
  }
  const table = RouteTable.build(entries);
  if (!table.ok) return table;

  return {
    ok: true,
    compiled: {
      version: payload.version,
      hash: payload.hash,
      source: payload.snapshot,
      routes: table.table,
      claimHeaders,
      tokenCache: new TokenCache(options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE),
    },
  };
}
