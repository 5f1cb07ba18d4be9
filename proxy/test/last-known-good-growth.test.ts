import * as realFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

/**
 * A file that grows between fstat and read cannot be produced deterministically on a real disk, so
 * `open` is wrapped: while `understate` is set, the handle's stat() reports that many bytes fewer
 * than the file holds, exactly what a file appended to after the fstat looks like to `read`.
 */
let understate = 0;
jest.unstable_mockModule('node:fs/promises', () => ({
  ...realFs,
  open: async (...args: Parameters<typeof realFs.open>): Promise<FileHandle> => {
    const handle = await realFs.open(...args);
    if (understate === 0) return handle;
    const by = understate;
    return new Proxy(handle, {
      get(target, prop) {
        if (prop === 'stat') {
          return async () => {
            const s = await target.stat();
            const shown = Object.create(Object.getPrototypeOf(s) as object) as typeof s;
            return Object.assign(shown, s, { size: s.size - by });
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  },
}));

const { LAST_KNOWN_GOOD_FILE, LastKnownGood } = await import('../src/state/last-known-good.js');

let parent: string;
beforeAll(async () => {
  parent = await realFs.mkdtemp(join(tmpdir(), 'portcullis-lkg-mutation-'));
});
afterAll(async () => {
  understate = 0;
  await realFs.rm(parent, { recursive: true, force: true });
});

describe('last-known-good: a file that changes while it is read', () => {
  it('is refused when it holds more bytes than fstat reported', async () => {
    const dir = join(parent, 'grow');
    const lkg = new LastKnownGood(dir);
    await lkg.ensureDir();
    const file = join(dir, LAST_KNOWN_GOOD_FILE);
    await realFs.writeFile(file, 'aaaa.bbbb.cccc');
    await realFs.chmod(file, 0o600);
    understate = 5;
    try {
      expect(await lkg.read()).toEqual({ kind: 'unreadable', message: 'file changed while read' });
    } finally {
      understate = 0;
    }
    expect(await lkg.read()).toEqual({ kind: 'found', jws: 'aaaa.bbbb.cccc' });
  });
});
