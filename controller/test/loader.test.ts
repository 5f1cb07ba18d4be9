import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadPaths, loadYamlText } from '../src/resources/loader.js';
import { formatLoadIssue } from '../src/resources/yaml.js';

const rc = (name: string, ns = 'default') => `apiVersion: portcullis.io/v1alpha1
kind: RouteClassification
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  hosts: [a.example.com]
  upstream: {url: http://127.0.0.1:1}
  routes:
    - {name: r, methods: [GET], path: /x, tier: public}
`;

describe('YAML loading', () => {
  it('keeps each document with its file and line', () => {
    const r = loadYamlText(`# comment\n${rc('one')}---\n\n${rc('two')}`, 'routes.yaml');
    expect(r.errors).toEqual([]);
    expect(r.resources.map((x) => [x.name, x.namespace, x.origin?.file, x.origin?.line])).toEqual([
      ['one', 'default', 'routes.yaml', 2],
      ['two', 'default', 'routes.yaml', 14],
    ]);
  });

  it('points a field path at its own line', () => {
    const r = loadYamlText(rc('one'), 'f.yaml');
    const lineOf = r.resources[0]?.origin?.lineOf;
    expect(lineOf?.(['spec', 'routes', 0, 'path'])).toBe(10);
    expect(lineOf?.(['spec', 'upstream', 'url'])).toBe(8);
    // A field that does not exist points at its nearest parent.
    expect(lineOf?.(['spec', 'upstream', 'missing'])).toBe(8);
  });

  it('reports a YAML syntax error as file:line:col', () => {
    const r = loadYamlText('apiVersion: v1\nkind: Secret\nmetadata: {name: x\n', 'bad.yaml');
    expect(r.resources).toEqual([]);
    expect(r.errors.length).toBeGreaterThan(0);
    expect(formatLoadIssue(r.errors[0] ?? { file: '', line: 0, message: '' })).toMatch(
      /^bad\.yaml:\d+:\d+: /,
    );
  });

  it('refuses duplicate keys in a mapping', () => {
    const r = loadYamlText('apiVersion: v1\nkind: Secret\nkind: Secret\nmetadata: {name: x}\n', 'dup.yaml');
    expect(r.errors[0]?.message).toMatch(/unique/i);
    expect(r.errors[0]?.line).toBe(3);
  });

  it('names both places of a duplicate object', () => {
    const r = loadYamlText(`${rc('same')}---\n${rc('same')}`, 'twice.yaml');
    expect(r.resources).toHaveLength(1);
    expect(r.errors).toEqual([
      {
        file: 'twice.yaml',
        line: 12,
        message:
          'RouteClassification default/same is defined twice: here and at twice.yaml:1; the first one is used',
      },
    ]);
  });

  it('ignores other kinds with a warning, but refuses portcullis.io kinds it does not serve', () => {
    const r = loadYamlText(
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: portcullis.io/v1beta1\nkind: GatewayPolicy\nmetadata: {name: p}\n---\napiVersion: portcullis.io/v1alpha1\nkind: GatewayPolicies\nmetadata: {name: p}\n',
      'mixed.yaml',
    );
    expect(r.warnings.map((w) => w.message)).toEqual([
      'ignoring apps/v1 Deployment web: not a kind Portcullis reads',
    ]);
    expect(r.errors.map((e) => `${e.line}: ${e.message}`)).toEqual([
      '5: apiVersion: portcullis.io/v1beta1 GatewayPolicy is not served by this version of Portcullis (it reads portcullis.io/v1alpha1 RouteClassification and GatewayPolicy)',
      '10: kind: portcullis.io/v1alpha1 GatewayPolicies is not served by this version of Portcullis (it reads portcullis.io/v1alpha1 RouteClassification and GatewayPolicy)',
    ]);
  });

  it('refuses bad identity fields with their line', () => {
    const r = loadYamlText('apiVersion: v1\nkind: Secret\nmetadata:\n  name: Not_Valid\n', 's.yaml');
    expect(r.errors).toEqual([
      {
        file: 's.yaml',
        line: 4,
        message: 'metadata.name: required, a lowercase DNS subdomain of at most 253 characters',
      },
    ]);
  });

  it('refuses __proto__ keys and leaves Object.prototype alone', () => {
    const r = loadYamlText(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData:\n  __proto__: {polluted: true}\n',
      'proto.yaml',
    );
    expect(r.resources).toEqual([]);
    expect(r.errors[0]?.message).toBe('the key "__proto__" is not allowed');
    expect(r.errors[0]?.line).toBe(5);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('does not treat "<<" as a merge key', () => {
    const r = loadYamlText(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nbase: &b {a: 1}\nother:\n  <<: *b\n',
      'm.yaml',
    );
    expect(r.resources[0]?.object['other']).toEqual({ '<<': { a: 1 } });
  });

  it('stops alias expansion bombs', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const r = loadYamlText(`${lines.join('\n')}\n`, 'bomb.yaml');
    expect(r.resources).toEqual([]);
    expect(r.errors.length).toBeGreaterThan(0);
  });

  it('refuses non-finite numbers', () => {
    const r = loadYamlText('apiVersion: v1\nkind: Secret\nmetadata: {name: x, generation: .inf}\n', 'n.yaml');
    expect(r.errors[0]?.message).toBe('numbers must be finite');
  });

  it('expands a v1 List', () => {
    const r = loadYamlText(
      'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Secret, metadata: {name: a}}\n  - {apiVersion: v1, kind: Secret, metadata: {name: b, namespace: x}}\n',
      'list.yaml',
    );
    expect(r.resources.map((x) => `${x.namespace}/${x.name}@${x.origin?.line}`)).toEqual([
      'default/a@4',
      'x/b@5',
    ]);
  });
});

describe('loading files and folders', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-loader-'));
    await mkdir(path.join(dir, 'team-a', 'nested'), { recursive: true });
    await mkdir(path.join(dir, '.git'));
    await writeFile(path.join(dir, 'team-a', 'a.yaml'), rc('a'));
    await writeFile(path.join(dir, 'team-a', 'nested', 'b.yml'), rc('b'));
    await writeFile(path.join(dir, 'team-a', 'README.md'), 'not yaml');
    await writeFile(path.join(dir, '.git', 'c.yaml'), rc('c'));
    await writeFile(path.join(dir, 'dup.yaml'), rc('a'));
    await symlink(path.join(dir, 'team-a', 'a.yaml'), path.join(dir, 'link.yaml'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads *.yaml and *.yml recursively, skips hidden folders, and names both files of a duplicate', async () => {
    const r = await loadPaths([path.join(dir, 'team-a'), path.join(dir, 'dup.yaml')]);
    expect(r.files.map((f) => path.relative(dir, f))).toEqual([
      'dup.yaml',
      'team-a/a.yaml',
      'team-a/nested/b.yml',
    ]);
    expect(r.resources.map((x) => x.name).sort()).toEqual(['a', 'b']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.file).toBe(path.join(dir, 'team-a', 'a.yaml'));
    expect(r.errors[0]?.message).toContain(`${path.join(dir, 'dup.yaml')}:1`);
  });

  it('follows symlinked files (ConfigMap mounts) and ignores .git', async () => {
    const r = await loadPaths([dir]);
    expect(r.files.map((f) => path.relative(dir, f))).toContain('link.yaml');
    expect(r.files.some((f) => f.includes('.git'))).toBe(false);
  });

  it('reports a path that does not exist', async () => {
    const r = await loadPaths([path.join(dir, 'nope')]);
    expect(r.errors).toEqual([{ file: path.join(dir, 'nope'), line: 0, message: 'no such file or folder' }]);
  });
});
