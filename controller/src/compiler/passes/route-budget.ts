import { MAX_ROUTE_TABLE_ENTRIES, routeEntries } from '@portcullis/contract';

/**
 * What the proxies' route tables can take, spent route by route. The conflicts pass visits objects
 * oldest first, so routes already in force keep their place and a newer object's routes are the
 * ones left out: one runaway folder or tenant cannot push everyone else out of the snapshot.
 *
 * Two limits. Claims (host x method x path) bound the conflict index here. Route-table entries
 * (host x method x (path segments + 1), the contract's `routeTableEntries`) bound what every proxy
 * builds; a proxy refuses a snapshot over MAX_ROUTE_TABLE_ENTRIES with CompileFailed, which would
 * block every later update for every tenant, so the controller must never sign one. Routes left
 * out later (default deny, policy limits) stay counted: the budget errs on the small side.
 */
export class RouteTableBudget {
  #claims = 0;
  #entries = 0;

  constructor(
    readonly maxClaims: number,
    readonly maxEntries: number = MAX_ROUTE_TABLE_ENTRIES,
  ) {}

  /** What one route costs: a host x method x path claim each, and a trie node per path segment + 1. */
  static costOf(route: { hosts: number; methods: number; path: string }): RouteCost {
    return {
      claims: route.hosts * route.methods,
      entries: routeEntries(route.hosts, route.methods, route.path),
    };
  }

  /** Why a route of this cost does not fit, or undefined when it does. Takes nothing. */
  refusal(cost: RouteCost): string | undefined {
    if (this.#claims + cost.claims > this.maxClaims) {
      return `the snapshot holds at most ${this.maxClaims} host+method+path combinations`;
    }
    if (this.#entries + cost.entries > this.maxEntries) {
      return `the proxies' route tables hold at most ${this.maxEntries} entries (hosts x methods x (path segments + 1)); this route needs ${cost.entries} and ${this.maxEntries - this.#entries} are left`;
    }
    return undefined;
  }

  /** Only for a route that claims its place: one left out for a conflict takes no room. */
  spend(cost: RouteCost): void {
    this.#claims += cost.claims;
    this.#entries += cost.entries;
  }
}

export interface RouteCost {
  readonly claims: number;
  readonly entries: number;
}
