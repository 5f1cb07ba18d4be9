import { resourceKey } from '../resources/model.js';
import type { Resource } from '../resources/model.js';
import { validateSecret } from '../validation/secret.js';
import { attachPolicies } from './passes/attach.js';
import { resolveRouteConflicts } from './passes/conflicts.js';
import { applyDefaultDeny } from './passes/default-deny.js';
import { keepLastAccepted } from './passes/keep-last-accepted.js';
import { compare, resolveReferences } from './passes/resolve-refs.js';
import { buildSnapshot } from './passes/snapshot.js';
import { buildStatuses } from './passes/statuses.js';
import { validateObjects } from './passes/validate.js';
import type {
  CompileState,
  GatewayPolicyState,
  Pass,
  RouteClassificationState,
  SecretState,
} from './state.js';
import type { AcceptedObject, CompileInput, CompileOutput } from './types.js';

/**
 * The compiler: objects in, snapshot and per-object status out. A pure function: no I/O, no clock,
 * no randomness, so the same input always gives the same bytes (and hash), which is what makes the
 * golden tests and the publisher's hash skip possible.
 *
 * The passes, in order. Each reads only what earlier ones decided; the order is the design.
 */
const PASSES: readonly { readonly name: string; readonly run: Pass }[] = [
  // Shape first: everything after reads the typed model it produces, never raw YAML.
  { name: 'validate', run: validateObjects },
  // References (JWKS inline or in Secrets) only for valid policies; before keep-last-accepted,
  // because an unresolved reference is one of the two reasons to keep the last accepted version.
  { name: 'resolve-refs', run: resolveReferences },
  // Decide which generation of each object is in force; every later pass sees only those.
  { name: 'keep-last-accepted', run: keepLastAccepted },
  // Older RouteClassification wins a host+method+path; before attachment, so that policies attach
  // only to routes that can be programmed.
  { name: 'conflicts', run: resolveRouteConflicts },
  // Policies attach through targetRefs; several on one route all apply (conjunction).
  { name: 'attach', run: attachPolicies },
  // Needs attachments: a non-public route with no policy is left out (default deny).
  { name: 'default-deny', run: applyDefaultDeny },
  // Assemble in the documented order, enforce the contract's bounds, assert the contract schema.
  { name: 'snapshot', run: buildSnapshot },
  // Last, because it only reports what the passes above decided.
  { name: 'statuses', run: buildStatuses },
];

export function compile(input: CompileInput): CompileOutput {
  const state = initialState(input);
  for (const pass of PASSES) pass.run(state);
  if (state.snapshot === undefined) throw new Error('compiler bug: no snapshot after the snapshot pass');
  return {
    snapshot: state.snapshot,
    statuses: state.statuses,
    accepted: acceptedOf(state),
    problems: state.problems,
  };
}

/**
 * Sorts and indexes the input. A duplicate (kind, namespace, name) keeps the first one, as the
 * loader does (and reports); the compiler cannot report it, having no file to point at.
 */
function initialState(input: CompileInput): CompileState {
  const unique = new Map<string, Resource>();
  for (const r of input.resources) if (!unique.has(resourceKey(r))) unique.set(resourceKey(r), r);
  const sorted = [...unique.values()].sort((a, b) => compare(resourceKey(a), resourceKey(b)));

  const routeClassifications: RouteClassificationState[] = [];
  const policies: GatewayPolicyState[] = [];
  const secrets = new Map<string, SecretState>();
  for (const resource of sorted) {
    switch (resource.kind) {
      case 'RouteClassification':
        routeClassifications.push({
          kind: 'RouteClassification',
          resource,
          invalid: [],
          candidate: undefined,
          effective: undefined,
          conflicts: [],
          excluded: new Set(),
          attached: new Map(),
          leftOut: [],
          programmed: new Set(),
        });
        break;
      case 'GatewayPolicy':
        policies.push({
          kind: 'GatewayPolicy',
          resource,
          invalid: [],
          spec: undefined,
          refProblems: [],
          candidate: undefined,
          effective: undefined,
          ancestors: new Map(),
        });
        break;
      case 'Secret': {
        const v = validateSecret(resource.object);
        secrets.set(`${resource.namespace}/${resource.name}`, {
          resource,
          content: v.ok ? v.value : undefined,
          problems: v.ok ? [] : v.problems,
        });
        break;
      }
    }
  }
  const previous = new Map((input.previous ?? []).map((a) => [resourceKey(a), a]));
  return {
    previous,
    routeClassifications,
    policies,
    secrets,
    snapshot: undefined,
    statuses: [],
    problems: [],
  };
}

function acceptedOf(state: CompileState): AcceptedObject[] {
  const out: AcceptedObject[] = [];
  for (const rc of state.routeClassifications) {
    if (rc.effective === undefined) continue;
    const { namespace, name } = rc.resource;
    out.push({
      kind: 'RouteClassification',
      namespace,
      name,
      generation: rc.effective.generation,
      model: rc.effective.model,
    });
  }
  for (const gp of state.policies) {
    if (gp.effective === undefined) continue;
    const { namespace, name } = gp.resource;
    out.push({
      kind: 'GatewayPolicy',
      namespace,
      name,
      generation: gp.effective.generation,
      model: gp.effective.model,
    });
  }
  return out;
}

export const COMPILER_PASSES: readonly string[] = PASSES.map((p) => p.name);
