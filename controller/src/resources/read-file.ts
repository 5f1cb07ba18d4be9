import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { errorMessage } from '../errors.js';

export type ReadBytes =
  { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly message: string };

/**
 * Reads a whole file of at most `maxBytes`, refusing anything that is not a regular file. Both checks
 * are made again on the open handle: between a listing and the read, a file can be replaced by a
 * FIFO (whose plain open blocks forever, waiting for a writer) or grow without bound (a symlink to
 * /dev/zero reports size 0). O_NONBLOCK makes that open return at once; the read stops at maxBytes+1.
 */
export async function readBoundedFile(file: string, maxBytes: number): Promise<ReadBytes> {
  try {
    // Checked before opening too: opening some devices has side effects (a tape rewinds).
    const before = refuse(await stat(file), maxBytes);
    if (before !== undefined) return { ok: false, message: before };
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const after = refuse(await handle.stat(), maxBytes);
      if (after !== undefined) return { ok: false, message: after };
      // In chunks, to one byte past the limit: most files are small, and a file growing while it is
      // read (or a size-0 special file) is still cut off at the limit.
      const chunks: Buffer[] = [];
      let length = 0;
      for (;;) {
        const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes + 1 - length));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        length += bytesRead;
        if (length > maxBytes) return { ok: false, message: tooLarge(maxBytes) };
      }
      return { ok: true, bytes: Buffer.concat(chunks, length) };
    } finally {
      await handle.close();
    }
  } catch (err) {
    return { ok: false, message: fsErrorMessage(err) };
  }
}

function refuse(st: Stats, maxBytes: number): string | undefined {
  if (!st.isFile()) return `not a regular file (${fileType(st)}); only regular files are read`;
  return st.size > maxBytes ? tooLarge(maxBytes) : undefined;
}

export function tooLarge(maxBytes: number): string {
  return `file larger than ${maxBytes / (1024 * 1024)} MiB (the limit for one file)`;
}

export function fileType(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a file';
}

/**
 * Why a path named on the command line cannot be used: plainly "no such file or folder" when it is
 * absent (a typo, not a race), otherwise as fsErrorMessage says.
 */
export function namedPathMessage(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
    ? 'no such file or folder'
    : fsErrorMessage(err);
}

/** Short, stable messages for the file-system errors a hostile or half-written folder produces. */
export function fsErrorMessage(err: unknown): string {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return 'no such file or folder (a broken symbolic link, or it was removed while being read)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links (a link loop)';
    case 'ENOTDIR':
      return 'a path component is not a folder';
    case 'EISDIR':
      return 'a folder, not a file';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files; try again';
    default:
      return errorMessage(err, 'unreadable');
  }
}
