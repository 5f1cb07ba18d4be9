import type { Problem } from '../resources/field-path.js';
import type { Resource } from '../resources/model.js';
import { validateGatewayPolicy } from './gateway-policy.js';
import { validateRouteClassification } from './route-classification.js';
import { validateSecret } from './secret.js';

export * from './gateway-policy.js';
export * from './route-classification.js';
export * from './secret.js';
export { errorMap, issuesToProblems, validateWith } from './issues.js';
export type { Validated } from './issues.js';

/** Shape problems of one object, whatever its kind: the one validator the compiler and the CLI share. */
export function shapeProblems(resource: Resource): Problem[] {
  switch (resource.kind) {
    case 'RouteClassification': {
      const r = validateRouteClassification(resource.object);
      return r.ok ? [] : r.problems;
    }
    case 'GatewayPolicy': {
      const r = validateGatewayPolicy(resource.object);
      return r.ok ? [] : r.problems;
    }
    case 'Secret': {
      const r = validateSecret(resource.object);
      return r.ok ? [] : r.problems;
    }
  }
}
