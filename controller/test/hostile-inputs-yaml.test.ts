import { describe, expect, it } from '@jest/globals';
import { problemText } from '../src/resources/field-path.js';
import { loadYamlText } from '../src/resources/loader.js';
import type { LoadResult } from '../src/resources/loader.js';
import { YAML_LIMITS } from '../src/resources/yaml.js';
import { shapeProblems } from '../src/validation/index.js';

/**
 * YAML a hostile user could hand to `validate`, `compile` or `up`: each must come back as an error
 * naming the file (and the line, and the field when there is one), never as a throw, a hang, a
 * polluted prototype, or a value that differs from what the file shows.
 */

const secret = (rest: string, name = 's') =>
  `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}}\n${rest}`;

/** The one error of a load, as `line: message`; fails the test when there is not exactly one. */
function onlyError(r: LoadResult): string {
  expect(r.errors).toHaveLength(1);
  const e = r.errors[0];
  expect(e?.file).toBe('h.yaml');
  return `${e?.line}: ${e?.message}`;
}

const load = (text: string) => loadYamlText(text, 'h.yaml');

describe('hostile YAML: expansion and size', () => {
  it('stops a billion-laughs alias bomb', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 9; i++) {
      const [prev, next] = [String.fromCharCode(97 + i), String.fromCharCode(98 + i)];
      lines.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const r = load(secret(`${lines.join('\n')}\n`));
    expect(r.resources).toEqual([]);
    expect(onlyError(r)).toMatch(/^1: Excessive alias count/);
  });

  it('keeps "<<" an ordinary key (no merging), and caps a chain of merges like any alias chain', () => {
    const chain = (n: number) => {
      const lines = ['a: &a {k: 1}'];
      for (let i = 0; i < n; i++) lines.push(`m${i}: &m${i} {<<: [${i === 0 ? '*a' : `*m${i - 1}`}]}`);
      return load(secret(`${lines.join('\n')}\n`));
    };
    const short = chain(2);
    expect(short.errors).toEqual([]);
    expect(short.resources[0]?.object['m1']).toEqual({ '<<': [{ '<<': [{ k: 1 }] }] });
    expect(onlyError(chain(30))).toMatch(/^1: Excessive alias count/);
  });

  it('caps the values a file expands to across all of its documents', () => {
    // Each document stays under its own cap (~24k values) but together they pass a million.
    const doc = (d: number) =>
      secret(
        `a: &a [${Array(300).fill(0).join(',')}]\nb: &b [${Array(9).fill('*a').join(',')}]\nc: [${Array(9).fill('*b').join(',')}]\n`,
        `s${d}`,
      );
    const r = load(Array.from({ length: 45 }, (_, d) => doc(d)).join('---\n'));
    expect(r.errors.map((e) => e.message)).toContain(
      `the file has more than ${YAML_LIMITS.maxValuesPerFile} values once aliases are expanded`,
    );
  });

  it('refuses nesting deeper than the stack, as a located error', () => {
    const r = load(secret(`d: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`));
    expect(r.resources).toEqual([]);
    expect(r.errors.length).toBeGreaterThan(0);
    for (const e of r.errors) expect(e.message).toBe('nested deeper than 64 levels');
    expect(r.errors[0]?.line).toBe(4);
  });

  it('refuses deep block nesting', () => {
    let text = secret('d:\n');
    for (let i = 1; i < 100; i++) text += `${' '.repeat(i)}- \n`;
    expect(onlyError(load(text))).toMatch(/: nested deeper than 64 levels$/);
  });

  it('refuses too many documents', () => {
    const text = Array.from({ length: YAML_LIMITS.maxDocumentsPerFile + 1 }, (_, i) =>
      secret('', `s${i}`),
    ).join('---\n');
    expect(onlyError(load(text))).toBe('1: more than 1000 documents');
  });

  it('refuses a file too dense to parse before building its syntax tree', () => {
    const r = load(secret(`x: [${'1,'.repeat(YAML_LIMITS.maxTokensPerFile)}1]\n`));
    expect(onlyError(r)).toMatch(/^1: more than 500000 YAML tokens/);
  });

  it('refuses text over the size limit', () => {
    const r = load(`${secret('')}# ${'x'.repeat(YAML_LIMITS.maxFileBytes)}\n`);
    expect(onlyError(r)).toBe('1: file larger than 4 MiB (the limit for one file)');
  });

  it('still finds a duplicate at the end of a very large mapping', () => {
    const keys = Array.from({ length: 60_000 }, (_, i) => `  k${i}: 1`);
    const r = load(secret(`x:\n${keys.join('\n')}\n  k0: 2\n`));
    expect(onlyError(r)).toBe(`60005: duplicate key "k0": map keys must be unique`);
  });
});

describe('hostile YAML: keys', () => {
  it.each([
    ['top level', '__proto__: {polluted: true}\n', 4],
    ['nested in a list', 'x:\n  - a: 1\n    __proto__: {polluted: true}\n', 6],
    ['quoted, in a flow map', 'x: {"__proto__": {polluted: true}}\n', 4],
  ])('refuses __proto__ (%s) and leaves Object.prototype alone', (_, body, line) => {
    const r = load(secret(body));
    expect(onlyError(r)).toBe(`${line}: the key "__proto__" is not allowed`);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('keeps constructor and prototype as inert data', () => {
    const r = load(
      secret('stringData:\n  constructor: a\n  prototype: b\n  toString: c\n  hasOwnProperty: d\n'),
    );
    expect(r.errors).toEqual([]);
    const data = r.resources[0]?.object['stringData'] as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(['constructor', 'prototype', 'toString', 'hasOwnProperty']);
    expect(data['toString']).toBe('c');
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(typeof ({} as { toString: unknown }).toString).toBe('function');
  });

  it('treats 1 and "1" as the same key, so one cannot silently replace the other', () => {
    expect(onlyError(load(secret('stringData: {1: a, "1": b}\n')))).toBe(
      '4: duplicate key "1": map keys must be unique',
    );
    expect(onlyError(load(secret('stringData: {true: a, "true": b}\n')))).toMatch(/duplicate key "true"/);
  });

  it.each([
    ['a map', 'stringData: {? {a: 1} : x}\n'],
    ['a list', 'stringData: {[a, b]: x}\n'],
    ['an alias', 'x: &k a\nstringData: {*k : x}\n'],
  ])('refuses %s as a key', (_, body) => {
    expect(onlyError(load(secret(body)))).toMatch(/: keys must be strings/);
  });

  it('cuts and escapes a huge or hostile key when a message shows it', () => {
    const r = load(secret(`stringData: {${'k'.repeat(100_000)}: x, "a\\e[2J\\u202e": y}\n`));
    expect(r.errors).toEqual([]);
    const resource = r.resources[0];
    if (resource === undefined) throw new Error('no resource');
    // The keys are not valid Secret keys: validation reports each by its field path.
    const text = shapeProblems(resource).map(problemText).join(' | ');
    expect(text.length).toBeLessThan(2000);
    expect(text).toContain('(100000 characters)');
    expect(text.includes('\u001b') || text.includes('\u202e')).toBe(false);
  });
});

describe('hostile YAML: tags, encoding, documents', () => {
  it.each([
    ['!!js/function "function () { return 1 }"', 'tag:yaml.org,2002:js/function'],
    ['!!binary aGVsbG8=', 'tag:yaml.org,2002:binary'],
    ['!!timestamp 2020-01-01', 'tag:yaml.org,2002:timestamp'],
    ['!!set {a, b}', 'tag:yaml.org,2002:set'],
    ['!!omap [{a: b}]', 'tag:yaml.org,2002:omap'],
    ['!!str {x: 1}', 'tag:yaml.org,2002:str'],
    ['!custom value', '!custom'],
  ])('refuses the tag in `a: %s`', (value, tag) => {
    const r = load(secret(`stringData: {a: ${value}}\n`));
    expect(r.resources).toEqual([]);
    expect(onlyError(r)).toContain(`Unresolved tag: ${tag} (only plain YAML is read`);
  });

  it('refuses a tag declared with a %TAG directive', () => {
    const r = load(`%TAG !e! tag:example.com,2000:\n---\n${secret('stringData: {a: !e!x y}\n')}`);
    expect(onlyError(r)).toContain('Unresolved tag: tag:example.com,2000:x');
  });

  it('accepts the core tags, which mean what they say', () => {
    const r = load(secret('metadata2: {generation: !!int "7", name: !!str 012}\n'));
    expect(r.errors).toEqual([]);
    expect(r.resources[0]?.object['metadata2']).toEqual({ generation: 7, name: '012' });
  });

  it('does not let an alias reach an anchor of another document', () => {
    const r = load(`${secret('x: &m {a: 1}\n', 'one')}---\n${secret('y: *m\n', 'two')}`);
    expect(r.resources.map((x) => x.name)).toEqual(['one']);
    expect(onlyError(r)).toMatch(/^\d+: Unresolved alias .*: m$/);
  });

  it('accepts a leading BOM, and refuses one inside the text', () => {
    expect(load(`\ufeff${secret('')}`).errors).toEqual([]);
    const r = load(`${secret('', 'a')}---\n\ufeff${secret('', 'b')}`);
    expect(r.errors).toEqual([
      {
        file: 'h.yaml',
        line: 5,
        col: 1,
        message: expect.stringContaining('invisible formatting character U+FEFF') as unknown as string,
      },
    ]);
  });

  it.each([
    ['a raw NUL', 'stringData: {a: "x\u0000y"}\n', 'control character U+0000', 4, 19],
    ['a raw ESC', 'stringData: {a: x\u001b[2Jy}\n', 'control character U+001B', 4, 18],
    ['a bidi override (Trojan Source)', 'stringData: {a: "x\u202ey"}\n', 'U+202E', 4, 19],
  ])('refuses %s in the text, with its position', (_, body, what, line, col) => {
    const r = load(secret(body));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ file: 'h.yaml', line, col });
    expect(r.errors[0]?.message).toContain(what);
  });

  it('accepts the same characters written as escapes', () => {
    const r = load(secret('stringData: {a: "x\\0y\\e\\u202e"}\n'));
    expect(r.errors).toEqual([]);
    expect((r.resources[0]?.object['stringData'] as Record<string, string>)['a']).toBe('x\0y\u001b\u202e');
  });

  it('escapes terminal control sequences that foreign objects put in messages', () => {
    const r = load(
      'apiVersion: apps/v1\nkind: "Deploy\\e]0;owned\\a"\nmetadata: {name: "x\\e[31m"}\n---\napiVersion: "portcullis.io/v9\\e[2J"\nkind: GatewayPolicy\nmetadata: {name: p}\n',
    );
    const text = [...r.errors, ...r.warnings].map((e) => e.message).join(' | ');
    expect(text).toContain('"Deploy\\u001b]0;owned\\u0007"');
    expect(text).toContain('"portcullis.io/v9\\u001b[2J"');
    expect(text).not.toMatch(/\p{Cc}/u);
  });

  it('reports scalars and lists as documents that must be objects', () => {
    const r = load('"hello"\n---\n42\n---\n[1, 2]\n');
    expect(r.errors.map((e) => `${e.line}: ${e.message}`)).toEqual([
      '1: (document): a document must be an object',
      '3: (document): a document must be an object',
      '5: (document): a document must be an object',
    ]);
  });
});
