import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { LoadResult } from '../src/resources/loader.js';
import { FolderSource } from '../src/source/folder.js';
import { memoryLogger } from './helpers/streams.js';
import { waitFor } from './helpers/wait.js';

const secret = (name: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}}\nstringData: {a: b}\n`;

const names = (r: LoadResult | undefined) => (r?.resources ?? []).map((x) => x.name).sort();

describe('folder source debounce', () => {
  let dir: string;
  let source: FolderSource | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-debounce-'));
  });
  afterEach(async () => {
    await source?.close();
    source = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('reloads once for a burst of writes, with the last content', async () => {
    await writeFile(path.join(dir, 'a.yaml'), secret('a'));
    const loads: LoadResult[] = [];
    source = await FolderSource.start({
      folder: dir,
      logger: memoryLogger().logger,
      onChange: (r) => loads.push(r),
      // Far longer than the pauses below, so the whole burst falls inside one quiet time.
      debounceMs: 1000,
      rescanIntervalMs: 3_600_000,
    });
    expect(loads.map(names)).toEqual([['a']]);

    // Each write lands after the previous one's file events: without the debounce each would be a
    // reload of its own, and b1 and b2 would each be emitted.
    for (const n of ['b1', 'b2', 'b3']) {
      await writeFile(path.join(dir, 'b.yaml'), secret(n));
      await new Promise((r) => setTimeout(r, 40));
    }
    await waitFor(() => names(loads[loads.length - 1]).includes('b3'), 'the reload after the burst');
    expect(loads.map(names)).toEqual([['a'], ['a', 'b3']]);
  });
});
