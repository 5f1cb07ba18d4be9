import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { LoadResult } from '../src/resources/loader.js';
import { FolderSource } from '../src/source/folder.js';
import { memoryLogger } from './helpers/streams.js';
import { waitFor } from './helpers/wait.js';

const run = promisify(execFile);

const secret = (name: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}}\nstringData: {a: b}\n`;

describe('folder source', () => {
  let dir: string;
  let source: FolderSource | undefined;
  let loads: LoadResult[];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-source-'));
    loads = [];
  });
  afterEach(async () => {
    await source?.close();
    source = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const names = (r: LoadResult | undefined) => (r?.resources ?? []).map((x) => x.name).sort();
  const last = () => loads[loads.length - 1];

  async function start(o: { debounceMs?: number; rescanIntervalMs?: number } = {}) {
    source = await FolderSource.start({
      folder: dir,
      logger: memoryLogger().logger,
      onChange: (r) => loads.push(r),
      debounceMs: o.debounceMs ?? 20,
      rescanIntervalMs: o.rescanIntervalMs ?? 60_000,
    });
  }

  it('loads at start and reloads when a file is added or removed', async () => {
    await writeFile(path.join(dir, 'a.yaml'), secret('a'));
    await start();
    expect(loads).toHaveLength(1);
    expect(names(last())).toEqual(['a']);

    await writeFile(path.join(dir, 'b.yaml'), secret('b'));
    await waitFor(() => names(last()).length === 2, 'b to appear');
    await unlink(path.join(dir, 'a.yaml'));
    await waitFor(() => names(last()).join() === 'b', 'a to disappear');
  });

  it('keeps the last good objects of a file that stops parsing, and reports the error', async () => {
    await writeFile(path.join(dir, 'a.yaml'), secret('a'));
    await writeFile(path.join(dir, 'b.yaml'), secret('b'));
    await start();
    await writeFile(path.join(dir, 'a.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: a\n');
    const broken = await waitFor(() => (last()?.errors.length ?? 0) > 0 && last(), 'the load error');
    expect(names(broken)).toEqual(['a', 'b']);
    expect(broken.errors[0]?.file).toBe(path.join(dir, 'a.yaml'));
    expect(broken.errors[0]?.message).toContain('the last good version of this file stays in force');

    await writeFile(path.join(dir, 'a.yaml'), secret('a2'));
    await waitFor(() => last()?.errors.length === 0 && names(last()).join() === 'a2,b', 'the fixed file');
  });

  it('sees every edit of a file that an editor replaces (new inode each save), without the rescan', async () => {
    await writeFile(path.join(dir, 'a.yaml'), secret('v0'));
    await start({ rescanIntervalMs: 3_600_000 });
    let previous = 'v0';
    for (const v of ['v1', 'v2', 'v3']) {
      // sed -i writes a temporary file and renames it over the original, as vim and most IDEs do.
      // Node 20's `recursive: true` watcher on Linux reported only the first of these edits.
      await run('sed', ['-i', `s/name: ${previous}/name: ${v}/`, path.join(dir, 'a.yaml')]);
      await waitFor(() => names(last()).join() === v, `edit ${v} to be seen`);
      previous = v;
    }
  });

  it('watches a subfolder that appears after start', async () => {
    await start({ rescanIntervalMs: 3_600_000 });
    await mkdir(path.join(dir, 'team-a'));
    await writeFile(path.join(dir, 'team-a', 'a.yaml'), secret('a'));
    await waitFor(() => names(last()).join() === 'a', 'the new subfolder file');
    await writeFile(path.join(dir, 'team-a', 'a.yaml'), secret('a2'));
    await waitFor(() => names(last()).join() === 'a2', 'an edit inside the subfolder');
  });

  it('catches changes with the periodic rescan when no file event arrives', async () => {
    await start({ debounceMs: 60_000, rescanIntervalMs: 20 });
    expect(names(last())).toEqual([]);
    await writeFile(path.join(dir, 'late.yaml'), secret('late'));
    await waitFor(() => names(last()).join() === 'late', 'the rescan');
  });

  it('reports a folder that does not exist instead of failing', async () => {
    await rm(dir, { recursive: true, force: true });
    await start();
    expect(last()?.errors[0]?.message).toBe('no such file or folder');
  });
});
