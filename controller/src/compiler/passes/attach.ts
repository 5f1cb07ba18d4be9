import type { Problem } from '../../resources/field-path.js';
import { isJsonObject } from '../../resources/json.js';
import type { JsonValue } from '../../resources/json.js';
import type { RouteModel } from '../../validation/route-classification.js';
import { policyId } from '../state.js';
import type { GatewayPolicyState, Pass, RouteClassificationState } from '../state.js';
import type { TargetRefModel } from '../types.js';

/**
 * Attaches each policy in force to the routes its targetRefs name (same namespace; a whole
 * RouteClassification, or listed routes). Several policies on one route all apply. Runs after
 * conflicts (only routes that can be programmed get policies) and before default deny (which needs
 * to know what is attached). Also records, per target, what status.ancestors reports.
 */
export const attachPolicies: Pass = (state) => {
  const all = new Map(state.routeClassifications.map((rc) => [policyId(rc.resource), rc]));
  for (const gp of state.policies) {
    const ns = gp.resource.namespace;
    if (gp.effective !== undefined) {
      const id = policyId(gp.resource);
      for (const [name, refs] of byName(gp.effective.model.targetRefs)) {
        const rc = all.get(`${ns}/${name}`);
        for (const route of resolveTarget(rc, refs, { namespace: ns, name }).routes) {
          if (rc === undefined || rc.excluded.has(route.name)) continue;
          const set = rc.attached.get(route.name) ?? new Set<string>();
          set.add(id);
          rc.attached.set(route.name, set);
        }
      }
    }
    recordAncestors(gp, all);
  }
};

/**
 * Ancestors describe the current generation when its shape is valid (that is what the user just
 * wrote), otherwise the version in force, otherwise whatever names the broken spec still shows.
 */
function recordAncestors(gp: GatewayPolicyState, all: ReadonlyMap<string, RouteClassificationState>): void {
  const ns = gp.resource.namespace;
  const refs =
    gp.spec?.targetRefs.map((t, index) => ({ index, name: t.name, routes: t.routes })) ??
    gp.effective?.model.targetRefs;
  if (gp.invalid.length > 0) {
    const names = refs?.map((r) => r.name) ?? rawTargetNames(gp);
    for (const name of names) gp.ancestors.set(name, { ok: false, reason: 'Invalid', problems: gp.invalid });
    return;
  }
  for (const [name, group] of byName(refs ?? [])) {
    const rc = all.get(`${ns}/${name}`);
    const target = resolveTarget(rc, group, { namespace: ns, name });
    gp.ancestors.set(
      name,
      target.problems.length > 0
        ? { ok: false, reason: 'TargetNotFound', problems: target.problems }
        : { ok: true, routes: target.routes.filter((r) => rc?.excluded.has(r.name) !== true).length },
    );
  }
}

function resolveTarget(
  rc: RouteClassificationState | undefined,
  refs: readonly TargetRefModel[],
  { namespace, name }: { namespace: string; name: string },
): { routes: RouteModel[]; problems: Problem[] } {
  const model = rc?.effective?.model;
  if (model === undefined) {
    const why = rc === undefined ? 'not found' : 'is not accepted (see its status)';
    return {
      routes: [],
      problems: refs.map((r) => ({
        path: ['spec', 'targetRefs', r.index, 'name'],
        message: `RouteClassification ${namespace}/${name} ${why}`,
      })),
    };
  }
  if (refs.some((r) => r.routes === undefined)) return { routes: [...model.routes], problems: [] };
  const byRoute = new Map(model.routes.map((r) => [r.name, r]));
  const routes = new Map<string, RouteModel>();
  const problems: Problem[] = [];
  for (const ref of refs) {
    (ref.routes ?? []).forEach((routeName, j) => {
      const route = byRoute.get(routeName);
      if (route === undefined) {
        problems.push({
          path: ['spec', 'targetRefs', ref.index, 'routes', j],
          message: `route "${routeName}" not found in RouteClassification ${namespace}/${name}`,
        });
      } else {
        routes.set(route.name, route);
      }
    });
  }
  return { routes: [...routes.values()], problems };
}

/** Several targetRefs may name one RouteClassification; status has one ancestor per target. */
function byName(refs: readonly TargetRefModel[]): Map<string, TargetRefModel[]> {
  const out = new Map<string, TargetRefModel[]>();
  for (const r of refs) out.set(r.name, [...(out.get(r.name) ?? []), r]);
  return out;
}

function rawTargetNames(gp: GatewayPolicyState): string[] {
  const spec = gp.resource.object['spec'];
  const refs: JsonValue | undefined = isJsonObject(spec) ? spec['targetRefs'] : undefined;
  if (!Array.isArray(refs)) return [];
  const names = new Set<string>();
  for (const r of (refs as readonly JsonValue[]).slice(0, 16)) {
    const name = isJsonObject(r) ? r['name'] : undefined;
    if (typeof name === 'string' && /^[a-z0-9]([a-z0-9-]{0,251}[a-z0-9])?$/.test(name)) names.add(name);
  }
  return [...names];
}
