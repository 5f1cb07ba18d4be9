import type { IncomingHttpHeaders } from 'node:http';
import type { DenyCode } from '@portcullis/contract';
import type { CompiledSnapshot } from '../compile/compiled.js';
import type { RouteMatch } from '../compile/route-table.js';

/**
 * The parts of a request the decision stages read. Plain data, so the pipeline can be exercised
 * without sockets; an IncomingMessage provides all of it.
 */
export interface RequestHead {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
}

export type JwtVerifyResult = 'valid' | 'invalid' | 'cache-hit';

export interface PipelineEnv {
  /** Milliseconds since the epoch; injectable so token-time tests need no sleeping. */
  readonly now: () => number;
  readonly onJwtVerify?: (result: JwtVerifyResult) => void;
}

export interface WouldDeny {
  readonly policy: string;
  readonly code: DenyCode;
  readonly reason: string;
}

/**
 * What the stages learn about one request, filled in order. Fields stay undefined until the stage
 * that owns them has run; a later stage that finds one missing denies (stage-order bug = deny).
 */
export interface RequestContext {
  readonly head: RequestHead;
  /** Pinned when the request starts: a snapshot swap mid-request never mixes two policies. */
  readonly snapshot: CompiledSnapshot | undefined;
  readonly env: PipelineEnv;
  requestId: string;
  /** Lower-case host without port: what routing matches. */
  host: string | undefined;
  /** The validated Host header value (lower-case, with port if sent): forwarded as X-Forwarded-Host. */
  hostHeader: string | undefined;
  /** Canonical path (see path-normalise.ts). */
  path: string | undefined;
  /** Canonical request target (path and untouched query): exactly what the upstream receives. */
  url: string | undefined;
  match: RouteMatch | undefined;
  /** Upstream base path plus `url`: the request target sent upstream, byte for byte. */
  upstreamTarget: string | undefined;
  /** The verified token's `sub`, for the audit log. */
  subject: string | undefined;
  /** Identity headers from verified claims, to set on the forwarded request. */
  readonly identityHeaders: [name: string, value: string][];
  /** Denials an Audit-mode policy would have made. */
  readonly wouldDeny: WouldDeny[];
}

export function createContext(
  head: RequestHead,
  snapshot: CompiledSnapshot | undefined,
  env: PipelineEnv,
): RequestContext {
  return {
    head,
    snapshot,
    env,
    requestId: '',
    host: undefined,
    hostHeader: undefined,
    path: undefined,
    url: undefined,
    match: undefined,
    upstreamTarget: undefined,
    subject: undefined,
    identityHeaders: [],
    wouldDeny: [],
  };
}
