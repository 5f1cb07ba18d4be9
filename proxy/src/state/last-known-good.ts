import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_SIGNED_SNAPSHOT_BYTES } from '@portcullis/contract';
import { errnoCode } from '../errors.js';

export const LAST_KNOWN_GOOD_FILE = 'last-known-good.jws';

export type LastKnownGoodRead =
  | { readonly kind: 'none' }
  | { readonly kind: 'found'; readonly jws: string }
  | { readonly kind: 'unreadable'; readonly message: string };

/**
 * The raw signed snapshot last applied, kept on disk so a restarted proxy can serve without its
 * controller. The file is exactly what was pushed (signature included) and is verified again on
 * every load: the disk is not trusted more than the network.
 *
 * A signature cannot tell an old snapshot from a new one, so whoever can write this file can roll
 * the proxy back to any older snapshot a still-trusted key signed. The file is therefore loaded only
 * if the proxy's own user could have written it: a regular file (not a symlink, FIFO or device),
 * owned by the proxy's uid and writable by nobody else.
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

  /**
   * A state directory that other users can write lets them delete the file (and, before the owner
   * check in `read`, replace it). One we own is tightened to 0700, as documented; one we do not own
   * is reported, since only its owner can fix it. Returns what to warn about, if anything.
   */
  async secureDir(): Promise<string | undefined> {
    try {
      const info = await stat(this.#dir);
      if ((info.mode & 0o022) === 0) return undefined;
      const mode = (info.mode & 0o7777).toString(8);
      if (ownedByUs(info)) {
        await chmod(this.#dir, 0o700);
        return `state directory was mode ${mode} (writable by group or others); changed to 0700`;
      }
      return `state directory is mode ${mode} and owned by uid ${info.uid}: other users can delete the last-known-good snapshot`;
    } catch (err) {
      // Reported, not fatal: the file checks in `read` still apply, and serving beats not starting.
      return `state directory could not be checked (${errnoCode(err) ?? 'error'})`;
    }
  }

  async read(): Promise<LastKnownGoodRead> {
    let handle: FileHandle;
    try {
      // O_NOFOLLOW: a symlink planted here is refused, not followed to a file someone else controls.
      // O_NONBLOCK: a FIFO swapped in after any check cannot hang the boot in open().
      handle = await open(this.#file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { kind: 'none' };
      if (errnoCode(err) === 'ELOOP') return { kind: 'unreadable', message: 'a symbolic link' };
      return { kind: 'unreadable', message: errnoCode(err) ?? 'open failed' };
    }
    try {
      // fstat of the open handle: what is checked is exactly what is read (no check-then-open race).
      const info = await handle.stat();
      const problem = fileProblem(info);
      if (problem !== undefined) return { kind: 'unreadable', message: problem };
      // One byte more than fstat said: a file that grows while it is read is refused, not read on.
      const bytes = await readAtMost(handle, info.size + 1);
      if (bytes.length !== info.size) return { kind: 'unreadable', message: 'file changed while read' };
      return { kind: 'found', jws: bytes.toString('utf8') };
    } catch (err) {
      return { kind: 'unreadable', message: errnoCode(err) ?? 'read failed' };
    } finally {
      await handle.close();
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

function ownedByUs(info: Stats): boolean {
  // Without POSIX ids (Windows) there is nothing to compare against.
  const uid = process.getuid?.();
  return uid === undefined || info.uid === uid;
}

/** Why a file may not be loaded as last-known-good, or undefined if it may. */
function fileProblem(info: Stats): string | undefined {
  if (!info.isFile()) return 'not a regular file';
  if (info.size > MAX_SIGNED_SNAPSHOT_BYTES) return 'file too large';
  if (!ownedByUs(info)) return `owned by uid ${info.uid}, not by the proxy's user`;
  if ((info.mode & 0o022) !== 0) return 'writable by group or others';
  return undefined;
}

/** Reads from the start, at most `limit` bytes. */
async function readAtMost(handle: FileHandle, limit: number): Promise<Buffer> {
  const buffer = Buffer.alloc(limit);
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
