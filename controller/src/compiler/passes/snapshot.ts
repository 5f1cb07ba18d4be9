import {
  MAX_ROUTE_TABLE_ENTRIES,
  SNAPSHOT_SCHEMA_VERSION,
  SnapshotSchema,
  routeTableEntries,
} from '@portcullis/contract';
import type { Policy, Route, Snapshot } from '@portcullis/contract';
import { policyId } from '../state.js';
import type { Pass, RouteClassificationState } from '../state.js';
import { compare } from './resolve-refs.js';

/** The contract's bounds, applied here so that a huge folder degrades into status, not into a crash. */
const MAX_ROUTES = 20_000;
const MAX_POLICIES = 5_000;
const MAX_POLICIES_PER_ROUTE = 32;

/**
 * Builds the snapshot from what the earlier passes decided, in the one documented order (routes and
 * policies by id, every list sorted), and checks it against the contract schema: a failure there
 * is a compiler bug, so it throws instead of publishing something the proxies would refuse (the
 * route-table budget too, which the schema does not carry).
 */
export const buildSnapshot: Pass = (state) => {
  const owners = new Map<string, { rc: RouteClassificationState; name: string; index: number }>();
  let routes: Route[] = [];
  for (const rc of state.routeClassifications) {
    const eff = rc.effective;
    if (eff === undefined) continue;
    for (const route of eff.model.routes) {
      if (!rc.programmed.has(route.name)) continue;
      const policies = [...(rc.attached.get(route.name) ?? [])].sort(compare);
      if (policies.length > MAX_POLICIES_PER_ROUTE) {
        leaveOut(
          rc,
          route,
          `more than ${MAX_POLICIES_PER_ROUTE} GatewayPolicies attach to route "${route.name}"`,
        );
        continue;
      }
      const id = `${policyId(rc.resource)}/${route.name}`;
      owners.set(id, { rc, name: route.name, index: route.index });
      routes.push({
        id,
        source: {
          kind: 'RouteClassification',
          namespace: rc.resource.namespace,
          name: rc.resource.name,
          generation: eff.generation,
        },
        hosts: [...eff.model.hosts],
        methods: [...route.methods],
        path: route.path,
        tier: route.tier,
        categories: [...route.categories],
        upstream: { ...eff.model.upstream },
        policies,
      });
    }
  }
  routes.sort((a, b) => compare(a.id, b.id));

  const allPolicies = new Map<string, Policy>();
  for (const gp of state.policies) {
    const eff = gp.effective;
    if (eff === undefined) continue;
    const id = policyId(gp.resource);
    allPolicies.set(id, {
      id,
      source: {
        kind: 'GatewayPolicy',
        namespace: gp.resource.namespace,
        name: gp.resource.name,
        generation: eff.generation,
      },
      enforcementMode: eff.model.enforcementMode,
      authentication: { jwt: eff.model.jwt.map((p) => ({ ...p })) },
    });
  }
  // Only policies some route uses: an unattached policy changes nothing, so it must not change the hash.
  const used = [...new Set(routes.flatMap((r) => r.policies))].sort(compare);
  const kept = new Set(used.slice(0, MAX_POLICIES));
  const dropRoute = (r: Route, why: string): boolean => {
    const owner = owners.get(r.id);
    if (owner !== undefined) leaveOut(owner.rc, owner, why);
    return false;
  };
  routes = routes.filter((r, i) => {
    if (r.policies.some((p) => !kept.has(p)))
      return dropRoute(r, `the snapshot holds at most ${MAX_POLICIES} policies`);
    if (i >= MAX_ROUTES) return dropRoute(r, `the snapshot holds at most ${MAX_ROUTES} routes`);
    return true;
  });
  const policies = [...kept].flatMap((id) => allPolicies.get(id) ?? []);

  const snapshot: Snapshot = { schemaVersion: SNAPSHOT_SCHEMA_VERSION, routes, policies };
  const check = SnapshotSchema.safeParse(snapshot);
  if (!check.success) {
    const issue = check.error.issues[0];
    throw new Error(
      `compiler bug: the snapshot fails the contract schema at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`,
    );
  }
  // The conflicts pass keeps routes within this budget (oldest first); a snapshot over it would be
  // refused by every proxy, so signing one is a bug just like a schema failure.
  const entries = routeTableEntries(snapshot);
  if (entries > MAX_ROUTE_TABLE_ENTRIES) {
    throw new Error(
      `compiler bug: the snapshot needs ${entries} route-table entries, over the limit of ${MAX_ROUTE_TABLE_ENTRIES}`,
    );
  }
  state.snapshot = snapshot;
};

function leaveOut(
  rc: RouteClassificationState,
  { name, index }: { name: string; index: number },
  message: string,
): void {
  rc.programmed.delete(name);
  rc.leftOut.push({
    error: true,
    problem: { path: ['spec', 'routes', index], message: `${message}; route "${name}" is left out` },
  });
}
