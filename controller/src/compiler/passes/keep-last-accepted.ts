import { resourceKey } from '../../resources/model.js';
import type { Resource } from '../../resources/model.js';
import type { AcceptedObject } from '../types.js';
import type { Effective, Pass } from '../state.js';

/**
 * Decides which version of each object is in force. The current generation when it is valid and
 * resolved; otherwise the last accepted one, so that a typo never takes down what was working;
 * otherwise nothing (a new broken object stays out: fail closed). Every later pass sees only the
 * versions in force, so this sits right after the passes that judge the current generation.
 */
export const keepLastAccepted: Pass = (state) => {
  for (const rc of state.routeClassifications) {
    const usable = rc.invalid.length === 0 ? rc.candidate : undefined;
    rc.effective = choose(
      usable,
      rc.resource,
      lastAccepted(state.previous, rc.resource, 'RouteClassification'),
    );
  }
  for (const gp of state.policies) {
    const usable = gp.invalid.length === 0 && gp.refProblems.length === 0 ? gp.candidate : undefined;
    gp.effective = choose(usable, gp.resource, lastAccepted(state.previous, gp.resource, 'GatewayPolicy'));
  }
};

function choose<M>(
  current: M | undefined,
  resource: Resource,
  previous: Effective<M> | undefined,
): Effective<M> | undefined {
  if (current !== undefined) return { generation: resource.generation, model: current, kept: false };
  return previous;
}

function lastAccepted<K extends AcceptedObject['kind']>(
  previous: ReadonlyMap<string, AcceptedObject>,
  resource: Resource,
  kind: K,
): Effective<ModelOf<K>> | undefined {
  const entry = previous.get(resourceKey(resource));
  if (entry === undefined || entry.kind !== kind) return undefined;
  // The kind check above is what makes this cast true; TypeScript cannot follow it through K.
  return { generation: entry.generation, model: entry.model as ModelOf<K>, kept: true };
}

type ModelOf<K extends AcceptedObject['kind']> = Extract<AcceptedObject, { kind: K }>['model'];
