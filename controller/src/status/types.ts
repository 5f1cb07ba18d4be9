import type { Condition, ObjectStatus } from '../compiler/types.js';

/** Status as written to objects (metav1.Condition with lastTransitionTime, Programmed and Ready added). */

export type TimedCondition = Condition & { readonly lastTransitionTime: string };

export interface LiveAncestorStatus {
  readonly ancestorRef: {
    readonly group: string;
    readonly kind: string;
    readonly name: string;
    readonly namespace: string;
  };
  readonly controllerName: string;
  readonly conditions: readonly TimedCondition[];
}

interface LiveStatusOf<K extends ObjectStatus['kind'], S> {
  readonly kind: K;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly status: S;
}

export type LiveObjectStatus =
  | LiveStatusOf<
      'RouteClassification',
      {
        readonly observedGeneration: number;
        readonly routes: number;
        /** "programmed/total" proxies, for a printer column (columns cannot compute). */
        readonly programmed: string;
        readonly conditions: readonly TimedCondition[];
      }
    >
  | LiveStatusOf<
      'GatewayPolicy',
      {
        readonly observedGeneration: number;
        readonly programmed: string;
        readonly ancestors: readonly LiveAncestorStatus[];
        readonly conditions: readonly TimedCondition[];
      }
    >;

/** How many known proxies run a snapshot that carries a given object's current generation. */
export interface ProgrammedCount {
  readonly programmed: number;
  readonly total: number;
  /** Whether the latest compiled snapshot carries this generation at all (false: not accepted). */
  readonly inForce: boolean;
  /** `url: last push error` of each proxy that does not run it and whose last push failed. */
  readonly errors?: readonly string[];
}
