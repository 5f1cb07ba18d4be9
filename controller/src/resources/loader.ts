import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatPath } from './field-path.js';
import type { JsonValue } from './json.js';
import { identify, resourceKey, resourceLabel } from './model.js';
import type { Origin, Resource } from './model.js';
import { YAML_LIMITS, parseYamlText } from './yaml.js';
import type { LoadIssue, ParsedDocument, ParsedFile } from './yaml.js';
import { errorMessage } from '../errors.js';

/**
 * Loads the Kubernetes objects of a set of files and folders. Reading files is the only I/O here;
 * turning documents into resources (`assembleResources`) is pure so the folder source can reuse it
 * with its per-file last-good cache.
 */

export const LOADER_LIMITS = {
  maxFiles: 5000,
  maxDepth: 16,
  maxObjects: 10_000,
  maxListItems: 1000,
} as const;

export interface LoadResult {
  readonly resources: readonly Resource[];
  readonly errors: readonly LoadIssue[];
  readonly warnings: readonly LoadIssue[];
  readonly files: readonly string[];
}

const YAML_FILE = /\.ya?ml$/i;

/**
 * Every *.yaml / *.yml below the given paths, sorted so that loading is deterministic. Hidden
 * entries are skipped: `.git` never holds policy, and Kubernetes ConfigMap mounts keep their real
 * files behind `..data` (the visible names are symlinks to them, which are followed). A path given
 * explicitly is read whatever its extension, as kubectl does.
 */
export async function collectYamlFiles(
  paths: readonly string[],
): Promise<{ files: string[]; dirs: string[]; errors: LoadIssue[] }> {
  const out = new Set<string>();
  const dirs = new Set<string>();
  const errors: LoadIssue[] = [];
  const visit = async (p: string, depth: number, explicit: boolean): Promise<void> => {
    if (out.size >= LOADER_LIMITS.maxFiles) throw new Error(`more than ${LOADER_LIMITS.maxFiles} YAML files`);
    const st = await stat(p);
    if (st.isDirectory()) {
      if (depth > LOADER_LIMITS.maxDepth) return;
      dirs.add(p);
      const entries = (await readdir(p)).filter((e) => !e.startsWith('.')).sort();
      for (const e of entries) await visit(path.join(p, e), depth + 1, false);
    } else if (st.isFile() && (explicit || YAML_FILE.test(p))) {
      out.add(p);
    }
  };
  for (const p of paths) {
    try {
      await visit(p, 0, true);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const message = code === 'ENOENT' ? 'no such file or folder' : errorMessage(err, 'unreadable');
      errors.push({ file: p, line: 1, message });
    }
  }
  return { files: [...out].sort(), dirs: [...dirs].sort(), errors };
}

export async function readYamlFile(file: string): Promise<ParsedFile> {
  try {
    const st = await stat(file);
    if (st.size > YAML_LIMITS.maxFileBytes) {
      return {
        file,
        documents: [],
        errors: [{ file, line: 1, message: 'file larger than 4 MiB' }],
        warnings: [],
      };
    }
    return parseYamlText(await readFile(file, 'utf8'), file);
  } catch (err) {
    const message = errorMessage(err, 'unreadable');
    return { file, documents: [], errors: [{ file, line: 1, message }], warnings: [] };
  }
}

/** Loads files and folders (recursively) the way `kubectl apply -f` would read them. */
export async function loadPaths(paths: readonly string[]): Promise<LoadResult> {
  const { files, errors } = await collectYamlFiles(paths);
  const parsed = await Promise.all(files.map(readYamlFile));
  const assembled = assembleResources(parsed.flatMap((f) => f.documents));
  return {
    resources: assembled.resources,
    errors: [...errors, ...parsed.flatMap((f) => f.errors), ...assembled.errors],
    warnings: [...parsed.flatMap((f) => f.warnings), ...assembled.warnings],
    files,
  };
}

/** Documents from a YAML text, as a whole load (for tests, golden files and stdin). */
export function loadYamlText(text: string, file: string): LoadResult {
  const parsed = parseYamlText(text, file);
  const assembled = assembleResources(parsed.documents);
  return {
    resources: assembled.resources,
    errors: [...parsed.errors, ...assembled.errors],
    warnings: [...parsed.warnings, ...assembled.warnings],
    files: [file],
  };
}

export interface Assembled {
  readonly resources: readonly Resource[];
  readonly errors: readonly LoadIssue[];
  readonly warnings: readonly LoadIssue[];
}

/**
 * Identifies documents and refuses duplicates. For a duplicate (kind, namespace, name) the first
 * one in file order is kept and the error names both places: which copy a cluster would end up with
 * depends on apply order, so the folder is wrong either way and `validate` fails on it.
 */
export function assembleResources(documents: readonly ParsedDocument[]): Assembled {
  const errors: LoadIssue[] = [];
  const warnings: LoadIssue[] = [];
  const byKey = new Map<string, Resource>();
  const at = (origin: Origin, p: readonly (string | number)[]): number => origin.lineOf?.(p) ?? origin.line;

  const add = (
    value: JsonValue,
    origin: Origin,
    prefix: readonly (string | number)[],
    nested: boolean,
  ): void => {
    const id = identify(value, origin);
    switch (id.type) {
      case 'ignored':
        warnings.push({ file: origin.file, line: at(origin, prefix), message: id.message });
        return;
      case 'error': {
        const where = [...prefix, ...id.path];
        errors.push({
          file: origin.file,
          line: at(origin, where),
          message: `${formatPath(where)}: ${id.message}`,
        });
        return;
      }
      case 'list': {
        if (nested || id.items.length > LOADER_LIMITS.maxListItems) {
          const message = nested ? 'a List inside a List' : `more than ${LOADER_LIMITS.maxListItems} items`;
          errors.push({ file: origin.file, line: at(origin, prefix), message });
          return;
        }
        id.items.forEach((item, i) => {
          const itemPath = [...prefix, 'items', i];
          const itemOrigin: Origin = {
            file: origin.file,
            line: at(origin, itemPath),
            lineOf: (p) => at(origin, [...itemPath, ...p]),
          };
          add(item, itemOrigin, [], true);
        });
        return;
      }
      case 'resource': {
        const key = resourceKey(id.resource);
        const first = byKey.get(key);
        if (first !== undefined) {
          const firstAt =
            first.origin === undefined ? '(injected)' : `${first.origin.file}:${first.origin.line}`;
          errors.push({
            file: origin.file,
            line: origin.line,
            message: `${resourceLabel(id.resource)} is defined twice: here and at ${firstAt}; the first one is used`,
          });
          return;
        }
        if (byKey.size >= LOADER_LIMITS.maxObjects) {
          errors.push({
            file: origin.file,
            line: origin.line,
            message: `more than ${LOADER_LIMITS.maxObjects} objects`,
          });
          return;
        }
        byKey.set(key, id.resource);
      }
    }
  };
  for (const doc of documents) add(doc.value, doc.origin, [], false);
  return { resources: [...byKey.values()], errors, warnings };
}
