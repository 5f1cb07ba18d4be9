import type { ConditionReason, ConditionType, JwtProvider, Snapshot } from '@portcullis/contract';
import type { FieldPath } from '../resources/field-path.js';
import type { PolicyKind, Resource, ResourceKind } from '../resources/model.js';
import type { RouteClassificationModel } from '../validation/route-classification.js';

/** The compiler's public types: what goes in, what comes out. */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition without lastTransitionTime: the compiler has no clock, the status writer adds it. */
export interface Condition {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: ConditionReason;
  readonly message: string;
  readonly observedGeneration: number;
}

export const CONTROLLER_NAME = 'portcullis.io/controller';

export interface AncestorStatus {
  readonly ancestorRef: {
    readonly group: 'portcullis.io';
    readonly kind: 'RouteClassification';
    readonly name: string;
    readonly namespace: string;
  };
  readonly controllerName: typeof CONTROLLER_NAME;
  readonly conditions: readonly Condition[];
}

export interface RouteClassificationStatus {
  readonly observedGeneration: number;
  /** How many of its routes are in the snapshot. */
  readonly routes: number;
  readonly conditions: readonly Condition[];
}

export interface GatewayPolicyStatus {
  readonly observedGeneration: number;
  readonly ancestors: readonly AncestorStatus[];
  readonly conditions: readonly Condition[];
}

interface StatusOf<K extends PolicyKind, S> {
  readonly kind: K;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly status: S;
}

export type ObjectStatus =
  StatusOf<'RouteClassification', RouteClassificationStatus> | StatusOf<'GatewayPolicy', GatewayPolicyStatus>;

export interface TargetRefModel {
  /** Index in spec.targetRefs, for field paths. */
  readonly index: number;
  readonly name: string;
  /** Route names; undefined means every route of the RouteClassification. */
  readonly routes: readonly string[] | undefined;
}

export interface GatewayPolicyModel {
  readonly targetRefs: readonly TargetRefModel[];
  readonly enforcementMode: 'Enforce' | 'Audit';
  /** Providers with their keys resolved, sorted by name: exactly what the snapshot carries. */
  readonly jwt: readonly JwtProvider[];
}

/**
 * The last accepted version of an object: validated and with its references resolved, so that it can
 * stay in force while a newer generation is broken. Attachment and conflicts are not stored; they
 * are recomputed against whatever else is in force on each compile.
 */
export type AcceptedObject =
  | {
      readonly kind: 'RouteClassification';
      readonly namespace: string;
      readonly name: string;
      readonly generation: number;
      readonly model: RouteClassificationModel;
    }
  | {
      readonly kind: 'GatewayPolicy';
      readonly namespace: string;
      readonly name: string;
      readonly generation: number;
      readonly model: GatewayPolicyModel;
    };

/** One user mistake, located, for the CLI (`file:line: Kind ns/name: field: message`). */
export interface CompileProblem {
  readonly kind: ResourceKind;
  readonly namespace: string;
  readonly name: string;
  readonly severity: 'error' | 'warning';
  readonly path: FieldPath;
  readonly message: string;
}

export interface CompileInput {
  readonly resources: readonly Resource[];
  /** The `accepted` output of the previous compile. */
  readonly previous?: readonly AcceptedObject[];
}

export interface CompileOutput {
  readonly snapshot: Snapshot;
  /** One entry per RouteClassification and GatewayPolicy, sorted by kind, namespace, name. */
  readonly statuses: readonly ObjectStatus[];
  /** What is in force, to pass back as `previous` next time. */
  readonly accepted: readonly AcceptedObject[];
  readonly problems: readonly CompileProblem[];
}
