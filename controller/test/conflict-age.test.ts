import { describe, expect, it } from '@jest/globals';
import { compile } from '../src/compiler/compile.js';
import { loadYamlText } from '../src/resources/loader.js';

const rc = (name: string, created?: string) => `apiVersion: portcullis.io/v1alpha1
kind: RouteClassification
metadata: {name: ${name}, namespace: ns${created === undefined ? '' : `, creationTimestamp: "${created}"`}}
spec:
  hosts: [api.example.com]
  upstream: {url: http://127.0.0.1:9000}
  routes:
    - {name: health, methods: [GET], path: /health, tier: public}
`;

function compileDocs(...docs: string[]) {
  const load = loadYamlText(docs.join('---\n'), 'age.yaml');
  if (load.errors.length > 0) throw new Error(load.errors.map((e) => e.message).join('; '));
  return compile({ resources: [...load.resources] });
}

/**
 * Conflicts go to the older object (creationTimestamp, then namespace/name). An object without a
 * creationTimestamp (a local file, before any API server stamped it) counts as the newest, so it can
 * never take a route from one that a cluster has held since 2020, even with a name sorting first.
 */
describe('conflict ordering by age', () => {
  it.each([
    ['listed first', [rc('a-api'), rc('b-api', '2020-01-01T00:00:00Z')]],
    ['listed last', [rc('b-api', '2020-01-01T00:00:00Z'), rc('a-api')]],
  ])('an object with no creationTimestamp loses to one created in 2020 (%s)', (_order, docs) => {
    const out = compileDocs(...docs);
    expect(out.snapshot.routes.map((r) => r.id)).toEqual(['ns/b-api/health']);
    const loser = out.statuses.find((s) => s.name === 'a-api');
    expect(loser?.status.conditions.find((c) => c.type === 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'Conflicted',
      message: expect.stringContaining('the older RouteClassification ns/b-api'),
    });
  });
});
