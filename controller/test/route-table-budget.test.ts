import { describe, expect, it } from '@jest/globals';
import { MAX_PATH_SEGMENTS, MAX_ROUTE_TABLE_ENTRIES, routeTableEntries } from '@portcullis/contract';
import { compile } from '../src/compiler/compile.js';
import type { CompileOutput } from '../src/compiler/types.js';
import { loadYamlText } from '../src/resources/loader.js';
import type { Resource } from '../src/resources/model.js';
import { ROUTE_CLASSIFICATION_LIMITS } from '../src/validation/route-classification.js';

/**
 * Within the validator's own limits (64 hosts, 7 methods, 32 path segments) one route costs
 * 64 x 7 x 33 = 14,784 route-table entries, so 68 such routes already pass the proxies' budget of
 * 1,000,000, far below the route count (20,000) and claim count (200,000) the compiler also bounds.
 */
const HOSTS = ROUTE_CLASSIFICATION_LIMITS.hosts;
const PER_ROUTE = HOSTS * 7 * (MAX_PATH_SEGMENTS + 1);
const FITTING = Math.floor(MAX_ROUTE_TABLE_ENTRIES / PER_ROUTE);

function wide(o: { name: string; created: string; routes: number; prefix?: string }): string {
  const hosts = Array.from({ length: HOSTS }, (_, i) => `h${i}.example.com`).join(', ');
  const deep = (i: number) => `/${o.prefix ?? 'r'}${i}` + '/s'.repeat(MAX_PATH_SEGMENTS - 1);
  const routes = Array.from(
    { length: o.routes },
    (_, i) =>
      `    - {name: r${i}, methods: [DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT], path: '${deep(i)}', tier: public}`,
  );
  return `apiVersion: portcullis.io/v1alpha1
kind: RouteClassification
metadata: {name: ${o.name}, namespace: ns, creationTimestamp: "${o.created}"}
spec:
  hosts: [${hosts}]
  upstream: {url: http://127.0.0.1:9000}
  routes:
${routes.join('\n')}
`;
}

function resources(...docs: string[]): Resource[] {
  const load = loadYamlText(docs.join('---\n'), 'budget.yaml');
  if (load.errors.length > 0) throw new Error(load.errors.map((e) => e.message).join('; '));
  return [...load.resources];
}

function acceptedOf(out: CompileOutput, name: string) {
  return out.statuses.find((s) => s.name === name)?.status.conditions.find((c) => c.type === 'Accepted');
}

describe('route-table budget', () => {
  it('leaves out the routes that would take the snapshot over what a proxy accepts, and says so', () => {
    const out = compile({
      resources: resources(wide({ name: 'huge', created: '2020-01-01T00:00:00Z', routes: 100 })),
    });

    expect(routeTableEntries(out.snapshot)).toBeLessThanOrEqual(MAX_ROUTE_TABLE_ENTRIES);
    expect(out.snapshot.routes).toHaveLength(FITTING);
    // The routes kept are the first ones declared; the rest are each reported at their field path.
    expect(out.snapshot.routes.map((r) => r.id)).toContain(`ns/huge/r${FITTING - 1}`);
    expect(out.snapshot.routes.map((r) => r.id)).not.toContain(`ns/huge/r${FITTING}`);
    const left = MAX_ROUTE_TABLE_ENTRIES - FITTING * PER_ROUTE;
    const errors = out.problems.filter((p) => p.severity === 'error');
    expect(errors).toHaveLength(100 - FITTING);
    expect(errors[0]).toMatchObject({
      kind: 'RouteClassification',
      name: 'huge',
      path: ['spec', 'routes', FITTING],
      message: `the proxies' route tables hold at most ${MAX_ROUTE_TABLE_ENTRIES} entries (hosts x methods x (path segments + 1)); this route needs ${PER_ROUTE} and ${left} are left; route "r${FITTING}" is left out`,
    });
    expect(acceptedOf(out, 'huge')?.message).toMatch(
      new RegExp(
        `^${FITTING} of 100 routes accepted; spec\\.routes\\[${FITTING}\\]: the proxies' route tables hold at most`,
      ),
    );
    expect(out.statuses.find((s) => s.name === 'huge')?.status).toMatchObject({ routes: FITTING });
  });

  it('keeps the older object whole and leaves out the newer one whatever their names', () => {
    const older = 50;
    const out = compile({
      resources: resources(
        wide({ name: 'a-new', created: '2024-01-01T00:00:00Z', routes: 40, prefix: 'new' }),
        wide({ name: 'z-old', created: '2020-01-01T00:00:00Z', routes: older, prefix: 'old' }),
      ),
    });
    expect(routeTableEntries(out.snapshot)).toBeLessThanOrEqual(MAX_ROUTE_TABLE_ENTRIES);
    const count = (name: string) => out.snapshot.routes.filter((r) => r.source.name === name).length;
    expect(count('z-old')).toBe(older);
    expect(count('a-new')).toBe(FITTING - older);
    expect(out.problems.every((p) => p.name === 'a-new')).toBe(true);
  });

  it('counts only routes that are programmed: one lost to a conflict takes no room', () => {
    // The newer object repeats the older one's routes (Conflicted) before adding its own.
    const older = FITTING - 1;
    const out = compile({
      resources: resources(
        wide({ name: 'old', created: '2020-01-01T00:00:00Z', routes: older }),
        wide({ name: 'new', created: '2024-01-01T00:00:00Z', routes: older + 1 }),
      ),
    });
    expect(out.snapshot.routes.map((r) => r.id)).toContain(`ns/new/r${older}`);
    expect(out.snapshot.routes).toHaveLength(FITTING);
    expect(acceptedOf(out, 'new')).toMatchObject({ status: 'False', reason: 'Conflicted' });
  });
});
