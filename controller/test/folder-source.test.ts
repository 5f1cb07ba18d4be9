import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { LoadResult } from '../src/resources/loader.js';
import { FolderSource } from '../src/source/folder.js';
import { memoryLogger } from './helpers/streams.js';
import { waitFor } from './helpers/wait.js';

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
