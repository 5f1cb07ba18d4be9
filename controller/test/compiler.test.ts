import { describe, expect, it } from '@jest/globals';
import { SnapshotSchema, contentHash } from '@portcullis/contract';
import { COMPILER_PASSES, compile } from '../src/compiler/compile.js';
import type { AcceptedObject, CompileOutput, ObjectStatus } from '../src/compiler/types.js';
import { loadYamlText } from '../src/resources/loader.js';
import type { Resource } from '../src/resources/model.js';

const KEY =
  '{kty: EC, crv: P-256, x: NYYBo0Kd3yiv0IAuWacIB0VBYpDwf_92pZU0p1agCZU, y: rByAex6YIGq_OI5K2XXuvjCrs9KfQ7iGM02sFuVunH0}';

function rc(
  o: { name?: string; gen?: number; path?: string; tier?: string; created?: string; hosts?: string } = {},
): string {
  return `apiVersion: portcullis.io/v1alpha1
kind: RouteClassification
metadata: {name: ${o.name ?? 'api'}, namespace: ns, generation: ${o.gen ?? 1}${o.created === undefined ? '' : `, creationTimestamp: "${o.created}"`}}
spec:
  hosts: [${o.hosts ?? 'api.example.com'}]
  upstream: {url: http://127.0.0.1:9000}
  routes:
    - {name: read, methods: [GET], path: '${o.path ?? '/v1/items/{id}'}', tier: ${o.tier ?? 'internal'}}
    - {name: health, methods: [GET], path: /health, tier: public}
`;
}

function gp(o: { name?: string; gen?: number; jwks?: string; target?: string; mode?: string } = {}): string {
  return `apiVersion: portcullis.io/v1alpha1
kind: GatewayPolicy
metadata: {name: ${o.name ?? 'pol'}, namespace: ns, generation: ${o.gen ?? 1}}
spec:
  targetRefs: [{kind: RouteClassification, name: ${o.target ?? 'api'}}]
  enforcementMode: ${o.mode ?? 'Enforce'}
  authentication:
    jwt:
      - name: idp
        issuer: https://idp.example.com/
        audiences: [api]
        algorithms: [ES256]
        jwks: ${o.jwks ?? `{inline: {keys: [${KEY}]}}`}
`;
}

function resources(...docs: string[]): Resource[] {
  const load = loadYamlText(docs.join('---\n'), 'test.yaml');
  if (load.errors.length > 0) throw new Error(load.errors.map((e) => e.message).join('; '));
  return [...load.resources];
}

function statusOf(out: CompileOutput, kind: ObjectStatus['kind'], name: string): ObjectStatus {
  const s = out.statuses.find((x) => x.kind === kind && x.name === name);
  if (s === undefined) throw new Error(`no status for ${kind} ${name}`);
  return s;
}

function accepted(out: CompileOutput, kind: ObjectStatus['kind'], name: string) {
  return statusOf(out, kind, name).status.conditions.find((c) => c.type === 'Accepted');
}

describe('compiler', () => {
  it('runs its passes in the documented order', () => {
    expect(COMPILER_PASSES).toEqual([
      'validate',
      'resolve-refs',
      'keep-last-accepted',
      'conflicts',
      'attach',
      'default-deny',
      'snapshot',
      'statuses',
    ]);
  });

  it('is pure: the same input gives the same bytes', () => {
    const input = { resources: resources(rc(), gp()) };
    expect(contentHash(compile(input).snapshot)).toBe(contentHash(compile(input).snapshot));
  });

  it('programs a route with its policy and carries where each entry came from', () => {
    const out = compile({ resources: resources(rc({ gen: 4 }), gp({ gen: 2 })) });
    expect(SnapshotSchema.safeParse(out.snapshot).success).toBe(true);
    expect(out.snapshot.routes.map((r) => [r.id, r.policies, r.source.generation])).toEqual([
      ['ns/api/health', ['ns/pol'], 4],
      ['ns/api/read', ['ns/pol'], 4],
    ]);
    expect(out.snapshot.policies.map((p) => [p.id, p.source])).toEqual([
      ['ns/pol', { kind: 'GatewayPolicy', namespace: 'ns', name: 'pol', generation: 2 }],
    ]);
    expect(statusOf(out, 'GatewayPolicy', 'pol').status.observedGeneration).toBe(2);
  });

  it('leaves a policy that attaches to nothing out of the snapshot', () => {
    const out = compile({ resources: resources(rc(), gp(), gp({ name: 'stray', target: 'missing' })) });
    expect(out.snapshot.policies.map((p) => p.id)).toEqual(['ns/pol']);
    expect(accepted(out, 'GatewayPolicy', 'stray')).toMatchObject({
      status: 'False',
      reason: 'TargetNotFound',
    });
  });

  it('breaks a conflict between equally old objects by namespace/name', () => {
    const out = compile({
      resources: resources(rc({ name: 'b-api', tier: 'public' }), rc({ name: 'a-api', tier: 'public' })),
    });
    expect(out.snapshot.routes.map((r) => r.id)).toEqual(['ns/a-api/health', 'ns/a-api/read']);
    expect(accepted(out, 'RouteClassification', 'b-api')).toMatchObject({
      status: 'False',
      reason: 'Conflicted',
    });
  });

  it('lets an older object win whatever its name', () => {
    const out = compile({
      resources: resources(
        rc({ name: 'b-api', tier: 'public', created: '2020-01-01T00:00:00Z' }),
        rc({ name: 'a-api', tier: 'public', created: '2024-01-01T00:00:00Z' }),
      ),
    });
    expect(out.snapshot.routes.map((r) => r.id)).toEqual(['ns/b-api/health', 'ns/b-api/read']);
  });

  describe('routes of another namespace', () => {
    const team = (o: {
      ns: string;
      name: string;
      created: string;
      hosts: string;
      routes: string[];
    }): string =>
      `apiVersion: portcullis.io/v1alpha1
kind: RouteClassification
metadata: {name: ${o.name}, namespace: ${o.ns}, creationTimestamp: "${o.created}"}
spec:
  hosts: [${o.hosts}]
  upstream: {url: http://127.0.0.1:9000}
  defaultTier: public
  routes:
${o.routes.map((r) => `    - ${r}`).join('\n')}
`;
    const victim = (hosts: string): string =>
      team({
        ns: 'team-b',
        name: 'admin',
        created: '2020-01-01T00:00:00Z',
        hosts,
        routes: ["{name: all, methods: [GET], path: '/api/*', tier: restricted}"],
      });
    const bPolicy = gp()
      .replaceAll('namespace: ns', 'namespace: team-b')
      .replace('name: api}', 'name: admin}');

    it.each([
      ['a narrower literal path on the same host', 'api.example.com', '/api/admin'],
      ['a parameter path on the same host', 'api.example.com', '/api/{x}'],
      ["an exact host under the other namespace's wildcard", 'x.example.com', '/api/admin'],
    ])('cannot shadow a protected route with %s', (_name, hosts, path) => {
      const out = compile({
        resources: resources(
          victim(hosts === 'x.example.com' ? "'*.example.com'" : 'api.example.com'),
          bPolicy,
          team({
            ns: 'team-a',
            name: 'grab',
            created: '2024-01-01T00:00:00Z',
            hosts,
            routes: [
              `{name: grab, methods: [GET], path: '${path}'}`,
              '{name: own, methods: [GET], path: /team-a}',
            ],
          }),
        ),
      });
      expect(out.snapshot.routes.map((r) => r.id)).toEqual(['team-a/grab/own', 'team-b/admin/all']);
      expect(accepted(out, 'RouteClassification', 'grab')).toMatchObject({
        status: 'False',
        reason: 'Conflicted',
      });
    });

    it('still lets two namespaces share a host with paths that never match the same request', () => {
      const out = compile({
        resources: resources(
          victim('api.example.com'),
          bPolicy,
          team({
            ns: 'team-a',
            name: 'orders',
            created: '2024-01-01T00:00:00Z',
            hosts: 'api.example.com',
            routes: [
              "{name: orders, methods: [GET], path: '/orders/*'}",
              '{name: api, methods: [POST], path: /api/x}',
            ],
          }),
        ),
      });
      expect(out.snapshot.routes.map((r) => r.id)).toEqual([
        'team-a/orders/api',
        'team-a/orders/orders',
        'team-b/admin/all',
      ]);
    });
  });

  it('reports located problems for the CLI', () => {
    const out = compile({
      resources: resources(rc({ path: '/a/../b' }), gp({ jwks: '{secretRef: {name: nope}}' })),
    });
    expect(out.problems.map((p) => [p.kind, p.severity, p.path.join('.'), p.message])).toEqual([
      ['RouteClassification', 'error', 'spec.routes.0.path', 'dot segments are not allowed'],
      ['GatewayPolicy', 'error', 'spec.authentication.jwt.0.jwks.secretRef', 'Secret "ns/nope" not found'],
      [
        'GatewayPolicy',
        'error',
        'spec.targetRefs.0.name',
        'RouteClassification ns/api is not accepted (see its status)',
      ],
    ]);
  });
  it('refuses jwks.uri in this build instead of ignoring it', () => {
    const out = compile({
      resources: resources(rc(), gp({ jwks: '{uri: https://idp.example.com/jwks.json}' })),
    });
    expect(accepted(out, 'GatewayPolicy', 'pol')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message:
        'spec.authentication.jwt[0].jwks.uri: not supported by this version of Portcullis; use inline or secretRef',
    });
    expect(out.snapshot.routes.map((r) => r.id)).toEqual(['ns/api/health']);
  });

  it('leaves out a route that more policies attach to than a snapshot can carry', () => {
    const policies = Array.from({ length: 33 }, (_, i) => gp({ name: `p${i}` }));
    const out = compile({ resources: resources(rc(), ...policies) });
    expect(out.snapshot.routes).toEqual([]);
    expect(SnapshotSchema.safeParse(out.snapshot).success).toBe(true);
    expect(out.problems.filter((p) => p.severity === 'error').map((p) => p.message)).toEqual([
      'more than 32 GatewayPolicies attach to route "read"; route "read" is left out',
      'more than 32 GatewayPolicies attach to route "health"; route "health" is left out',
    ]);
  });

  it('reports an invalid Secret on the Secret and on the policy that uses it', () => {
    const secret =
      'apiVersion: v1\nkind: Secret\nmetadata: {name: jwks, namespace: ns}\ndata: {jwks.json: "!!"}\n';
    const out = compile({ resources: resources(rc(), gp({ jwks: '{secretRef: {name: jwks}}' }), secret) });
    const errors = out.problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => `${p.kind}: ${p.path.join('.')}: ${p.message}`)).toEqual([
      'GatewayPolicy: spec.authentication.jwt.0.jwks.secretRef: Secret "ns/jwks" is not a valid Secret (data["jwks.json"]: must be base64)',
      'Secret: data.jwks.json: must be base64',
    ]);
  });
});

describe('keep last accepted', () => {
  const first = () => compile({ resources: resources(rc({ gen: 1 }), gp({ gen: 1 })) });

  it('keeps the last accepted RouteClassification in force when a new generation is invalid', () => {
    const one = first();
    const two = compile({
      resources: resources(rc({ gen: 2, path: '/v1/../admin' }), gp()),
      previous: one.accepted,
    });
    expect(two.snapshot).toEqual(one.snapshot);
    expect(accepted(two, 'RouteClassification', 'api')).toEqual({
      type: 'Accepted',
      status: 'False',
      reason: 'Invalid',
      message: 'spec.routes[0].path: dot segments are not allowed; generation 1 stays in force',
      observedGeneration: 2,
    });
    // ...and keeps it across further compiles while the object stays broken.
    const three = compile({
      resources: resources(rc({ gen: 3, path: '/v1/../admin' }), gp()),
      previous: two.accepted,
    });
    expect(three.snapshot).toEqual(one.snapshot);
  });

  it('keeps the last accepted policy when its Secret disappears', () => {
    const secret = `apiVersion: v1
kind: Secret
metadata: {name: jwks, namespace: ns}
stringData:
  jwks.json: '{"keys": [${JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'NYYBo0Kd3yiv0IAuWacIB0VBYpDwf_92pZU0p1agCZU', y: 'rByAex6YIGq_OI5K2XXuvjCrs9KfQ7iGM02sFuVunH0' })}]}'
`;
    const withSecret = gp({ jwks: '{secretRef: {name: jwks}}' });
    const one = compile({ resources: resources(rc(), withSecret, secret) });
    expect(one.snapshot.policies).toHaveLength(1);
    const two = compile({
      resources: resources(rc(), gp({ gen: 2, jwks: '{secretRef: {name: jwks}}' })),
      previous: one.accepted,
    });
    expect(two.snapshot).toEqual(one.snapshot);
    const refs = statusOf(two, 'GatewayPolicy', 'pol').status.conditions.find(
      (c) => c.type === 'ResolvedRefs',
    );
    expect(refs).toMatchObject({
      status: 'False',
      reason: 'RefNotFound',
      message:
        'spec.authentication.jwt[0].jwks.secretRef: Secret "ns/jwks" not found; generation 1 stays in force',
    });
  });

  it('keeps a new broken object out (fail closed)', () => {
    const out = compile({
      resources: resources(rc(), gp({ jwks: '{inline: {keys: [{kty: oct, k: c2VjcmV0}]}}' })),
    });
    expect(out.snapshot.policies).toEqual([]);
    expect(out.snapshot.routes.map((r) => r.id)).toEqual(['ns/api/health']);
    expect(out.accepted.map((a: AcceptedObject) => `${a.kind}/${a.name}`)).toEqual([
      'RouteClassification/api',
    ]);
  });

  it('takes the new generation as soon as it is valid again, and forgets deleted objects', () => {
    const one = first();
    const broken = compile({
      resources: resources(rc({ gen: 2, path: '//' }), gp()),
      previous: one.accepted,
    });
    const fixed = compile({
      resources: resources(rc({ gen: 3, path: '/v2/items' }), gp()),
      previous: broken.accepted,
    });
    expect(fixed.snapshot.routes.map((r) => [r.path, r.source.generation])).toEqual([
      ['/health', 3],
      ['/v2/items', 3],
    ]);
    const deleted = compile({ resources: resources(gp()), previous: fixed.accepted });
    expect(deleted.snapshot.routes).toEqual([]);
    expect(deleted.accepted.map((a) => a.kind)).toEqual(['GatewayPolicy']);
  });

  it('re-attaches a kept policy to routes as they are now', () => {
    const one = first();
    // The policy breaks; meanwhile the RouteClassification gains a route. The kept policy covers it.
    const two = compile({
      resources: resources(rc({ gen: 2, path: '/v2/items/{id}' }), gp({ gen: 2, mode: 'Sometimes' })),
      previous: one.accepted,
    });
    expect(two.snapshot.routes.map((r) => [r.path, r.policies])).toEqual([
      ['/health', ['ns/pol']],
      ['/v2/items/{id}', ['ns/pol']],
    ]);
    expect(accepted(two, 'GatewayPolicy', 'pol')?.message).toBe(
      'spec.enforcementMode: must be one of Enforce, Audit; generation 1 stays in force',
    );
  });
});
