/**
 * Lexical rules shared by the controller (which rejects bad input with a field path) and the proxy
 * (which re-checks every snapshot it receives). One definition, so the two can never disagree.
 */

/**
 * A Kubernetes object name (RFC 1123 subdomain): lowercase labels joined by dots, at most 253
 * characters. Snapshot ids join names with "/", so dots never make an id ambiguous.
 */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A DNS name in lowercase, or one leading wildcard label (`*.example.com`). IPv4 literals pass too. */
export const HOST_PATTERN =
  /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * A literal path segment: RFC 3986 pchar without percent-encoding, `*`, `;` or dot-only segments.
 * `;` is out because the proxy refuses it in request paths (servlet containers read `;parameters`
 * differently from a matcher), so a route declaring one could never be reached.
 */
export const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()+,=:@-]+$/;

/** A path parameter segment: `{name}`. */
export const PARAM_SEGMENT = /^\{([A-Za-z_][A-Za-z0-9_]{0,63})\}$/;

export const MAX_PATH_LENGTH = 1024;
export const MAX_PATH_SEGMENTS = 32;

export type TemplateSegment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'rest' };

export type TemplateParse =
  | { readonly ok: true; readonly segments: readonly TemplateSegment[] }
  | { readonly ok: false; readonly message: string };

/**
 * Parses a route path template: `/`, literal segments, `{param}` segments, and an optional trailing
 * `/*` that matches any remainder (one or more segments). A trailing slash is significant, as it is
 * to most upstreams. Duplicate parameter names, empty segments and `.`/`..` segments are refused
 * because they make two different requests look alike.
 */
export function parsePathTemplate(path: string): TemplateParse {
  if (path.length > MAX_PATH_LENGTH)
    return { ok: false, message: `longer than ${MAX_PATH_LENGTH} characters` };
  if (!path.startsWith('/')) return { ok: false, message: 'must start with "/"' };
  if (path === '/') return { ok: true, segments: [] };
  const raw = path.slice(1).split('/');
  if (raw.length > MAX_PATH_SEGMENTS)
    return { ok: false, message: `more than ${MAX_PATH_SEGMENTS} segments` };
  const segments: TemplateSegment[] = [];
  const names = new Set<string>();
  for (const [i, seg] of raw.entries()) {
    const last = i === raw.length - 1;
    if (seg === '*') {
      if (!last) return { ok: false, message: '"*" is allowed only as the last segment' };
      segments.push({ kind: 'rest' });
      continue;
    }
    if (seg === '') {
      if (last) {
        segments.push({ kind: 'literal', value: '' });
        continue;
      }
      return { ok: false, message: 'empty segment ("//")' };
    }
    const param = PARAM_SEGMENT.exec(seg);
    if (param?.[1] !== undefined) {
      if (names.has(param[1])) return { ok: false, message: `parameter "${param[1]}" appears twice` };
      names.add(param[1]);
      segments.push({ kind: 'param', name: param[1] });
      continue;
    }
    if (seg === '.' || seg === '..') return { ok: false, message: 'dot segments are not allowed' };
    if (!LITERAL_SEGMENT.test(seg)) {
      return { ok: false, message: `segment "${seg}" has characters outside the allowed set` };
    }
    segments.push({ kind: 'literal', value: seg });
  }
  return { ok: true, segments };
}

/**
 * Trie nodes one route adds to the proxy's route table: a path of `n` segments under each of its
 * hosts x methods costs n + 1 entries (see MAX_ROUTE_TABLE_ENTRIES). One formula for the controller,
 * which budgets routes with it, and the proxy, which refuses a snapshot over the limit.
 */
export function routeEntries(hosts: number, methods: number, path: string): number {
  const parsed = parsePathTemplate(path);
  return hosts * methods * ((parsed.ok ? parsed.segments.length : 0) + 1);
}

export const MAX_UPSTREAM_URL_LENGTH = 2048;

/**
 * Why a string cannot be an upstream URL, or undefined when it can: http(s) only, no credentials,
 * no query, no fragment. Each would be dropped or mangled by the forwarder (a query in particular
 * would be merged with the client's), so the proxy refuses a snapshot holding one; the controller
 * checks with this same rule, so it never signs a snapshot every proxy would refuse.
 */
export function upstreamUrlProblem(value: string): string | undefined {
  if (value.length > MAX_UPSTREAM_URL_LENGTH) return `must be at most ${MAX_UPSTREAM_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials (user:password@)';
  // The raw text, not url.search/url.hash: `http://x/?` has an empty search but still a "?", and
  // either character anywhere after the (already credential-free) authority starts a query or fragment.
  if (value.includes('?')) return 'must not have a ?query';
  if (value.includes('#')) return 'must not have a #fragment';
  return undefined;
}
