import { Composer, Lexer, Parser } from 'yaml';
import type { Document, LineCounter, YAMLError } from 'yaml';
import { quoted, safeMessage } from './field-path.js';
import { DEFAULT_HARDEN_LIMITS } from './json.js';
import { duplicateKeys } from './yaml-keys.js';
import { errorMessage } from '../errors.js';

/**
 * How the `yaml` library is driven for every file. YAML 1.2 core schema; no merge keys (`<<` stays
 * an ordinary key and is then refused as an unknown field); every key read as a string
 * (`stringKeys`: a map or alias as a key is an error, and `1:` and `"1":` are one key, as they are
 * in JSON, so the duplicate check sees them collide instead of one silently replacing the other);
 * the YAML 1.1 types the core schema would still resolve when tagged explicitly (`!!binary`,
 * `!!timestamp`, `!!set`, `!!omap`, `!!pairs`) turned off, so that every explicit non-core tag is
 * an unresolved tag, and refused. `uniqueKeys` is off only because its check is quadratic; see
 * duplicateKeys, which replaces it.
 */
const PARSE_OPTIONS = {
  version: '1.2',
  schema: 'core',
  merge: false,
  strict: true,
  stringKeys: true,
  resolveKnownTags: false,
  uniqueKeys: false,
} as const;

/** Counts with the library's own lexer, which streams and keeps nothing: cheap next to the parse. */
export function moreTokensThan(text: string, max: number): boolean {
  let tokens = 0;
  for (const _ of new Lexer().lex(text)) {
    tokens += 1;
    if (tokens > max) return true;
  }
  return false;
}

export interface Composed {
  readonly docs: readonly Document.Parsed[];
  readonly streamErrors: readonly YAMLError[];
  readonly tooMany: boolean;
}

/**
 * The library's parser and composer run as a stream, so that a file of a million `---` stops after
 * the first document over the limit (parseAllDocuments composes all of them first: ~5 s measured).
 */
export function composeDocuments(text: string, lineCounter: LineCounter, maxDocuments: number): Composed {
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer(PARSE_OPTIONS);
  const docs: Document.Parsed[] = [];
  for (const doc of composer.compose(parser.parse(text))) {
    docs.push(doc);
    if (docs.length > maxDocuments) return { docs, streamErrors: [], tooMany: true };
  }
  // A stream with no document still reports what is wrong with it (a stray directive, say).
  const info = docs.length === 0 ? composer.streamInfo() : undefined;
  return { docs, streamErrors: info === undefined ? [] : [...info.errors, ...info.warnings], tooMany: false };
}

export type ReadDocument =
  | { readonly ok: true; readonly raw: unknown }
  | { readonly ok: false; readonly offset?: number; readonly message: string };

/** Duplicate keys, then the document as JS; anything the library throws becomes a message. */
export function readDocument(doc: Document.Parsed, maxAliasCount: number): ReadDocument {
  try {
    const dup = duplicateKeys(doc)[0];
    if (dup !== undefined) {
      const message = `duplicate key ${quoted(dup.key)}: map keys must be unique`;
      return { ok: false, offset: dup.offset, message };
    }
    return { ok: true, raw: doc.toJS({ maxAliasCount }) };
  } catch (err) {
    return { ok: false, message: libraryMessage(errorMessage(err, 'unreadable document')) };
  }
}

/** What a stack overflow in the library's recursion means for the user. */
const TOO_DEEP = `nested deeper than ${DEFAULT_HARDEN_LIMITS.maxDepth} levels`;

/**
 * The message for one of the library's errors or warnings (all are errors here). Its messages may
 * quote the file (tag and alias names), so they are escaped and cut like any user text.
 */
export function yamlErrorMessage(e: YAMLError): string {
  switch (e.code) {
    // The composer catches a stack overflow in its own recursion and reports it under this code.
    case 'RESOURCE_EXHAUSTION':
      return TOO_DEEP;
    case 'NON_STRING_KEY':
      return 'keys must be strings (a map, a list or an alias cannot be a key)';
    case 'TAG_RESOLVE_FAILED':
    case 'BAD_COLLECTION_TYPE':
      return `${libraryMessage(e.message)} (only plain YAML is read: strings, numbers, true/false, null, maps and lists; no custom or YAML 1.1 tags)`;
    default:
      return libraryMessage(e.message);
  }
}

function libraryMessage(message: string): string {
  return /maximum call stack/i.test(message) ? TOO_DEEP : safeMessage(firstLine(message));
}

/** yaml's pretty messages repeat the source excerpt on later lines; the first line says it all. */
function firstLine(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}
