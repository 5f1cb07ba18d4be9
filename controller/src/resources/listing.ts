import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { quoted } from './field-path.js';
import { fsErrorMessage, namedPathMessage } from './read-file.js';
import type { LoadIssue } from './yaml.js';

export const LISTING_LIMITS = { maxFiles: 5000, maxDepth: 16 } as const;

export interface Listing {
  /** Every YAML file found, sorted, including the refused ones (each is then an error of its own). */
  readonly files: string[];
  readonly dirs: string[];
  /** A path or folder that could not be listed: what it holds is unknown, not absent. */
  readonly errors: LoadIssue[];
  readonly warnings: LoadIssue[];
  /** Files that must not be read, with the reason; reported as that file's error. */
  readonly refused: ReadonlyMap<string, string>;
}

const YAML_FILE = /\.ya?ml$/i;

/**
 * Every *.yaml / *.yml below the given paths, sorted so that loading is deterministic. Hidden
 * entries are skipped: `.git` never holds policy, and Kubernetes ConfigMap mounts keep their real
 * files behind `..data` (the visible names are symlinks to them, which are followed). A path given
 * explicitly is read whatever its extension, as kubectl does.
 *
 * A folder is confined to itself: a symlink inside it may point anywhere inside it (ConfigMap mounts
 * do), but not outside, because the controller may read files that whoever writes the folder cannot
 * (it would parse /etc/shadow and echo its keys in messages). One bad entry is reported on its own
 * and never hides the rest of the folder: a broken link or an unreadable file is that file's error
 * (so the folder source keeps its last good version), not a folder that lists as empty.
 */
export async function collectYamlFiles(paths: readonly string[]): Promise<Listing> {
  const files = new Set<string>();
  const dirs = new Set<string>();
  const realDirs = new Map<string, string>();
  const errors: LoadIssue[] = [];
  const warnings: LoadIssue[] = [];
  const refused = new Map<string, string>();
  // Line 0: about the path itself (missing, unreadable, a loop), not a place in a file's text.
  const issue = (file: string, message: string): LoadIssue => ({ file, line: 0, message });

  const addFile = (p: string): boolean => {
    if (files.size >= LISTING_LIMITS.maxFiles) return false;
    files.add(p);
    return true;
  };

  /** Returns false once the file limit is hit, which stops the whole listing. */
  const visitDir = async (dir: string, root: string, depth: number): Promise<boolean> => {
    if (depth > LISTING_LIMITS.maxDepth) {
      errors.push(issue(dir, `folders nested more than ${LISTING_LIMITS.maxDepth} levels deep are not read`));
      return true;
    }
    let entries: Dirent[];
    let real: string;
    try {
      real = await realpath(dir);
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      errors.push(issue(dir, fsErrorMessage(err)));
      return true;
    }
    const seenAs = realDirs.get(real);
    if (seenAs !== undefined) {
      errors.push(
        issue(dir, `the same folder as ${seenAs} (a symbolic link loop or a second link to it); read once`),
      );
      return true;
    }
    realDirs.set(real, dir);
    dirs.add(dir);
    for (const entry of entries.filter((e) => !e.name.startsWith('.')).sort(byName)) {
      const p = path.join(dir, entry.name);
      const isYaml = YAML_FILE.test(entry.name);
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = await realpath(p);
        } catch (err) {
          // A broken or looping link: a YAML name is that file's error, anything else is noise.
          if (isYaml) {
            if (!addFile(p)) return false;
          } else {
            warnings.push(issue(p, `ignored: ${fsErrorMessage(err)}`));
          }
          continue;
        }
        if (!isInside(root, target)) {
          const why = `symbolic link to ${quoted(target)}, outside the folder ${quoted(root)}; links may only point inside it`;
          if (isYaml) {
            if (!addFile(p)) return false;
            refused.set(p, why);
          } else if (await isDirectory(target)) {
            errors.push(issue(p, why));
          }
          continue;
        }
      }
      if (await isDirectory(p)) {
        if (!(await visitDir(p, root, depth + 1))) return false;
      } else if (isYaml && !addFile(p)) {
        return false;
      }
      // A YAML name that is not a regular file (a FIFO, a device) is listed: reading refuses it.
    }
    return true;
  };

  for (const p of paths) {
    let dir: boolean;
    try {
      dir = (await stat(p)).isDirectory();
    } catch (err) {
      errors.push(issue(p, namedPathMessage(err)));
      continue;
    }
    let more: boolean;
    if (dir) {
      const root = await realpath(p).catch(() => path.resolve(p));
      more = await visitDir(p, root, 0);
    } else {
      more = addFile(p);
    }
    if (!more) {
      errors.push(issue(p, `more than ${LISTING_LIMITS.maxFiles} YAML files`));
      break;
    }
  }
  return { files: [...files].sort(), dirs: [...dirs].sort(), errors, warnings, refused };
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
