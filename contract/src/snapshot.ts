import { z } from 'zod';
import {
  DNS_SUBDOMAIN,
  HOST_PATTERN,
  parsePathTemplate,
  routeEntries,
  upstreamUrlProblem,
} from './grammar.js';
import type { DeepReadonly } from './readonly.js';

/**
 * The snapshot format: the only thing the controller and the proxy share. This one zod schema gives
 * both the TypeScript types and the runtime validation the proxy runs on every snapshot it receives,
 * so it is written for hostile input: every object is strict, every string and list is bounded.
 *
 * Deterministic order (what the controller emits and the hash covers): routes sorted by id, policies
 * sorted by id, each route's policies sorted, hosts and methods sorted; see docs/snapshot.md.
 */

export const SNAPSHOT_SCHEMA_VERSION = 1;

const shortString = z.string().min(1).max(253);
const name = z.string().max(253).regex(DNS_SUBDOMAIN, 'must be a DNS subdomain (Kubernetes object name)');

export const TIERS = ['public', 'internal', 'confidential', 'restricted'] as const;
export const TierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof TierSchema>;

export const HTTP_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;
export const HttpMethodSchema = z.enum(HTTP_METHODS);
export type HttpMethod = z.infer<typeof HttpMethodSchema>;

export const ENFORCEMENT_MODES = ['Enforce', 'Audit'] as const;
export const EnforcementModeSchema = z.enum(ENFORCEMENT_MODES);

/** Asymmetric JWS algorithms only: `none` and HS* can never be expressed (RFC 8725 §3.1, §3.2). */
export const JWT_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const;
export const JwtAlgorithmSchema = z.enum(JWT_ALGORITHMS);
export type JwtAlgorithm = z.infer<typeof JwtAlgorithmSchema>;

export const SourceSchema = z.strictObject({
  kind: z.enum(['RouteClassification', 'GatewayPolicy']),
  namespace: name,
  name,
  generation: z.int().min(0),
});
export type Source = z.infer<typeof SourceSchema>;

const b64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .max(2048);

/**
 * A public JWK. Private members (d, p, q, dp, dq, qi, k) cannot appear: the strict object refuses
 * them, so a controller bug can never ship private key material to every proxy.
 */
export const PublicJwkSchema = z.strictObject({
  kty: z.enum(['EC', 'OKP', 'RSA']),
  kid: z.string().min(1).max(256).optional(),
  alg: JwtAlgorithmSchema.optional(),
  use: z.literal('sig').optional(),
  crv: z.enum(['P-256', 'P-384', 'P-521', 'Ed25519']).optional(),
  x: b64url.optional(),
  y: b64url.optional(),
  n: b64url.optional(),
  e: b64url.optional(),
});
export type PublicJwk = z.infer<typeof PublicJwkSchema>;

/**
 * Headers the proxy sets itself on every forwarded request; a claim forwarded in one of them would
 * let a token holder choose its value (a spoofed client address, a request id that points the
 * upstream's logs at another request).
 */
export function isProxySetHeader(lowerCaseName: string): boolean {
  return (
    lowerCaseName.startsWith('x-forwarded-') ||
    lowerCaseName === 'x-real-ip' ||
    lowerCaseName === 'x-request-id'
  );
}

const headerName = z
  .string()
  .regex(/^x-[a-z0-9-]{1,62}$/, 'must be a lowercase header name starting with x-')
  .refine((h) => !isProxySetHeader(h), { error: 'is set by the proxy and cannot carry a claim' });

export const JwtProviderSchema = z.strictObject({
  name,
  issuer: z.string().min(1).max(2048),
  audiences: z.array(z.string().min(1).max(2048)).min(1).max(16),
  algorithms: z.array(JwtAlgorithmSchema).min(1).max(JWT_ALGORITHMS.length),
  clockSkewSeconds: z.int().min(0).max(300),
  keys: z.array(PublicJwkSchema).min(1).max(64),
  forwardClaims: z.array(z.strictObject({ claim: z.string().min(1).max(128), header: headerName })).max(16),
});
export type JwtProvider = z.infer<typeof JwtProviderSchema>;

export const PolicySchema = z.strictObject({
  id: z.string().min(3).max(507),
  source: SourceSchema,
  enforcementMode: EnforcementModeSchema,
  authentication: z.strictObject({
    jwt: z.array(JwtProviderSchema).max(8),
  }),
});
export type Policy = z.infer<typeof PolicySchema>;

/** An upstream URL by upstreamUrlProblem's rule; the controller's validator uses this same schema. */
export const UpstreamUrlSchema = z.string().superRefine((url, ctx) => {
  const problem = upstreamUrlProblem(url);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export const RouteSchema = z.strictObject({
  id: z.string().min(5).max(761),
  source: SourceSchema,
  hosts: z
    .array(z.string().max(253).regex(HOST_PATTERN, 'must be a lowercase DNS name or *.name'))
    .min(1)
    .max(64),
  methods: z.array(HttpMethodSchema).min(1).max(HTTP_METHODS.length),
  path: z.string().superRefine((path, ctx) => {
    const parsed = parsePathTemplate(path);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  }),
  tier: TierSchema,
  categories: z.array(shortString).max(16),
  upstream: z.strictObject({
    url: UpstreamUrlSchema,
    timeoutMs: z.int().min(1).max(300_000),
  }),
  /** Policy ids that all apply (conjunction); empty only for public routes. */
  policies: z.array(z.string().min(3).max(507)).max(32),
});
export type Route = z.infer<typeof RouteSchema>;

export const SnapshotSchema = z
  .strictObject({
    schemaVersion: z.literal(SNAPSHOT_SCHEMA_VERSION),
    routes: z.array(RouteSchema).max(20_000),
    policies: z.array(PolicySchema).max(5_000),
  })
  .superRefine((snap, ctx) => {
    const policyIds = new Set<string>();
    for (const [i, p] of snap.policies.entries()) {
      if (policyIds.has(p.id))
        ctx.addIssue({ code: 'custom', path: ['policies', i, 'id'], message: 'duplicate policy id' });
      policyIds.add(p.id);
    }
    const routeIds = new Set<string>();
    for (const [i, r] of snap.routes.entries()) {
      if (routeIds.has(r.id))
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'id'], message: 'duplicate route id' });
      routeIds.add(r.id);
      for (const [j, pid] of r.policies.entries()) {
        if (!policyIds.has(pid)) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', i, 'policies', j],
            message: `unknown policy "${pid}"`,
          });
        }
      }
      // Fail closed at the format level too: a non-public route with no policy is never valid.
      if (r.tier !== 'public' && r.policies.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'policies'],
          message: 'a non-public route needs a policy',
        });
      }
    }
  });

export type Snapshot = DeepReadonly<z.infer<typeof SnapshotSchema>>;

/**
 * The proxy compiles routes into one path trie per host and method, so its memory and compile time
 * grow with hosts x methods x path depth, not with the route count the schema bounds. Within the
 * schema's own limits a 1.9 MiB snapshot (1200 routes, 64 hosts, 7 methods, 32-segment paths)
 * exhausted a 4 GiB heap. About 250 bytes and under a microsecond per entry were measured, so this
 * budget keeps a compile to roughly 250 MiB and one second. It is deliberately not part of
 * SnapshotSchema: the controller treats a schema failure as its own bug, so it has to leave routes
 * out under this budget itself; the proxy refuses a snapshot over it with CompileFailed.
 */
export const MAX_ROUTE_TABLE_ENTRIES = 1_000_000;

/** Upper bound on the trie nodes the proxy builds for a snapshot: sum of hosts x methods x (depth + 1). */
export function routeTableEntries(snapshot: Snapshot): number {
  let total = 0;
  for (const r of snapshot.routes) total += routeEntries(r.hosts.length, r.methods.length, r.path);
  return total;
}

/** The signed payload: a content-addressed snapshot with a monotonic version. */
export const SignedPayloadSchema = z.strictObject({
  version: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  snapshot: SnapshotSchema,
});
export type SignedPayload = DeepReadonly<z.infer<typeof SignedPayloadSchema>>;

/** An empty snapshot: everything is a shadow route. Useful as the compiler's identity and in tests. */
export function emptySnapshot(): Snapshot {
  return { schemaVersion: SNAPSHOT_SCHEMA_VERSION, routes: [], policies: [] };
}
