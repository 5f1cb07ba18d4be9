import type { z } from 'zod';
import type { FieldPath, Problem } from '../resources/field-path.js';

/**
 * Turns zod issues into field-path problems with short messages a user can act on. zod's defaults
 * ("Too big: expected string to have <=253 characters") are written for developers; schemas that
 * carry their own message (regex and refinements) keep it, because a schema-level message wins over
 * this per-parse map in zod 4.
 */
export const errorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${article(issue.expected)}, got ${describe(issue.input)}`;
    case 'too_big':
      return bound('at most', issue.origin, issue.maximum);
    case 'too_small':
      if ((issue.origin === 'array' || issue.origin === 'string') && issue.minimum === 1)
        return 'must not be empty';
      return bound('at least', issue.origin, issue.minimum);
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a valid URL' : `must be a valid ${issue.format}`;
    case 'invalid_key':
      // zod's own text is "Invalid key in record"; the key's schema says what is wrong with it.
      return `invalid key: ${issue.issues[0]?.message ?? 'not allowed here'}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    default:
      return undefined;
  }
};

function bound(word: string, origin: string, n: number | bigint): string {
  const amount = String(n);
  if (origin === 'string') return `${word} ${amount} characters`;
  if (origin === 'array' || origin === 'set') return `${word} ${amount} items`;
  return `must be ${word} ${amount}`;
}

function article(expected: string): string {
  const names: Record<string, string> = {
    int: 'an integer',
    object: 'an object',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    boolean: 'true or false',
  };
  return names[expected] ?? expected;
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'number' && !Number.isInteger(input)) return 'a fraction';
  return typeof input === 'object' ? 'an object' : `a ${typeof input}`;
}

export function issuesToProblems(issues: readonly z.core.$ZodIssue[], base: FieldPath = []): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const at = [...base, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...at, key], message: 'unknown field' });
    } else {
      out.push({ path: at, message: issue.message });
    }
  }
  return out.sort(comparePaths);
}

/** Problems in document order (by path), so messages read top to bottom like the file. */
function comparePaths(a: Problem, b: Problem): number {
  const n = Math.min(a.path.length, b.path.length);
  for (let i = 0; i < n; i++) {
    const x = a.path[i];
    const y = b.path[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.path.length - b.path.length;
}

export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: Problem[] };

export function validateWith<S extends z.ZodType>(schema: S, input: unknown): Validated<z.output<S>> {
  const r = schema.safeParse(input, { error: errorMap });
  return r.success ? { ok: true, value: r.data } : { ok: false, problems: issuesToProblems(r.error.issues) };
}
