import type { Problem } from '../../resources/field-path.js';
import { at, joinProblems, staysInForce } from '../conditions.js';
import { CONTROLLER_NAME } from '../types.js';
import type { AncestorStatus, Condition, ObjectStatus } from '../types.js';
import type { CompileState, GatewayPolicyState, Pass, RouteClassificationState } from '../state.js';

/**
 * Writes every decision the earlier passes made into status, and into the located problem list
 * the CLI prints. Last, because it only reports. Conditions carry no lastTransitionTime (no clock
 * here); Programmed and Ready need the proxies' acks and are added by the status writer.
 */
export const buildStatuses: Pass = (state) => {
  for (const rc of state.routeClassifications) {
    state.statuses.push(routeClassificationStatus(rc));
    collectRouteClassificationProblems(state, rc);
  }
  for (const gp of state.policies) {
    state.statuses.push(gatewayPolicyStatus(gp));
    collectPolicyProblems(state, gp);
  }
  for (const secret of state.secrets.values()) {
    for (const p of secret.problems) {
      const { namespace, name } = secret.resource;
      state.problems.push({
        kind: 'Secret',
        namespace,
        name,
        severity: 'error',
        path: p.path,
        message: p.message,
      });
    }
  }
};

function routes(n: number): string {
  return n === 1 ? '1 route' : `${n} routes`;
}

function stays(eff: { generation: number; kept: boolean } | undefined): string {
  return eff?.kept === true ? staysInForce(eff.generation) : '';
}

function routeClassificationStatus(rc: RouteClassificationState): ObjectStatus {
  const gen = rc.resource.generation;
  const c = at(gen);
  const total = rc.effective?.model.routes.length ?? 0;
  const count = `${rc.programmed.size} of ${routes(total)} accepted`;
  const leftOut = rc.leftOut.map((l) => l.problem);
  let accepted: Condition;
  if (rc.invalid.length > 0) {
    accepted = c.false('Accepted', 'Invalid', joinProblems(rc.invalid) + stays(rc.effective));
  } else if (rc.conflicts.length > 0) {
    accepted = c.false('Accepted', 'Conflicted', `${joinProblems(rc.conflicts)}; ${count}`);
  } else {
    const notes = leftOut.length > 0 ? `; ${joinProblems(leftOut)}` : '';
    accepted = c.true('Accepted', 'Accepted', count + notes);
  }
  // No references to resolve in this build: upstream.service, the one that will have one, is refused.
  const refs = c.true('ResolvedRefs', 'ResolvedRefs', 'all references resolved');
  const { namespace, name } = rc.resource;
  return {
    kind: 'RouteClassification',
    namespace,
    name,
    generation: gen,
    status: { observedGeneration: gen, routes: rc.programmed.size, conditions: [accepted, refs] },
  };
}

function gatewayPolicyStatus(gp: GatewayPolicyState): ObjectStatus {
  const gen = gp.resource.generation;
  const c = at(gen);
  const { namespace, name } = gp.resource;
  const kept = stays(gp.effective);

  let refs: Condition;
  if (gp.spec === undefined) {
    refs = c.unknown('ResolvedRefs', 'Invalid', 'not resolved: the spec is invalid');
  } else if (gp.refProblems.length > 0) {
    const first = gp.refProblems[0]?.reason ?? 'InvalidRef';
    const tail = kept === '' ? '; the policy is not programmed' : kept;
    refs = c.false('ResolvedRefs', first, joinProblems(gp.refProblems.map((r) => r.problem)) + tail);
  } else {
    refs = c.true('ResolvedRefs', 'ResolvedRefs', 'all references resolved');
  }

  const ancestors: AncestorStatus[] = [];
  const notFound: Problem[] = [];
  let attachedRoutes = 0;
  for (const [target, result] of [...gp.ancestors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let accepted: Condition;
    if (result.ok) {
      attachedRoutes += result.routes;
      accepted = c.true('Accepted', 'Accepted', `attached to ${routes(result.routes)}`);
    } else if (result.reason === 'TargetNotFound') {
      notFound.push(...result.problems);
      accepted = c.false('Accepted', 'TargetNotFound', joinProblems(result.problems));
    } else {
      accepted = c.false('Accepted', 'Invalid', joinProblems(result.problems) + kept);
    }
    ancestors.push({
      ancestorRef: { group: 'portcullis.io', kind: 'RouteClassification', name: target, namespace },
      controllerName: CONTROLLER_NAME,
      conditions: [accepted, refs],
    });
  }

  let accepted: Condition;
  if (gp.invalid.length > 0) {
    accepted = c.false('Accepted', 'Invalid', joinProblems(gp.invalid) + kept);
  } else if (notFound.length > 0) {
    accepted = c.false('Accepted', 'TargetNotFound', joinProblems(notFound));
  } else {
    const pending =
      gp.refProblems.length === 0 ? '' : kept === '' ? '; not in force until its references resolve' : kept;
    accepted = c.true('Accepted', 'Accepted', `attached to ${routes(attachedRoutes)}${pending}`);
  }
  return {
    kind: 'GatewayPolicy',
    namespace,
    name,
    generation: gen,
    status: { observedGeneration: gen, ancestors, conditions: [accepted, refs] },
  };
}

function collectRouteClassificationProblems(state: CompileState, rc: RouteClassificationState): void {
  const { kind, namespace, name } = rc.resource;
  const push = (severity: 'error' | 'warning', p: Problem): void => {
    state.problems.push({ kind, namespace, name, severity, path: p.path, message: p.message });
  };
  for (const p of rc.invalid) push('error', p);
  for (const p of rc.conflicts) push('error', p);
  for (const l of rc.leftOut) push(l.error ? 'error' : 'warning', l.problem);
}

function collectPolicyProblems(state: CompileState, gp: GatewayPolicyState): void {
  const { kind, namespace, name } = gp.resource;
  const push = (p: Problem): void => {
    state.problems.push({ kind, namespace, name, severity: 'error', path: p.path, message: p.message });
  };
  for (const p of gp.invalid) push(p);
  for (const r of gp.refProblems) push(r.problem);
  for (const a of gp.ancestors.values()) if (!a.ok && a.reason === 'TargetNotFound') a.problems.forEach(push);
}
