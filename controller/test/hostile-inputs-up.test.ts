import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { LoadResult } from '../src/resources/loader.js';
import { FolderSource } from '../src/source/folder.js';
import { localController } from './helpers/local-controller.js';
import { memoryLogger } from './helpers/streams.js';
import { waitFor } from './helpers/wait.js';

/**
 * `up` under attack: a file of an accepted configuration is replaced, as a hostile or careless
 * writer of the folder would, by something that must be refused. The refusal must name the file
 * and the objects of its last good version must stay in force: never dropped, never replaced.
 */

const run = promisify(execFile);
const secret = (name: string, data = '{a: b}') =>
  `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}}\nstringData: ${data}\n`;

/** Ways to replace a file; each writes at `p`, which is then renamed over the real file. */
const HOSTILE: readonly (readonly [string, (p: string, outside: string) => Promise<unknown>])[] = [
  ['a FIFO', (p) => run('mkfifo', [p])],
  ['a link out of the folder', (p, outside) => symlink(path.join(outside, 'x.yaml'), p)],
  ['a broken link', (p) => symlink('/nonexistent/x.yaml', p)],
  ['a link loop', (p) => symlink(path.basename(p), p)],
  [
    'non-UTF-8 bytes',
    (p) => writeFile(p, Buffer.concat([Buffer.from(secret('a', '{a: "')), Buffer.from('e9227d0a', 'hex')])),
  ],
  ['a file over 4 MiB', (p) => writeFile(p, `${secret('a')}#${'x'.repeat(4 << 20)}\n`)],
  ['an alias bomb', (p) => writeFile(p, secret('a', `{a: &a [x,x,x,x,x,x,x,x,x,x]}\n${bomb()}`))],
  ['deep nesting', (p) => writeFile(p, secret('a', `{a: ${'['.repeat(5000)}${']'.repeat(5000)}}`))],
  ['a !!binary tag', (p) => writeFile(p, secret('a', '{a: !!binary aGk=}'))],
  ['keys 1 and "1"', (p) => writeFile(p, secret('a', '{1: x, "1": y}'))],
  ['a raw control character', (p) => writeFile(p, secret('a', '{a: "\u001b[2J"}'))],
  ['a __proto__ key', (p) => writeFile(p, secret('a', '{__proto__: {polluted: true}}'))],
];

function bomb(): string {
  const lines: string[] = [];
  for (let i = 0; i < 8; i++)
    lines.push(
      `b${i}: &b${i} [${Array(10)
        .fill(i === 0 ? '*a' : `*b${i - 1}`)
        .join(',')}]`,
    );
  return `${lines.join('\n')}\n`;
}

describe('hostile inputs in up mode: the folder source', () => {
  let base: string;
  let dir: string;
  let outside: string;
  let source: FolderSource | undefined;
  let last: LoadResult | undefined;

  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'portcullis-hostile-up-'));
    dir = path.join(base, 'policies');
    outside = path.join(base, 'outside');
    await mkdir(dir);
    await mkdir(outside);
    await writeFile(path.join(outside, 'x.yaml'), secret('a', '{stolen: "yes"}'));
    await writeFile(path.join(dir, 'a.yaml'), secret('a'));
    await writeFile(path.join(dir, 'b.yaml'), secret('b'));
    last = undefined;
  });
  afterEach(async () => {
    await source?.close();
    source = undefined;
    await rm(base, { recursive: true, force: true });
  });

  // Long watch intervals: every reload here is an explicit refresh(), so nothing depends on timing.
  const start = async () => {
    source = await FolderSource.start({
      folder: dir,
      logger: memoryLogger().logger,
      onChange: (r) => (last = r),
      debounceMs: 60_000,
      rescanIntervalMs: 600_000,
    });
  };
  const stringData = (name: string) =>
    last?.resources.find((r) => r.name === name)?.object['stringData'] as Record<string, unknown> | undefined;

  it.each(HOSTILE)('keeps the last good a.yaml when it is replaced by %s', async (_, make) => {
    await start();
    const tmp = path.join(dir, '.incoming');
    await make(tmp, outside);
    await rename(tmp, path.join(dir, 'a.yaml'));
    await source?.refresh();

    expect(last?.resources.map((r) => r.name).sort()).toEqual(['a', 'b']);
    expect(stringData('a')).toEqual({ a: 'b' });
    expect(last?.errors.map((e) => path.basename(e.file))).toEqual(['a.yaml']);
    expect(last?.errors[0]?.message).toMatch(/\(the last good version of this file stays in force\)$/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();

    // And a good edit is taken again once the file is fixed.
    await rm(path.join(dir, 'a.yaml'));
    await writeFile(path.join(dir, 'a.yaml'), secret('a', '{a: fixed}'));
    await source?.refresh();
    expect(last?.errors).toEqual([]);
    expect(stringData('a')).toEqual({ a: 'fixed' });
  });

  it('does not read through a folder link retargeted out of the folder', async () => {
    // A ConfigMap-like layout: the visible folder is a link to a hidden one inside.
    await mkdir(path.join(dir, '.team-v1'));
    await writeFile(path.join(dir, '.team-v1', 't.yaml'), secret('t'));
    await symlink('.team-v1', path.join(dir, 'team'));
    await mkdir(path.join(outside, 'team'));
    await writeFile(path.join(outside, 'team', 't.yaml'), secret('t', '{stolen: "yes"}'));
    await start();
    expect(stringData('t')).toEqual({ a: 'b' });

    await rm(path.join(dir, 'team'));
    await symlink(path.join(outside, 'team'), path.join(dir, 'team'));
    await source?.refresh();
    expect(stringData('t')).toEqual({ a: 'b' });
    expect(last?.errors.map((e) => `${path.basename(e.file)}: ${e.message}`)).toEqual([
      expect.stringMatching(/^team: symbolic link to .*, outside the folder /) as unknown as string,
    ]);
  });

  it('loads the good files at start even when an entry beside them is broken', async () => {
    await symlink('/nonexistent/x.yaml', path.join(dir, 'broken.yaml'));
    await symlink(outside, path.join(dir, 'escape'));
    await start();
    expect(last?.resources.map((r) => r.name).sort()).toEqual(['a', 'b']);
    expect(last?.errors.map((e) => path.basename(e.file)).sort()).toEqual(['broken.yaml', 'escape']);
  });
});

describe('hostile inputs in up mode: the controller', () => {
  const ctl = localController('portcullis-hostile-ctl-', 1);

  const routes = `apiVersion: portcullis.io/v1alpha1
kind: RouteClassification
metadata: {name: api}
spec:
  hosts: [localhost]
  upstream: {url: http://127.0.0.1:9000}
  routes:
    - {name: health, methods: [GET], path: /health, tier: public}
`;

  it.each([
    ['a FIFO', 0, 'not a regular file (a named pipe)'],
    ['a link out of the folder', 1, 'outside the folder'],
    ['an alias bomb', 6, 'Excessive alias count'],
  ] as const)('keeps the signed snapshot in force while routes.yaml is %s', async (_, which, message) => {
    await writeFile(path.join(ctl.dir, 'routes.yaml'), routes);
    const c = await ctl.start();
    const first = await c.whenProgrammed();
    expect(c.current()?.snapshot.routes.map((r) => r.id)).toEqual(['default/api/health']);

    const outside = await mkdtemp(path.join(tmpdir(), 'portcullis-hostile-out-'));
    try {
      await writeFile(path.join(outside, 'x.yaml'), routes.replace('/health', '/stolen'));
      const tmp = path.join(ctl.dir, '.incoming');
      await HOSTILE[which]?.[1](tmp, outside);
      await rename(tmp, path.join(ctl.dir, 'routes.yaml'));
      await waitFor(() => ctl.out.text.includes(message), 'the refusal to be printed');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
    expect(ctl.out.text).toMatch(
      /error: \S*routes\.yaml:1: .*\(the last good version of this file stays in force\)/,
    );
    expect(c.current()?.hash).toBe(first.hash);
    expect(c.current()?.snapshot.routes.map((r) => r.id)).toEqual(['default/api/health']);
    expect(ctl.proxies[0]?.hash).toBe(first.hash);
  });
});
