import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { assembleResources, collectYamlFiles, readListedFile } from '../resources/loader.js';
import type { LoadResult } from '../resources/loader.js';
import type { LoadIssue, ParsedDocument, ParsedFile } from '../resources/yaml.js';

export interface FolderSourceOptions {
  readonly folder: string;
  readonly logger: Logger;
  /** Called with every new resource set (and once at start). */
  readonly onChange: (result: LoadResult) => void;
  /** Quiet time after the last file event before reloading; editors write in bursts. Default 200. */
  readonly debounceMs?: number;
  /** Backstop rescan for events fs.watch misses (editors that replace files, network mounts). Default 3000. */
  readonly rescanIntervalMs?: number;
}

interface FileEntry {
  readonly fingerprint: string;
  /** The last version of the file that parsed cleanly. */
  readonly lastGood: ParsedFile | undefined;
  readonly latest: ParsedFile;
}

/**
 * Local mode's source: a folder of the same YAML a cluster would take, watched and reloaded as a
 * whole. A file that stops parsing (a half-saved edit) keeps its last good objects in force and
 * reports the error: deleting a policy must be a deliberate act, not a typo. Deleting the file
 * does remove its objects.
 */
export class FolderSource {
  readonly #o: FolderSourceOptions;
  #files = new Map<string, FileEntry>();
  /** One non-recursive watcher per directory (see #syncWatchers for why not `recursive: true`). */
  readonly #watchers = new Map<string, FSWatcher>();
  #debounce: NodeJS.Timeout | undefined;
  #rescan: NodeJS.Timeout | undefined;
  #reloading: Promise<void> | undefined;
  #pending: 'none' | 'rescan' | 'force' = 'none';
  #lastEmitted: string | undefined;
  #closed = false;

  private constructor(options: FolderSourceOptions) {
    this.#o = options;
  }

  /** Loads the folder once (calling onChange) and then watches it. */
  static async start(options: FolderSourceOptions): Promise<FolderSource> {
    const source = new FolderSource(options);
    await source.#reload(true);
    source.#watch();
    return source;
  }

  /** Reloads now, as a file event would (for callers that know something changed). */
  async refresh(): Promise<void> {
    await this.#reload(true);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
    clearTimeout(this.#debounce);
    clearInterval(this.#rescan);
    await this.#reloading;
  }

  #watch(): void {
    this.#rescan = setInterval(() => this.#run('rescan'), this.#o.rescanIntervalMs ?? 3000);
  }

  /**
   * Watches exactly the directories the last listing found. Node 20's `recursive: true` on Linux
   * watches each file, and loses a file for good once an editor replaces it (sed -i, vim, most IDEs
   * write a new inode): measured here, it reported the first of three edits only. A plain directory
   * watch reports every replace as a rename in that directory.
   */
  #syncWatchers(dirs: readonly string[]): void {
    if (this.#closed) return;
    const wanted = new Set(dirs.length > 0 ? dirs : [this.#o.folder]);
    for (const [dir, w] of this.#watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.#watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.#watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: true }, () => this.#schedule());
        w.on('error', (err) => {
          this.#o.logger.warn({ err, dir }, 'folder watch failed; relying on the periodic rescan');
          w.close();
          this.#watchers.delete(dir);
        });
        this.#watchers.set(dir, w);
      } catch (err) {
        this.#o.logger.warn({ err, dir }, 'cannot watch the folder; relying on the periodic rescan');
      }
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => this.#run('force'), this.#o.debounceMs ?? 200);
  }

  /** Serialises reloads; a request during a reload runs once more afterwards. */
  #run(kind: 'rescan' | 'force'): void {
    if (this.#closed) return;
    if (this.#reloading !== undefined) {
      if (this.#pending !== 'force') this.#pending = kind;
      return;
    }
    this.#reloading = this.#reload(kind === 'force')
      .catch((err: unknown) => this.#o.logger.error({ err }, 'folder reload failed'))
      .finally(() => {
        this.#reloading = undefined;
        const next = this.#pending;
        this.#pending = 'none';
        if (next !== 'none') this.#run(next);
      });
  }

  /**
   * A forced reload re-reads every file (a file event happened); a rescan re-reads only files whose
   * size, mtime or inode changed, so that it stays cheap for the backstop it is.
   */
  async #reload(force: boolean): Promise<void> {
    const listed = await collectYamlFiles([this.#o.folder]);
    const listErrors = listed.errors;
    // Keep every file's last state: a folder that briefly cannot be listed is not an empty folder.
    // What did list is still read, so one unreadable subfolder does not hide the rest at start.
    const paths =
      listErrors.length > 0 ? [...new Set([...listed.files, ...this.#files.keys()])].sort() : listed.files;
    const listedNow = new Set(listed.files);
    const next = new Map<string, FileEntry>();
    for (const file of paths) {
      const before = this.#files.get(file);
      // Kept, not re-read: the listing could not vouch for it (its folder may now be a link
      // retargeted out of the folder, which reading the old path would follow).
      if (!listedNow.has(file) && before !== undefined) {
        next.set(file, before);
        continue;
      }
      const fingerprint = await fingerprintOf(file);
      if (!force && before !== undefined && before.fingerprint === fingerprint) {
        next.set(file, before);
        continue;
      }
      // Never throws, never blocks (a FIFO is refused, not opened for a writer that never comes).
      const latest = await readListedFile(listed, file);
      const lastGood = latest.errors.length === 0 ? latest : before?.lastGood;
      next.set(file, { fingerprint, latest, lastGood });
    }
    if (this.#closed) return;
    this.#files = next;
    // A listing with errors still found these folders (one bad entry no longer empties a listing).
    if (listErrors.length === 0 || listed.dirs.length > 0) this.#syncWatchers(listed.dirs);
    this.#emit(listErrors, listed.warnings);
  }

  #emit(listErrors: readonly LoadIssue[], listWarnings: readonly LoadIssue[]): void {
    const errors: LoadIssue[] = [...listErrors];
    const warnings: LoadIssue[] = [...listWarnings];
    const documents: ParsedDocument[] = [];
    for (const entry of this.#files.values()) {
      const used = entry.latest.errors.length === 0 ? entry.latest : entry.lastGood;
      for (const e of entry.latest.errors) {
        const kept =
          entry.lastGood === undefined ? '' : ' (the last good version of this file stays in force)';
        errors.push({ ...e, message: `${e.message}${kept}` });
      }
      warnings.push(...entry.latest.warnings);
      if (used !== undefined) documents.push(...used.documents);
    }
    const assembled = assembleResources(documents);
    const result: LoadResult = {
      resources: assembled.resources,
      errors: [...errors, ...assembled.errors],
      warnings: [...warnings, ...assembled.warnings],
      files: [...this.#files.keys()],
    };
    // Plain JSON.stringify is enough to detect change: the same files parse to the same key order.
    const key = JSON.stringify({
      objects: result.resources.map((r) => [r.origin?.file ?? '', r.origin?.line ?? 0, r.object]),
      errors: result.errors,
      warnings: result.warnings,
    });
    if (key === this.#lastEmitted) return;
    this.#lastEmitted = key;
    this.#o.onChange(result);
  }
}

async function fingerprintOf(file: string): Promise<string> {
  try {
    const st = await stat(file);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return 'missing';
  }
}
