import { describe, expect, it } from '@jest/globals';
import { RouteTableBudget } from '../src/compiler/passes/route-budget.js';

describe('RouteTableBudget limits', () => {
  it('a route that fills the entry budget exactly fits; one entry more does not', () => {
    const cost = RouteTableBudget.costOf({ hosts: 1, methods: 2, path: '/a/b' }); // 2 x (2 + 1)
    expect(cost).toEqual({ claims: 2, entries: 6 });
    const budget = new RouteTableBudget(1000, 12);
    expect(budget.refusal(cost)).toBeUndefined();
    budget.spend(cost);
    expect(budget.refusal(cost)).toBeUndefined(); // 6 + 6 = 12: exactly full
    budget.spend(cost);
    expect(budget.refusal({ claims: 0, entries: 1 })).toBe(
      "the proxies' route tables hold at most 12 entries (hosts x methods x (path segments + 1)); this route needs 1 and 0 are left",
    );
  });

  it('a route that fills the claim budget exactly fits, and spent claims count', () => {
    const budget = new RouteTableBudget(4, 1_000_000);
    const cost = RouteTableBudget.costOf({ hosts: 2, methods: 1, path: '/x' });
    expect(cost.claims).toBe(2);
    budget.spend(cost);
    expect(budget.refusal(cost)).toBeUndefined(); // 2 + 2 = 4: exactly full
    budget.spend(cost);
    expect(budget.refusal({ claims: 1, entries: 0 })).toBe(
      'the snapshot holds at most 4 host+method+path combinations',
    );
  });

  it('refusal takes nothing: asking twice gives the same answer', () => {
    const budget = new RouteTableBudget(2, 10);
    const cost = { claims: 2, entries: 10 };
    expect(budget.refusal(cost)).toBeUndefined();
    expect(budget.refusal(cost)).toBeUndefined();
  });
});
