import type { JwtProvider, Policy, PublicJwk, Route, Snapshot } from '@portcullis/contract';
import { SNAPSHOT_SCHEMA_VERSION } from '@portcullis/contract';

const SOURCE = { kind: 'RouteClassification', namespace: 'default', name: 'test', generation: 1 } as const;
const POLICY_SOURCE = { kind: 'GatewayPolicy', namespace: 'default', name: 'test', generation: 1 } as const;

export interface RouteSpec {
  readonly id: string;
  readonly path: string;
  readonly hosts?: Route['hosts'];
  readonly methods?: Route['methods'];
  readonly policies?: string[];
  readonly upstream: string;
  readonly timeoutMs?: number;
}

export function route(spec: RouteSpec): Route {
  const policies = spec.policies ?? [];
  return {
    id: spec.id,
    source: SOURCE,
    hosts: spec.hosts ?? ['api.test'],
    methods: spec.methods ?? ['GET'],
    path: spec.path,
    tier: policies.length === 0 ? 'public' : 'restricted',
    categories: [],
    upstream: { url: spec.upstream, timeoutMs: spec.timeoutMs ?? 5_000 },
    policies,
  };
}

export interface ProviderSpec {
  readonly name?: string;
  readonly issuer: string;
  readonly audiences?: string[];
  readonly algorithms: JwtProvider['algorithms'];
  readonly keys: PublicJwk[];
  readonly clockSkewSeconds?: number;
  readonly forwardClaims?: JwtProvider['forwardClaims'];
}

export function jwtPolicy(
  id: string,
  providers: readonly ProviderSpec[],
  mode: Policy['enforcementMode'] = 'Enforce',
): Policy {
  return {
    id,
    source: POLICY_SOURCE,
    enforcementMode: mode,
    authentication: {
      jwt: providers.map((p, i) => ({
        name: p.name ?? `idp-${i}`,
        issuer: p.issuer,
        audiences: p.audiences ?? ['api'],
        algorithms: p.algorithms,
        clockSkewSeconds: p.clockSkewSeconds ?? 0,
        keys: p.keys,
        forwardClaims: p.forwardClaims ?? [{ claim: 'sub', header: 'x-portcullis-subject' }],
      })),
    },
  };
}

export function snapshot(routes: readonly Route[], policies: readonly Policy[] = []): Snapshot {
  const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    routes: [...routes].sort(byId),
    policies: [...policies].sort(byId),
  };
}
