import type { ConditionReason, Snapshot } from '@portcullis/contract';
import type { Problem } from '../resources/field-path.js';
import type { Resource } from '../resources/model.js';
import type { GatewayPolicySpec } from '../validation/gateway-policy.js';
import type { RouteClassificationModel } from '../validation/route-classification.js';
import type { SecretContent } from '../validation/secret.js';
import type { AcceptedObject, CompileProblem, GatewayPolicyModel, ObjectStatus } from './types.js';

/**
 * The working state the passes share. Each pass reads what earlier passes decided and adds its own
 * decisions; none reaches back to change an earlier one. Mutable on purpose (it never leaves
 * `compile`), so that each pass stays a plain function over it.
 */

export interface Effective<M> {
  readonly generation: number;
  readonly model: M;
  /** True when the current generation is broken and this is the last accepted one. */
  readonly kept: boolean;
}

export interface RouteClassificationState {
  readonly kind: 'RouteClassification';
  readonly resource: Resource;
  /** Validation problems of the current generation (Accepted=False, Invalid). */
  readonly invalid: Problem[];
  candidate: RouteClassificationModel | undefined;
  effective: Effective<RouteClassificationModel> | undefined;
  /** Routes lost to an older RouteClassification (Accepted=False, Conflicted). */
  readonly conflicts: Problem[];
  /** Names of routes an earlier pass has left out (conflicts, limits); later passes skip them. */
  readonly excluded: Set<string>;
  /** Route name -> ids of the policies attached to it. */
  readonly attached: Map<string, Set<string>>;
  /** Routes left out although this object is valid: default deny (a warning) or snapshot limits (an error). */
  readonly leftOut: { readonly problem: Problem; readonly error: boolean }[];
  readonly programmed: Set<string>;
}

export interface RefProblem {
  readonly reason: Extract<ConditionReason, 'RefNotFound' | 'InvalidRef'>;
  readonly problem: Problem;
}

export type AncestorResult =
  | { readonly ok: true; readonly routes: number }
  | {
      readonly ok: false;
      readonly reason: 'TargetNotFound' | 'Invalid';
      readonly problems: readonly Problem[];
    };

export interface GatewayPolicyState {
  readonly kind: 'GatewayPolicy';
  readonly resource: Resource;
  readonly invalid: Problem[];
  /** The current generation's spec when its shape is valid (references not yet resolved). */
  spec: GatewayPolicySpec | undefined;
  readonly refProblems: RefProblem[];
  candidate: GatewayPolicyModel | undefined;
  effective: Effective<GatewayPolicyModel> | undefined;
  /** Per targeted RouteClassification name, for status.ancestors. */
  readonly ancestors: Map<string, AncestorResult>;
}

export interface SecretState {
  readonly resource: Resource;
  readonly content: SecretContent | undefined;
  readonly problems: readonly Problem[];
}

export interface CompileState {
  readonly previous: ReadonlyMap<string, AcceptedObject>;
  /** Sorted by namespace/name, so every pass visits objects in one deterministic order. */
  readonly routeClassifications: readonly RouteClassificationState[];
  readonly policies: readonly GatewayPolicyState[];
  /** By `namespace/name`. */
  readonly secrets: ReadonlyMap<string, SecretState>;
  snapshot: Snapshot | undefined;
  statuses: ObjectStatus[];
  readonly problems: CompileProblem[];
}

export type Pass = (state: CompileState) => void;

export function policyId(r: { namespace: string; name: string }): string {
  return `${r.namespace}/${r.name}`;
}
