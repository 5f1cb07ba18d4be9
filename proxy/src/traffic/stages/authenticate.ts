import { hash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { extractBearer } from '../../auth/bearer.js';
import { inspectToken } from '../../auth/jwt-verify.js';
import type { TokenInspection } from '../../auth/jwt-verify.js';
import { checkPolicy } from '../../auth/policy-check.js';
import type { CompiledPolicy, CompiledProvider, CompiledSnapshot } from '../../compile/compiled.js';
import type { RequestContext } from '../context.js';
import { CONTINUE, deny } from '../decision.js';
import type { Decision } from '../decision.js';
import type { Stage } from './stage.js';

/** Forwarded identity values: printable ASCII only, bounded, so no claim can break a header. */
const HEADER_SAFE = /^[\x20-\x7e]{0,1024}$/;

/**
 * Conjunction: the request must satisfy every policy attached to its route. An Enforce policy that
 * fails denies; an Audit policy that fails is recorded as `wouldDeny` and the request goes on.
 * The detailed reason is for the log; the client only sees the code.
 */
export const authenticateStage: Stage = {
  name: 'authenticate',
  run(ctx) {
    const { match, snapshot } = ctx;
    if (match === undefined || snapshot === undefined)
      return deny('InternalError', 'authenticate before route match');
    const policies = match.route.policies;
    if (!policies.some((p) => p.requiresJwt)) return CONTINUE;
    return authenticate(ctx, policies, snapshot);
  },
};

async function authenticate(
  ctx: RequestContext,
  policies: readonly CompiledPolicy[],
  snapshot: CompiledSnapshot,
): Promise<Decision> {
  const bearer = extractBearer(ctx.head.headers, ctx.head.rawHeaders);
  const token = bearer.kind === 'token' ? bearer.token : '';
  const digest = bearer.kind === 'token' ? hash('sha256', token, 'base64') : undefined;
  let inspection: TokenInspection | undefined;
  const inspect = (): TokenInspection => (inspection ??= inspectToken(token));
  const nowMs = ctx.env.now();
  for (const policy of policies) {
    const outcome = await checkPolicy({
      policy,
      bearer,
      digest,
      inspect,
      cache: snapshot.tokenCache,
      nowMs,
      onVerify: ctx.env.onJwtVerify,
    });
    if (outcome.ok) {
      if (outcome.claims !== undefined && outcome.provider !== undefined) {
        recordIdentity(ctx, outcome.claims, outcome.provider);
      }
      continue;
    }
    if (policy.mode === 'Audit') {
      ctx.wouldDeny.push({ policy: policy.id, code: outcome.code, reason: outcome.reason });
      continue;
    }
    return deny(outcome.code, `policy ${policy.id}: ${outcome.reason}`);
  }
  return CONTINUE;
}

function recordIdentity(ctx: RequestContext, claims: Readonly<JWTPayload>, provider: CompiledProvider): void {
  if (ctx.subject === undefined && typeof claims.sub === 'string') ctx.subject = claims.sub;
  for (const { claim, header } of provider.forwardClaims) {
    if (ctx.identityHeaders.some(([name]) => name === header)) continue;
    const value: unknown = claims[claim];
    // JSON.parse reads 1e400 as Infinity: a number that no issuer meant is not forwarded.
    const forwardable =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!forwardable) continue;
    const text = String(value);
    if (HEADER_SAFE.test(text)) ctx.identityHeaders.push([header, text]);
  }
}
