import { z } from 'zod';
import { HTTP_METHODS, TIERS, parsePathTemplate } from '@portcullis/contract';
import type { HttpMethod, Tier } from '@portcullis/contract';
import type { Problem } from '../resources/field-path.js';
import {
  always,
  dnsLabel,
  host,
  httpUrl,
  member,
  metadataWithName,
  NOT_SUPPORTED,
  pathTemplate,
  uniqueItems,
  unsupported,
} from './primitives.js';
import { validateWith } from './issues.js';
import type { Validated } from './issues.js';

/** RouteClassification shape (portcullis.io/v1alpha1): what the CRD schema says, plus cross-field rules. */

export const ROUTE_CLASSIFICATION_LIMITS = { hosts: 64, routes: 256, categories: 16 } as const;

const method = z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')} (upper case)` });

const category = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be a lowercase tag such as pii or financial');

const route = z.strictObject({
  name: dnsLabel,
  methods: z
    .array(method)
    .min(1)
    .max(HTTP_METHODS.length)
    .superRefine(...uniqueItems('method')),
  path: pathTemplate,
  tier: z.enum(TIERS).optional(),
  categories: z
    .array(category)
    .max(ROUTE_CLASSIFICATION_LIMITS.categories)
    .superRefine(...uniqueItems('category'))
    .default([]),
  params: unsupported(),
  query: unsupported(),
  body: unsupported(),
});

const upstream = z
  .strictObject({
    url: httpUrl.optional(),
    service: z.strictObject({ name: dnsLabel, port: z.int().min(1).max(65535) }).optional(),
    timeoutMs: z.int().min(1).max(300_000).default(5000),
    tls: unsupported(),
  })
  .superRefine((u, ctx) => {
    if ((u.url === undefined) === (u.service === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of url or service is required' });
    }
  });

export const RouteClassificationSpecSchema = z
  .strictObject({
    hosts: z
      .array(host)
      .min(1)
      .max(ROUTE_CLASSIFICATION_LIMITS.hosts)
      .superRefine(...uniqueItems('host')),
    upstream,
    defaultTier: z.enum(TIERS).default('internal'),
    routes: z.array(route).min(1).max(ROUTE_CLASSIFICATION_LIMITS.routes),
  })
  .superRefine(...always(routeCrossChecks));

/**
 * Rules across routes: unique names, and no two routes of one object matching the same request
 * (its tier would be ambiguous). Runs on the raw value, so it checks types as it goes.
 */
function routeCrossChecks(spec: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  const routes =
    typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>)['routes'] : undefined;
  if (!Array.isArray(routes)) return;
  const names = new Map<string, number>();
  const claims = new Map<string, number>();
  (routes as readonly unknown[]).forEach((r, i) => {
    const name = member('name')(r);
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'name'],
          message: `duplicate route name (same as routes[${first}])`,
        });
      } else {
        names.set(name, i);
      }
    }
    const path = member('path')(r);
    const methods =
      typeof r === 'object' && r !== null ? (r as Record<string, unknown>)['methods'] : undefined;
    if (path === undefined || !Array.isArray(methods) || !parsePathTemplate(path).ok) return;
    for (const m of (methods as readonly unknown[]).filter((x): x is string => typeof x === 'string')) {
      const k = `${m} ${matcherKey(path)}`;
      const other = claims.get(k);
      if (other !== undefined && other !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i],
          message: `${m} ${path} is also declared by routes[${other}]`,
        });
        return;
      }
      claims.set(k, i);
    }
  });
}

export const RouteClassificationSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: metadataWithName(),
  spec: RouteClassificationSpecSchema,
  // Written by the controller; ignored on input, as the API server ignores it on the main resource.
  status: z.unknown().optional(),
});

export type RouteClassificationSpec = z.output<typeof RouteClassificationSpecSchema>;

export function validateRouteClassification(object: unknown): Validated<RouteClassificationSpec> {
  const r = validateWith(RouteClassificationSchema, object);
  return r.ok ? { ok: true, value: r.value.spec } : r;
}

/**
 * The request shape a template matches, whatever its parameter names: `/v1/{id}` and `/v1/{cardId}`
 * match exactly the same requests, so they are the same route for conflict purposes.
 */
export function matcherKey(path: string): string {
  const parsed = parsePathTemplate(path);
  if (!parsed.ok) return path;
  if (parsed.segments.length === 0) return '/';
  return parsed.segments
    .map((s) => (s.kind === 'literal' ? `/${s.value}` : s.kind === 'param' ? '/{}' : '/*'))
    .join('');
}

/** The validated, normalised model the compiler works with (sorted lists, defaults applied). */
export interface RouteModel {
  /** Index in spec.routes, for field paths in status messages. */
  readonly index: number;
  readonly name: string;
  readonly methods: readonly HttpMethod[];
  readonly path: string;
  readonly tier: Tier;
  readonly categories: readonly string[];
}

export interface RouteClassificationModel {
  readonly hosts: readonly string[];
  readonly upstream: { readonly url: string; readonly timeoutMs: number };
  readonly routes: readonly RouteModel[];
}

/**
 * Normalises a valid spec. `upstream.service` is valid shape (it is how a cluster names a backend)
 * but this build only runs locally, where there is no Service to resolve.
 */
export function toRouteClassificationModel(
  spec: RouteClassificationSpec,
): { ok: true; model: RouteClassificationModel } | { ok: false; problems: Problem[] } {
  const url = spec.upstream.url;
  if (url === undefined) {
    return {
      ok: false,
      problems: [{ path: ['spec', 'upstream', 'service'], message: `${NOT_SUPPORTED}; use url` }],
    };
  }
  return {
    ok: true,
    model: {
      hosts: [...spec.hosts].sort(),
      upstream: { url, timeoutMs: spec.upstream.timeoutMs },
      routes: spec.routes.map((r, index) => ({
        index,
        name: r.name,
        methods: [...r.methods].sort(),
        path: r.path,
        tier: r.tier ?? spec.defaultTier,
        categories: [...r.categories].sort(),
      })),
    },
  };
}
