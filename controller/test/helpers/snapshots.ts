import type { Snapshot } from '@portcullis/contract';

/** A snapshot with a single public GET route at `path`, so that different paths give different hashes. */
export const oneRouteSnapshot = (path: string): Snapshot => ({
  schemaVersion: 1,
  policies: [],
  routes: [
    {
      id: 'ns/rc/r',
      source: { kind: 'RouteClassification', namespace: 'ns', name: 'rc', generation: 1 },
      hosts: ['a.example.com'],
      methods: ['GET'],
      path,
      tier: 'public',
      categories: [],
      upstream: { url: 'http://127.0.0.1:9', timeoutMs: 1000 },
      policies: [],
    },
  ],
});
