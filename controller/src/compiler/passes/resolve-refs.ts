import type { JwtProvider, PublicJwk } from '@portcullis/contract';
import { formatPath } from '../../resources/field-path.js';
import type { FieldPath } from '../../resources/field-path.js';
import type { JwtProviderSpec } from '../../validation/gateway-policy.js';
import { publicKeysFrom } from '../jwks.js';
import type { CompileState, Pass, RefProblem } from '../state.js';
import type { TargetRefModel } from '../types.js';

/**
 * Resolves what each valid policy references (JWKS inline or in a Secret) into the keys the
 * snapshot carries. Runs before keep-last-accepted, because an unresolvable reference is one of
 * the two things (with Invalid) that make the last accepted version stay in force.
 */
export const resolveReferences: Pass = (state) => {
  for (const gp of state.policies) {
    const spec = gp.spec;
    if (spec === undefined) continue;
    const providers: JwtProvider[] = [];
    spec.authentication.jwt.forEach((p, i) => {
      const keys = resolveKeys(p, ['spec', 'authentication', 'jwt', i, 'jwks'], {
        namespace: gp.resource.namespace,
        state,
      });
      if ('reason' in keys) {
        gp.refProblems.push(keys);
        return;
      }
      providers.push({
        name: p.name,
        issuer: p.issuer,
        audiences: [...p.audiences].sort(),
        algorithms: [...p.algorithms].sort(),
        clockSkewSeconds: p.clockSkewSeconds,
        keys: [...keys],
        forwardClaims: [...p.forwardClaims].sort((a, b) => compare(a.header, b.header)),
      });
    });
    if (gp.refProblems.length > 0) continue;
    gp.candidate = {
      targetRefs: spec.targetRefs.map((t, index): TargetRefModel => ({
        index,
        name: t.name,
        routes: t.routes === undefined ? undefined : [...t.routes],
      })),
      enforcementMode: spec.enforcementMode,
      jwt: providers.sort((a, b) => compare(a.name, b.name)),
    };
  }
};

function resolveKeys(
  p: JwtProviderSpec,
  at: FieldPath,
  { namespace, state }: { namespace: string; state: CompileState },
): readonly PublicJwk[] | RefProblem {
  if (p.jwks.inline !== undefined) {
    const r = publicKeysFrom(p.jwks.inline.keys, p.algorithms);
    return r.ok ? r.keys : { reason: 'InvalidRef', problem: { path: [...at, 'inline'], message: r.message } };
  }
  const ref = p.jwks.secretRef;
  if (ref === undefined) {
    // Validation refuses jwks.uri before this pass; reaching here is a compiler bug.
    throw new Error('compiler bug: a jwks source that is neither inline nor secretRef reached resolution');
  }
  const path = [...at, 'secretRef'];
  const label = `Secret "${namespace}/${ref.name}"`;
  const secret = state.secrets.get(`${namespace}/${ref.name}`);
  if (secret === undefined)
    return { reason: 'RefNotFound', problem: { path, message: `${label} not found` } };
  if (secret.content === undefined) {
    const first = secret.problems[0];
    const why = first === undefined ? 'invalid' : `${formatPath(first.path)}: ${first.message}`;
    return { reason: 'InvalidRef', problem: { path, message: `${label} is not a valid Secret (${why})` } };
  }
  const bytes = secret.content.values.get(ref.key);
  if (bytes === undefined) {
    return { reason: 'RefNotFound', problem: { path, message: `${label} has no key "${ref.key}"` } };
  }
  const where = `${label} key "${ref.key}"`;
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { reason: 'InvalidRef', problem: { path, message: `${where}: not a JSON document` } };
  }
  const keys = typeof doc === 'object' && doc !== null ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) {
    return {
      reason: 'InvalidRef',
      problem: { path, message: `${where}: not a JWKS document ({"keys": [...]})` },
    };
  }
  const r = publicKeysFrom(keys as unknown[], p.algorithms);
  return r.ok ? r.keys : { reason: 'InvalidRef', problem: { path, message: `${where}: ${r.message}` } };
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
