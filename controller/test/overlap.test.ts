import { describe, expect, it } from '@jest/globals';
import { ClaimIndex } from '../src/compiler/passes/overlap.js';

function overlaps(a: { ns?: string; hosts?: string[]; path: string }, b: { hosts?: string[]; path: string }) {
  const index = new ClaimIndex<string>();
  index.add({ namespace: 'b', hosts: b.hosts ?? ['a.com'], methods: ['GET'], path: b.path, owner: 'b' });
  const claim = {
    namespace: a.ns ?? 'a',
    hosts: a.hosts ?? ['a.com'],
    methods: ['GET'],
    path: a.path,
    owner: 'a',
  };
  return index.overlapFromOtherNamespace(claim) !== undefined;
}

describe('cross-namespace route overlap (proxy matching rules)', () => {
  it.each([
    ['/api/admin', '/api/*', true],
    ['/api/{x}', '/api/admin', true],
    ['/api/{x}/b', '/api/c/*', true],
    ['/*', '/', false],
    ['/a/', '/a/{x}', false],
    ['/a/', '/a/*', false],
    ['/a/b', '/a/b/', false],
    ['/a/{x}', '/a/{y}/c', false],
    ['/orders/*', '/api/*', false],
  ])('%s against %s: %s', (a, b, expected) => {
    expect(overlaps({ path: a }, { path: b })).toBe(expected);
    expect(overlaps({ path: b }, { path: a })).toBe(expected);
  });

  it.each([
    [['x.a.com'], ['*.a.com'], true],
    [['*.a.com'], ['x.a.com'], true],
    [['x.y.a.com'], ['*.a.com'], false],
    [['a.com'], ['*.a.com'], false],
    [['localhost'], ['*.localhost'], false],
    [['b.com'], ['a.com'], false],
  ])('hosts %j against %j: %s', (a, b, expected) => {
    expect(overlaps({ hosts: a, path: '/x' }, { hosts: b, path: '/x' })).toBe(expected);
  });

  it("ignores routes of the same namespace (their precedence is that team's design)", () => {
    expect(overlaps({ ns: 'b', path: '/api/admin' }, { path: '/api/*' })).toBe(false);
  });
});
