import { parsePathTemplate } from '@portcullis/contract';
import type { TemplateSegment } from '@portcullis/contract';
import { pathSegments } from '../traffic/path-normalise.js';
import type { CompiledRoute } from './compiled.js';

/**
 * Host -> method -> path-template trie. Built once per snapshot; a request costs a map lookup per
 * level and a walk over at most as many trie nodes as its path has segments (each trie node sits at
 * one depth, so backtracking visits it at most once).
 *
 * Precedence, from most to least specific, so that adding a broader route never captures traffic
 * that a narrower one declared:
 *   host:    exact name, then `*.suffix` (exactly one extra label: `*.a.com` matches `x.a.com`, not
 *            `a.com` nor `x.y.a.com`); when the exact host has no matching route, its wildcard is tried.
 *   segment: literal, then `{param}` (one non-empty segment), then a trailing `/*` (one or more
 *            segments, the first non-empty).
 * Literal segments compare against the canonical path, so they are case-sensitive and never match a
 * segment that still carries a percent-escape (templates cannot contain one).
 */
export interface RouteMatch {
  readonly route: CompiledRoute;
  /** Path parameters by name, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
}

interface Leaf {
  readonly route: CompiledRoute;
  readonly paramNames: readonly string[];
}

interface TrieNode {
  readonly literals: Map<string, TrieNode>;
  param: TrieNode | undefined;
  rest: Leaf | undefined;
  leaf: Leaf | undefined;
}

type MethodTable = Map<string, TrieNode>;

export type RouteTableBuild =
  { readonly ok: true; readonly table: RouteTable } | { readonly ok: false; readonly message: string };

export interface RouteEntry {
  readonly route: CompiledRoute;
  readonly hosts: readonly string[];
  readonly methods: readonly string[];
  readonly path: string;
}

export class RouteTable {
  readonly #exact: ReadonlyMap<string, MethodTable>;
  readonly #wildcard: ReadonlyMap<string, MethodTable>;

  private constructor(exact: ReadonlyMap<string, MethodTable>, wildcard: ReadonlyMap<string, MethodTable>) {
    this.#exact = exact;
    this.#wildcard = wildcard;
  }

  /**
   * Builds the table. Two routes claiming the same host, method and path shape (`/a/{x}` and
   * `/a/{y}` are the same shape) make the snapshot ambiguous, so the build fails rather than
   * silently picking one.
   */
  static build(entries: readonly RouteEntry[]): RouteTableBuild {
    const exact = new Map<string, MethodTable>();
    const wildcard = new Map<string, MethodTable>();
    for (const entry of entries) {
      const parsed = parsePathTemplate(entry.path);
      if (!parsed.ok) return { ok: false, message: `route ${entry.route.id}: path: ${parsed.message}` };
      for (const host of entry.hosts) {
        const isWildcard = host.startsWith('*.');
        const hostMap = isWildcard ? wildcard : exact;
        const key = isWildcard ? host.slice(2) : host;
        let methods = hostMap.get(key);
        if (methods === undefined) hostMap.set(key, (methods = new Map<string, TrieNode>()));
        for (const method of entry.methods) {
          let root = methods.get(method);
          if (root === undefined) methods.set(method, (root = newNode()));
          if (!insert(root, parsed.segments, entry.route)) {
            return {
              ok: false,
              message: `route ${entry.route.id}: ${host} ${method} ${entry.path} is already claimed by another route`,
            };
          }
        }
      }
    }
    return { ok: true, table: new RouteTable(exact, wildcard) };
  }

  /** `host` is lower-case without port; `path` is canonical (see path-normalise.ts). */
  match(host: string, method: string, path: string): RouteMatch | undefined {
    const segments = pathSegments(path);
    const exact = this.#exact.get(host);
    if (exact !== undefined) {
      const found = matchIn(exact, method, segments);
      if (found !== undefined) return found;
    }
    const dot = host.indexOf('.');
    if (dot <= 0) return undefined;
    const wild = this.#wildcard.get(host.slice(dot + 1));
    return wild === undefined ? undefined : matchIn(wild, method, segments);
  }
}

function newNode(): TrieNode {
  return { literals: new Map(), param: undefined, rest: undefined, leaf: undefined };
}

function insert(root: TrieNode, segments: readonly TemplateSegment[], route: CompiledRoute): boolean {
  let node = root;
  const paramNames: string[] = [];
  for (const seg of segments) {
    if (seg.kind === 'rest') {
      if (node.rest !== undefined) return false;
      node.rest = { route, paramNames };
      return true;
    }
    if (seg.kind === 'param') {
      paramNames.push(seg.name);
      node = node.param ??= newNode();
      continue;
    }
    let next = node.literals.get(seg.value);
    if (next === undefined) node.literals.set(seg.value, (next = newNode()));
    node = next;
  }
  if (node.leaf !== undefined) return false;
  node.leaf = { route, paramNames };
  return true;
}

function matchIn(methods: MethodTable, method: string, segments: readonly string[]): RouteMatch | undefined {
  const root = methods.get(method);
  if (root === undefined) return undefined;
  const captured: string[] = [];
  const leaf = walk(root, 0, { segments, captured });
  if (leaf === undefined) return undefined;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [i, name] of leaf.paramNames.entries()) params[name] = decodeParam(captured[i] ?? '');
  return { route: leaf.route, params };
}

interface Walk {
  readonly segments: readonly string[];
  /** Values of the `{param}` segments on the current path, in order. */
  readonly captured: string[];
}

function walk(node: TrieNode, i: number, state: Walk): Leaf | undefined {
  const { segments, captured } = state;
  const seg = segments[i];
  if (seg === undefined) return node.leaf;
  const literal = node.literals.get(seg);
  if (literal !== undefined) {
    const found = walk(literal, i + 1, state);
    if (found !== undefined) return found;
  }
  if (seg === '') return undefined;
  if (node.param !== undefined) {
    captured.push(seg);
    const found = walk(node.param, i + 1, state);
    if (found !== undefined) return found;
    captured.pop();
  }
  return node.rest;
}

/** The canonical path holds only well-formed UTF-8 escapes, so this cannot throw in practice. */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
