import type { Problem } from '../../resources/field-path.js';
import { validateGatewayPolicy } from '../../validation/gateway-policy.js';
import type { GatewayPolicySpec } from '../../validation/gateway-policy.js';
import {
  toRouteClassificationModel,
  validateRouteClassification,
} from '../../validation/route-classification.js';
import { NOT_SUPPORTED } from '../../validation/primitives.js';
import type { Pass } from '../state.js';

/**
 * Shape and per-object rules, through the validators the CLI shares. Produces each object's
 * candidate model for the current generation, or its problems (Accepted=False, Invalid).
 */
export const validateObjects: Pass = (state) => {
  for (const rc of state.routeClassifications) {
    const r = validateRouteClassification(rc.resource.object);
    if (!r.ok) {
      rc.invalid.push(...r.problems);
      continue;
    }
    const model = toRouteClassificationModel(r.value);
    if (model.ok) rc.candidate = model.model;
    else rc.invalid.push(...model.problems);
  }
  for (const gp of state.policies) {
    const r = validateGatewayPolicy(gp.resource.object);
    if (!r.ok) {
      gp.invalid.push(...r.problems);
      continue;
    }
    const notYet = notSupportedYet(r.value);
    if (notYet.length > 0) gp.invalid.push(...notYet);
    else gp.spec = r.value;
  }
};

/** Valid shape that this build cannot honour yet: refused, never skipped (fail closed). */
function notSupportedYet(spec: GatewayPolicySpec): Problem[] {
  const out: Problem[] = [];
  spec.authentication.jwt.forEach((p, i) => {
    if (p.jwks.uri !== undefined) {
      out.push({
        path: ['spec', 'authentication', 'jwt', i, 'jwks', 'uri'],
        message: `${NOT_SUPPORTED}; use inline or secretRef`,
      });
    }
  });
  return out;
}
