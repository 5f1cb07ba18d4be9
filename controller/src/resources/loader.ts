import { formatPath } from './field-path.js';
import type { JsonValue } from './json.js';
import { collectYamlFiles } from './listing.js';
import type { Listing } from './listing.js';
import { identify, resourceKey, resourceLabel } from './model.js';
import type { Origin, Resource } from './model.js';
import { readBoundedFile } from './read-file.js';
import { decodeUtf8 } from './text.js';
import { YAML_LIMITS, parseYamlText } from './yaml.js';
import type { LoadIssue, ParsedDocument, ParsedFile } from './yaml.js';
import { errorMessage } from '../errors.js';

/**
 * Loads the Kubernetes objects of a set of files and folders. Reading files is the only I/O here;
 * turning documents into resources (`assembleResources`) is pure so the folder source can reuse it
 * with its per-file last-good cache.
 */

export { collectYamlFiles } from './listing.js';
export type { Listing } from './listing.js';

export const LOADER_LIMITS = {
  maxObjects: 10_000,
  maxListItems: 1000,
} as const;

export interface LoadResult {
  readonly resources: readonly Resource[];
  readonly errors: readonly LoadIssue[];
  readonly warnings: readonly LoadIssue[];
  readonly files: readonly string[];
}

function fileError(file: string, message: string): ParsedFile {
  return { file, documents: [], errors: [{ file, line: 1, message }], warnings: [] };
}

/**
 * One file: a regular file of at most 4 MiB, UTF-8, then YAML. Never throws and never blocks on a
 * special file; every failure is an error of this file.
 */
export async function readYamlFile(file: string): Promise<ParsedFile> {
  const read = await readBoundedFile(file, YAML_LIMITS.maxFileBytes);
  if (!read.ok) return fileError(file, read.message);
  const decoded = decodeUtf8(read.bytes);
  if (!decoded.ok) return fileError(file, decoded.message);
  try {
    return parseYamlText(decoded.text, file);
  } catch (err) {
    // Not expected (the parser reports, it does not throw), but one file must never stop a load.
    return fileError(file, `cannot be read as YAML: ${errorMessage(err, 'unknown error')}`);
  }
}

/** A file of a listing: read, unless the listing refused it (a link out of the folder). */
export async function readListedFile(listing: Pick<Listing, 'refused'>, file: string): Promise<ParsedFile> {
  const refusal = listing.refused.get(file);
  return refusal === undefined ? readYamlFile(file) : fileError(file, refusal);
}

/** Loads files and folders (recursively) the way `kubectl apply -f` would read them. */
export async function loadPaths(paths: readonly string[]): Promise<LoadResult> {
  const listing = await collectYamlFiles(paths);
  const parsed: ParsedFile[] = [];
  // One file at a time: up to 5000 files of 4 MiB must not be held in memory at once.
  for (const file of listing.files) parsed.push(await readListedFile(listing, file));
  const assembled = assembleResources(parsed.flatMap((f) => f.documents));
  return {
    resources: assembled.resources,
    errors: [...listing.errors, ...parsed.flatMap((f) => f.errors), ...assembled.errors],
    warnings: [...listing.warnings, ...parsed.flatMap((f) => f.warnings), ...assembled.warnings],
    files: listing.files,
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
