import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { FieldPath } from './field-path.js';
import { hardenJson } from './json.js';
import type { JsonValue } from './json.js';
import type { Origin } from './model.js';
import { errorMessage } from '../errors.js';

/** Limits for hostile files: a policy folder is small; anything far bigger is a mistake or an attack. */
export const YAML_LIMITS = {
  maxFileBytes: 4 * 1024 * 1024,
  maxDocumentsPerFile: 1000,
  /** yaml's own guard against alias expansion ("billion laughs"). */
  maxAliasCount: 100,
} as const;

export interface ParsedDocument {
  readonly value: JsonValue;
  readonly origin: Origin;
}

/** A problem with a file itself (syntax, limits, identity), located by line and column. */
export interface LoadIssue {
  readonly file: string;
  readonly line: number;
  readonly col?: number;
  readonly message: string;
}

export function formatLoadIssue(issue: LoadIssue): string {
  const where = issue.col === undefined ? `${issue.line}` : `${issue.line}:${issue.col}`;
  return `${issue.file}:${where}: ${issue.message}`;
}

export interface ParsedFile {
  readonly file: string;
  readonly documents: readonly ParsedDocument[];
  /** Any error means the file as a whole is not usable (see FolderSource's last-good rule). */
  readonly errors: readonly LoadIssue[];
  readonly warnings: readonly LoadIssue[];
}

/**
 * Parses a multi-document YAML text the way kubectl reads it, keeping each document's line. Pure:
 * the file name is only a label. YAML 1.2 core schema, no merge keys (`<<` stays an ordinary key
 * and is then refused as an unknown field), duplicate keys are errors, aliases capped.
 */
export function parseYamlText(text: string, file: string): ParsedFile {
  const errors: LoadIssue[] = [];
  const warnings: LoadIssue[] = [];
  if (Buffer.byteLength(text, 'utf8') > YAML_LIMITS.maxFileBytes) {
    return { file, documents: [], errors: [{ file, line: 1, message: 'file larger than 4 MiB' }], warnings };
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: true,
    merge: false,
    schema: 'core',
    version: '1.2',
    uniqueKeys: true,
    strict: true,
  });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > YAML_LIMITS.maxDocumentsPerFile) {
    return {
      file,
      documents: [],
      errors: [{ file, line: 1, message: `more than ${YAML_LIMITS.maxDocumentsPerFile} documents` }],
      warnings,
    };
  }
  const documents: ParsedDocument[] = [];
  for (const doc of list) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      errors.push({ file, line: pos.line, col: pos.col, message: firstLine(e.message) });
    }
    for (const w of doc.warnings) {
      const pos = w.linePos?.[0] ?? lineCounter.linePos(w.pos[0]);
      warnings.push({ file, line: pos.line, col: pos.col, message: firstLine(w.message) });
    }
    if (doc.errors.length > 0 || doc.contents === null) continue;
    const start = doc.contents.range?.[0] ?? doc.range[0];
    const line = lineCounter.linePos(start).line;
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
    } catch (err) {
      errors.push({
        file,
        line,
        message: firstLine(errorMessage(err, 'unreadable document')),
      });
      continue;
    }
    if (raw === null || raw === undefined) continue;
    const hardened = hardenJson(raw);
    const lineOf = lineLocator(doc, lineCounter, line);
    if (!hardened.ok) {
      errors.push({ file, line: lineOf(hardened.path), message: hardened.message });
      continue;
    }
    documents.push({ value: hardened.value, origin: { file, line, lineOf } });
  }
  return { file, documents, errors, warnings };
}

/** yaml's pretty messages repeat the source excerpt on later lines; the first line says it all. */
function firstLine(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Maps a field path to the line of the deepest node that exists, so that a message about
 * `spec.routes[1].path` points at the `path:` line, and one about a missing field at its parent.
 */
function lineLocator(doc: Document, lc: LineCounter, fallback: number): (path: FieldPath) => number {
  const lineAt = (node: { range?: readonly number[] | null } | null | undefined, current: number): number => {
    const offset = node?.range?.[0];
    return offset === undefined ? current : lc.linePos(offset).line;
  };
  return (path) => {
    let node: unknown = doc.contents;
    let line = lineAt(doc.contents, fallback);
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair === undefined) break;
        line = lineAt(pair.key as YamlNode | null, line);
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as YamlNode | null | undefined;
        if (item === undefined || item === null) break;
        line = lineAt(item, line);
        node = item;
      } else {
        break;
      }
    }
    return line;
  };
}
