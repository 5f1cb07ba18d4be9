import { LineCounter, isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { FieldPath } from './field-path.js';
import { hardenJson } from './json.js';
import type { JsonValue } from './json.js';
import type { Origin } from './model.js';
import { tooLarge } from './read-file.js';
import { firstNonPrintable } from './text.js';
import {
  composeDocuments,
  moreTokensThan,
  readDocument,
  secretValueRange,
  yamlErrorMessage,
} from './yaml-compose.js';

/** Limits for hostile files: a policy folder is small; anything far bigger is a mistake or an attack. */
export const YAML_LIMITS = {
  maxFileBytes: 4 * 1024 * 1024,
  maxDocumentsPerFile: 1000,
  /** yaml's own guard against alias expansion ("billion laughs"). */
  maxAliasCount: 100,
  /**
   * Values in one file once aliases are expanded. Each document is capped by hardenJson, but a file
   * of a thousand documents each expanding its own aliases was measured at ~5 s for 0.9 MB.
   */
  maxValuesPerFile: 1_000_000,
  /**
   * Lexical tokens in one file, counted before parsing. The library builds its whole syntax tree
   * first, at about 1 KB of memory per item: measured, a 4 MiB `[1,1,1,...]` took 8.7 s and 2.1 GB
   * before any value limit could apply. Ordinary policy YAML is ~0.3 tokens a byte, so this allows
   * about 1.6 MB of it per file (a 1 MiB Secret value is one token) and caps the worst case near 250 MB.
   */
  maxTokensPerFile: 500_000,
} as const;

export interface ParsedDocument {
  readonly value: JsonValue;
  readonly origin: Origin;
}

/** A problem with a file itself (syntax, limits, identity), located by line and column. */
export interface LoadIssue {
  readonly file: string;
  /** 1-based; 0 when the issue is about the path itself (missing, unreadable), not its text. */
  readonly line: number;
  readonly col?: number;
  readonly message: string;
}

export function formatLoadIssue(issue: LoadIssue): string {
  if (issue.line === 0) return `${issue.file}: ${issue.message}`;
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
 * the file name is only a label. Everything the `yaml` library reports is an error, warnings
 * included: each of its warnings (an unresolved tag, an ambiguous alias, an unknown directive, a
 * badly indented flow collection) marks a place where another YAML reader, kubectl's among them,
 * may read the file differently, or where a value silently loses the type its author wrote.
 */
export function parseYamlText(text: string, file: string): ParsedFile {
  const fileError = (message: string, line = 1, col?: number): ParsedFile => ({
    file,
    documents: [],
    errors: [{ file, line, ...(col === undefined ? {} : { col }), message }],
    warnings: [],
  });
  if (Buffer.byteLength(text, 'utf8') > YAML_LIMITS.maxFileBytes) {
    return fileError(tooLarge(YAML_LIMITS.maxFileBytes));
  }
  const bad = firstNonPrintable(text);
  if (bad !== undefined) {
    const before = text.slice(0, bad.index);
    const line = before.split('\n').length;
    return fileError(bad.message, line, bad.index - before.lastIndexOf('\n'));
  }
  if (moreTokensThan(text, YAML_LIMITS.maxTokensPerFile)) {
    return fileError(
      `more than ${YAML_LIMITS.maxTokensPerFile} YAML tokens (about 1.5 MB of ordinary YAML); split the file`,
    );
  }
  const lineCounter = new LineCounter();
  const composed = composeDocuments(text, lineCounter, YAML_LIMITS.maxDocumentsPerFile);
  if (composed.tooMany) {
    return fileError(`more than ${YAML_LIMITS.maxDocumentsPerFile} documents`);
  }
  const issue = (
    e: (typeof composed.streamErrors)[number],
    inSecret?: (offset: number) => boolean,
  ): LoadIssue => {
    const pos = lineCounter.linePos(e.pos[0]);
    const secret = inSecret?.(e.pos[0]) === true ? { text } : undefined;
    return { file, line: pos.line, col: pos.col, message: yamlErrorMessage(e, secret) };
  };
  const errors: LoadIssue[] = composed.streamErrors.map((e) => issue(e));
  const documents: ParsedDocument[] = [];
  let values = 0;
  for (const doc of composed.docs) {
    const before = errors.length;
    const inSecret = secretValueRange(doc);
    // Only the first problem of a document, the earliest in the text: the later ones are almost
    // always consequences of it (one missing `]` gave three errors, none on the right line), and
    // the file is refused whole anyway, so fixing the first and saving again shows what is left.
    const first = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0])[0];
    if (first !== undefined) errors.push(issue(first, inSecret));
    if (errors.length > before || doc.contents === null) continue;
    const start = doc.contents.range?.[0] ?? doc.range[0];
    const line = lineCounter.linePos(start).line;
    const read = readDocument(doc, YAML_LIMITS.maxAliasCount);
    if (!read.ok) {
      const at = read.offset === undefined ? { line } : lineCounter.linePos(read.offset);
      errors.push({ file, ...at, message: read.message });
      continue;
    }
    if (read.raw === null || read.raw === undefined) continue;
    const hardened = hardenJson(read.raw);
    const lineOf = lineLocator(doc, lineCounter, line);
    if (!hardened.ok) {
      errors.push({ file, line: lineOf(hardened.path), message: hardened.message });
      continue;
    }
    values += hardened.nodes;
    if (values > YAML_LIMITS.maxValuesPerFile) {
      const message = `the file has more than ${YAML_LIMITS.maxValuesPerFile} values once aliases are expanded`;
      errors.push({ file, line, message });
      break;
    }
    documents.push({ value: hardened.value, origin: { file, line, lineOf } });
  }
  return { file, documents, errors, warnings: [] };
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
