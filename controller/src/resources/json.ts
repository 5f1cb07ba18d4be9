import type { FieldPath } from './field-path.js';

/** The JSON data model: all a Kubernetes object can hold once it is parsed. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

export type HardenResult =
  /** `nodes`: values built, aliases expanded (a file-wide budget adds these up). */
  | { readonly ok: true; readonly value: JsonValue; readonly nodes: number }
  | { readonly ok: false; readonly path: FieldPath; readonly message: string };

export interface HardenLimits {
  readonly maxDepth: number;
  readonly maxNodes: number;
}

export const DEFAULT_HARDEN_LIMITS: HardenLimits = { maxDepth: 64, maxNodes: 200_000 };

/**
 * Copies a parsed document into plain JSON, refusing anything a Kubernetes object cannot hold.
 * Input is hostile: a `__proto__` key has no meaning in any of our kinds and is the classic way to
 * reach an object's prototype, so it is refused outright rather than trusted to every later reader;
 * non-finite numbers (`.inf`, `1e400`) would hash differently from what the user wrote; depth and
 * node count are capped so that a small file cannot expand (through aliases) into a huge tree.
 * Objects are rebuilt with `Object.defineProperty`, so no key can ever act as a setter.
 */
export function hardenJson(value: unknown, limits: HardenLimits = DEFAULT_HARDEN_LIMITS): HardenResult {
  let nodes = 0;
  const fail = (path: FieldPath, message: string) => ({ ok: false, path, message }) as const;

  type Walked = { readonly ok: true; readonly value: JsonValue } | Extract<HardenResult, { ok: false }>;
  const walk = (v: unknown, path: (string | number)[]): Walked => {
    nodes += 1;
    if (nodes > limits.maxNodes) return fail(path, `document has more than ${limits.maxNodes} values`);
    if (path.length > limits.maxDepth) return fail(path, `nested deeper than ${limits.maxDepth} levels`);
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return { ok: true, value: v };
    if (typeof v === 'number') {
      return Number.isFinite(v) ? { ok: true, value: v } : fail(path, 'numbers must be finite');
    }
    if (Array.isArray(v)) {
      const out: JsonValue[] = [];
      for (const [i, item] of (v as unknown[]).entries()) {
        const r = walk(item, [...path, i]);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    if (typeof v === 'object' && isPlainObject(v)) {
      const out: Record<string, JsonValue> = {};
      for (const key of Object.keys(v)) {
        if (key === '__proto__') return fail([...path, key], 'the key "__proto__" is not allowed');
        const r = walk((v as Record<string, unknown>)[key], [...path, key]);
        if (!r.ok) return r;
        Object.defineProperty(out, key, {
          value: r.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return { ok: true, value: out };
    }
    return fail(path, `not a JSON value (${describeNonJson(v)})`);
  };
  const r = walk(value, []);
  return r.ok ? { ...r, nodes } : r;
}

function describeNonJson(v: unknown): string {
  if (typeof v !== 'object' || v === null) return `a ${typeof v}`;
  const name: unknown = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && /^\w{1,32}$/.test(name) ? `a ${name}` : 'an object';
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
