import { matcherKey } from '../../validation/route-classification.js';
import type { RouteModel } from '../../validation/route-classification.js';
import type { Pass, RouteClassificationState } from '../state.js';
import { ClaimIndex } from './overlap.js';
import { compare } from './resolve-refs.js';
import { RouteTableBudget } from './route-budget.js';

/**
 * Two RouteClassifications claiming the same host + method + path: the older one wins (GEP-713:
 * creationTimestamp, then namespace/name) and only the losing routes are left out. Runs before
 * attachment so that a policy is never attached to a route that will not be programmed.
 *
 * Objects are visited oldest first and only programmed routes claim, so a route left out here never
 * blocks a newer one. Parameter names do not matter (`/v1/{a}` and `/v1/{b}` match the same
 * requests); within one namespace, different hosts never conflict, a wildcard and an exact name
 * included, because the proxy prefers the exact name.
 *
 * Between namespaces, overlapping is enough: the proxy prefers the most specific route (a literal
 * over `{param}` over `*`, an exact host over a wildcard), so a newer `/api/admin` (public) in
 * namespace A would otherwise take requests that namespace B's older `/api/*` protects.
 */
export const resolveRouteConflicts: Pass = (state) => {
  const claims = new Map<string, { rc: RouteClassificationState; route: RouteModel }>();
  const index = new ClaimIndex<{ rc: RouteClassificationState; route: RouteModel }>();
  const budget = new RouteTableBudget(MAX_CLAIMS);
  const inForce = state.routeClassifications.filter((rc) => rc.effective !== undefined).sort(byAge);
  for (const rc of inForce) {
    const model = rc.effective?.model;
    if (model === undefined) continue;
    for (const route of model.routes) {
      const keys = model.hosts.flatMap((h) =>
        route.methods.map((m) => ({ key: `${h} ${m} ${matcherKey(route.path)}`, h, m })),
      );
      const cost = RouteTableBudget.costOf({
        hosts: model.hosts.length,
        methods: route.methods.length,
        path: route.path,
      });
      const tooBig = budget.refusal(cost);
      if (tooBig !== undefined) {
        // Hostile or runaway input: stop before the table (here and in every proxy) gets huge.
        rc.excluded.add(route.name);
        rc.leftOut.push({
          error: true,
          problem: {
            path: ['spec', 'routes', route.index],
            message: `${tooBig}; route "${route.name}" is left out`,
          },
        });
        continue;
      }
      const taken = keys.map((k) => ({ ...k, owner: claims.get(k.key) })).find((k) => k.owner !== undefined);
      if (taken?.owner !== undefined) {
        const { rc: winner, route: theirs } = taken.owner;
        rc.excluded.add(route.name);
        rc.conflicts.push({
          path: ['spec', 'routes', route.index],
          message: `${taken.m} ${taken.h}${route.path} is already claimed by route "${theirs.name}" of the older RouteClassification ${winner.resource.namespace}/${winner.resource.name}`,
        });
        continue;
      }
      const claim = {
        namespace: rc.resource.namespace,
        hosts: model.hosts,
        methods: route.methods,
        path: route.path,
        owner: { rc, route },
      };
      const overlap = index.overlapFromOtherNamespace(claim);
      if (overlap !== undefined) {
        const { rc: winner, route: theirs } = overlap.owner;
        rc.excluded.add(route.name);
        rc.conflicts.push({
          path: ['spec', 'routes', route.index],
          message: `${route.path} can match requests for route "${theirs.name}" (${theirs.path}) of the older RouteClassification ${winner.resource.namespace}/${winner.resource.name} in another namespace`,
        });
        continue;
      }
      for (const k of keys) claims.set(k.key, { rc, route });
      index.add(claim);
      budget.spend(cost);
    }
  }
};

/** Every (host, method, path) a route matches is one entry in the proxies' route tables. */
const MAX_CLAIMS = 200_000;

/** Oldest first. An object without creationTimestamp (a local file) counts as newest. */
function byAge(a: RouteClassificationState, b: RouteClassificationState): number {
  const ta = created(a);
  const tb = created(b);
  if (ta !== tb) return ta - tb;
  return compare(`${a.resource.namespace}/${a.resource.name}`, `${b.resource.namespace}/${b.resource.name}`);
}

function created(rc: RouteClassificationState): number {
  const t = rc.resource.creationTimestamp === undefined ? NaN : Date.parse(rc.resource.creationTimestamp);
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}
