import type { Pass } from '../state.js';

/**
 * Default deny: a route that is not public and that no policy attaches to is not reachable, so it is
 * left out of the snapshot (the proxy answers it as a shadow API) and the RouteClassification says
 * so. Needs attachment to have run; the contract schema refuses such a route anyway.
 */
export const applyDefaultDeny: Pass = (state) => {
  for (const rc of state.routeClassifications) {
    for (const route of rc.effective?.model.routes ?? []) {
      if (rc.excluded.has(route.name)) continue;
      const attached = rc.attached.get(route.name)?.size ?? 0;
      if (route.tier !== 'public' && attached === 0) {
        rc.leftOut.push({
          error: false,
          problem: {
            path: ['spec', 'routes', route.index],
            message: `route "${route.name}" is ${route.tier} and no GatewayPolicy in force attaches to it, so it is not reachable (default deny)`,
          },
        });
        continue;
      }
      rc.programmed.add(route.name);
    }
  }
};
