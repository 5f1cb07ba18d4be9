import type { JWTVerifyGetKey } from 'jose';
import type { JwtAlgorithm, Snapshot } from '@portcullis/contract';
import type { RouteTable } from './route-table.js';
import type { TokenCache } from '../auth/token-cache.js';

/**
 * The proxy's runtime form of a verified snapshot. Everything a request needs is prepared here once,
 * when the snapshot is applied, so the request path only does lookups. The whole object is replaced
 * by one reference assignment, and a request keeps the one it started with.
 */
export interface CompiledSnapshot {
  readonly version: number;
  readonly hash: string;
  /** The verified snapshot this was compiled from, for the admin's printable view (GET /v1/snapshot). */
  readonly source: Snapshot;
  readonly routes: RouteTable;
  /** Every header name any provider forwards a claim in: always stripped from client requests. */
  readonly claimHeaders: ReadonlySet<string>;
  /** Verified-token cache; it belongs to the snapshot so rotated keys start with an empty cache. */
  readonly tokenCache: TokenCache;
}

export interface CompiledRoute {
  readonly id: string;
  readonly policies: readonly CompiledPolicy[];
  readonly policyIds: readonly string[];
  readonly upstream: CompiledUpstream;
}

export interface CompiledUpstream {
  readonly protocol: 'http:' | 'https:';
  /** Host name or IP for the socket (IPv6 without brackets). */
  readonly hostname: string;
  readonly port: number;
  /** `host[:port]` as the upstream URL spells it (brackets for IPv6, default port omitted): the Host sent. */
  readonly authority: string;
  /** Path prefix from the upstream URL, without a trailing "/" ("" when the URL has none). */
  readonly basePath: string;
  readonly timeoutMs: number;
}

export interface CompiledPolicy {
  readonly id: string;
  readonly mode: 'Enforce' | 'Audit';
  /** True when the policy has at least one JWT provider, i.e. it requires a bearer token. */
  readonly requiresJwt: boolean;
  readonly providersByIssuer: ReadonlyMap<string, readonly CompiledProvider[]>;
  /** Every provider, in declaration order: where a verified token is looked up before decoding it. */
  readonly providers: readonly CompiledProvider[];
}

export interface CompiledProvider {
  /** `<policy id>/<provider name>`: unique in a snapshot; part of the token-cache key. */
  readonly id: string;
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly algorithms: readonly JwtAlgorithm[];
  readonly clockSkewSeconds: number;
  readonly keySet: JWTVerifyGetKey;
  readonly forwardClaims: readonly { readonly claim: string; readonly header: string }[];
}
