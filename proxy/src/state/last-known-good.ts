import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_SIGNED_SNAPSHOT_BYTES } from '@portcullis/contract';

export const LAST_KNOWN_GOOD_FILE = 'last-known-good.jws';

export type LastKnownGoodRead =
  | { readonly kind: 'none' }
  | { readonly kind: 'found'; readonly jws: string }
  | { readonly kind: 'unreadable'; readonly message: string };

/**
 * The raw signed snapshot last applied, kept on disk so a restarted proxy can serve without its
 * controller. The file is exactly what was pushed (signature included) and is verified again on
 * every load: the disk is not trusted more than the network.
 */
export class LastKnownGood {
  readonly #dir: string;
  readonly #file: string;

  constructor(stateDir: string) {
    this.#dir = stateDir;
    this.#file = join(stateDir, LAST_KNOWN_GOOD_FILE);
  }

  get path(): string {
    return this.#file;
  }

  /** Creates the state directory (owner-only) at boot, so an unusable one fails start, not a push. */
  async ensureDir(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
  }

  async read(): Promise<LastKnownGoodRead> {
    try {
      const info = await stat(this.#file);
      if (!info.isFile()) return { kind: 'unreadable', message: 'not a regular file' };
      if (info.size > MAX_SIGNED_SNAPSHOT_BYTES) return { kind: 'unreadable', message: 'file too large' };
      return { kind: 'found', jws: await readFile(this.#file, 'utf8') };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return { kind: 'none' };
      return { kind: 'unreadable', message: isErrno(err) ? err.code : 'read failed' };
    }
  }

  /**
   * Crash-safe replace: write a temporary file, fsync it, rename it over the old one (atomic on
   * POSIX), then fsync the directory so the rename itself survives a power cut. A reader sees the
   * old file or the new one, never half of either.
   */
  async write(jws: string): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.#dir, `.${LAST_KNOWN_GOOD_FILE}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(jws, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.#file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const dir = await open(this.#dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

function isErrno(err: unknown, code?: string): err is NodeJS.ErrnoException & { code: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    typeof err.code === 'string' &&
    (code === undefined || err.code === code)
  );
}
