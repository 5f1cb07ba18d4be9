import { parsePathTemplate } from '@portcullis/contract';
import type { TemplateSegment } from '@portcullis/contract';

/**
 * Whether two routes could match one request, by the proxy's matching rules (proxy
 * compile/route-table.ts): a `{param}` is one non-empty segment, a trailing `*` one or more segments
 * whose first is non-empty, an empty last literal a trailing slash. Used between namespaces, where
 * the proxy's "most specific wins" would otherwise let a newer object take requests that an older
 * object of another team declared (and protected).
 */

export interface Claim<T> {
  readonly namespace: string;
  readonly hosts: readonly string[];
  readonly methods: readonly string[];
  readonly path: string;
  readonly owner: T;
}

interface Indexed<T> {
  readonly claim: Claim<T>;
  readonly hosts: ReadonlySet<string>;
  /** `a.com` for each exact host `x.a.com`: what a `*.a.com` elsewhere would cover. */
  readonly parents: ReadonlySet<string>;
  readonly segments: readonly TemplateSegment[];
}

/**
 * Claims of routes already programmed, bucketed by their first path segment so that a request for
 * overlaps only looks at templates that could share it (a literal first segment meets only the same
 * literal, a parameter or a `*`).
 */
export class ClaimIndex<T> {
  readonly #buckets = new Map<string, Indexed<T>[]>();

  add(claim: Claim<T>): void {
    const parsed = parsePathTemplate(claim.path);
    if (!parsed.ok) return;
    const entry: Indexed<T> = {
      claim,
      hosts: new Set(claim.hosts),
      parents: new Set(claim.hosts.flatMap((h) => (h.startsWith('*.') ? [] : (parentOf(h) ?? [])))),
      segments: parsed.segments,
    };
    const key = bucketOf(parsed.segments[0]);
    const list = this.#buckets.get(key);
    if (list === undefined) this.#buckets.set(key, [entry]);
    else list.push(entry);
  }

  /** The first claim from another namespace that could match a request `claim` also matches. */
  overlapFromOtherNamespace(claim: Claim<T>): Claim<T> | undefined {
    const parsed = parsePathTemplate(claim.path);
    // Validation refused bad templates long before this pass; with nothing to compare, refuse nothing.
    if (!parsed.ok) return undefined;
    const first = parsed.segments[0];
    const keys = first?.kind === 'literal' ? [bucketOf(first), '{}', '*'] : undefined;
    const candidates =
      keys === undefined ? [...this.#buckets.values()] : keys.map((k) => this.#buckets.get(k));
    for (const list of candidates) {
      for (const other of list ?? []) {
        if (other.claim.namespace === claim.namespace) continue;
        if (!claim.methods.some((m) => other.claim.methods.includes(m))) continue;
        if (!claim.hosts.some((h) => hostOverlaps(h, other))) continue;
        if (segmentsOverlap(parsed.segments, other.segments)) return other.claim;
      }
    }
    return undefined;
  }
}

/** `*.a.com` covers `x.a.com` (exactly one extra label), as the proxy's wildcard does. */
function hostOverlaps<T>(host: string, other: Indexed<T>): boolean {
  if (other.hosts.has(host)) return true;
  if (host.startsWith('*.')) return other.parents.has(host.slice(2));
  const parent = parentOf(host);
  return parent !== undefined && other.hosts.has(`*.${parent}`);
}

/** What a wildcard would have to name to cover `host`; a single-label host has none. */
function parentOf(host: string): string | undefined {
  const dot = host.indexOf('.');
  return dot > 0 ? host.slice(dot + 1) : undefined;
}

function bucketOf(seg: TemplateSegment | undefined): string {
  if (seg === undefined) return '/';
  if (seg.kind === 'literal') return `=${seg.value}`;
  return seg.kind === 'param' ? '{}' : '*';
}

/** Iterative: templates are at most 32 segments, and `*` only ends one. */
function segmentsOverlap(a: readonly TemplateSegment[], b: readonly TemplateSegment[]): boolean {
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === y;
    if (x.kind === 'rest') return matchesNonEmptyStart(y);
    if (y.kind === 'rest') return matchesNonEmptyStart(x);
    if (x.kind === 'literal' && y.kind === 'literal') {
      if (x.value !== y.value) return false;
    } else if (x.kind === 'literal' || y.kind === 'literal') {
      // A parameter never matches the empty trailing-slash segment.
      const literal = x.kind === 'literal' ? x : y;
      if (literal.kind === 'literal' && literal.value === '') return false;
    }
  }
}

/** A `*` takes the rest of the path from here: it needs a first segment that is not empty. */
function matchesNonEmptyStart(seg: TemplateSegment): boolean {
  return !(seg.kind === 'literal' && seg.value === '');
}
