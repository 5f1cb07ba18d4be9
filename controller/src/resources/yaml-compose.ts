import { Composer, Lexer, Parser, isMap, isScalar, visit } from 'yaml';
import type { Document, LineCounter, YAMLError } from 'yaml';
import { quoted, safeMessage } from './field-path.js';
import { DEFAULT_HARDEN_LIMITS } from './json.js';
import { firstDuplicateKey } from './yaml-keys.js';
import { errorMessage } from '../errors.js';

/**
 * How the `yaml` library is driven for every file. YAML 1.2 core schema; no merge keys (`<<` stays
 * an ordinary key and is then refused as an unknown field); every key read as a string
 * (`stringKeys`: a map or alias as a key is an error, and `1:` and `"1":` are one key, as they are
 * in JSON, so the duplicate check sees them collide instead of one silently replacing the other);
 * the YAML 1.1 types the core schema would still resolve when tagged explicitly (`!!binary`,
 * `!!timestamp`, `!!set`, `!!omap`, `!!pairs`) turned off, so that every explicit non-core tag is
 * an unresolved tag, and refused. `uniqueKeys` is off only because its check is quadratic; see
 * firstDuplicateKey, which replaces it.
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
    const dup = firstDuplicateKey(doc);
    if (dup !== undefined) {
      const message = `duplicate key ${quoted(dup.key)}: map keys must be unique`;
      return { ok: false, offset: dup.offset, message };
    }
    return { ok: true, raw: doc.toJS({ maxAliasCount }) };
  } catch (err) {
    const message = libraryMessage(errorMessage(err, 'unreadable document'));
    // The library names the unresolved alias; `password: *s3cr3t` makes that name a Secret value.
    return { ok: false, message: aliasInSecretValues(doc) ? hideSource(message) : message };
  }
}

/**
 * Whether an offset lies in the value of a top-level `data` or `stringData` key (a Secret's values,
 * whatever the document's kind claims). The library's messages quote the file: an unquoted value
 * that starts with `!`, `*`, `|` or `>` is read as a tag, an alias or a block-scalar header, and
 * the message then repeats the value itself (`Unresolved tag: !s3cr3t`). In these ranges such
 * messages never quote the text, so a Secret value never reaches validate, compile or the logs.
 */
export function secretValueRange(doc: Document.Parsed): (offset: number) => boolean {
  const ranges: (readonly [number, number])[] = [];
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      if (!isScalar(pair.key) || (pair.key.value !== 'data' && pair.key.value !== 'stringData')) continue;
      const from = pair.key.range?.[0];
      const value = pair.value as { range?: readonly number[] | null } | null;
      const to = value?.range?.[2] ?? pair.key.range?.[2];
      if (from !== undefined && to !== undefined) ranges.push([from, to]);
    }
  }
  return (offset) => ranges.some(([from, to]) => offset >= from && offset <= to);
}

function aliasInSecretValues(doc: Document.Parsed): boolean {
  const inSecret = secretValueRange(doc);
  let found = false;
  visit(doc, {
    Alias(_key, node) {
      const at = node.range?.[0];
      if (at !== undefined && inSecret(at)) {
        found = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

const HIDDEN =
  '(the text is not shown: a Secret value may be there; quote a value that starts with !, *, &, |, > or %)';

/** A library message without the file text it quotes (see secretValueRange). */
function hideSource(message: string): string {
  let base = message;
  if (/^Invalid escape sequence/.test(message)) base = 'Invalid escape sequence';
  else if (
    /^(Verbatim tags|Not a valid tag|Could not resolve tag|Unresolved tag)|tag has no suffix$/.test(message)
  )
    base = 'Unresolved tag';
  else if (message.includes(': ')) base = message.slice(0, message.indexOf(': '));
  return `${base} ${HIDDEN}`;
}

/**
 * Whether a tag is all there is of its value (`password: !s3cr3t`): then the "tag" is most likely
 * a value written without quotes. A tag followed by content (`!!binary aGVsbG8=`) is a type, and
 * naming it stays useful.
 */
function tagIsWholeValue(text: string, e: YAMLError): boolean {
  const rest = text.slice(e.pos[1]);
  return /^[ \t]*(?:$|[\r\n#,}\]])/.test(rest);
}

/** What a stack overflow in the library's recursion means for the user. */
const TOO_DEEP = `nested deeper than ${DEFAULT_HARDEN_LIMITS.maxDepth} levels`;

/**
 * The message for one of the library's errors or warnings (all are errors here). Its messages may
 * quote the file (tag and alias names), so they are escaped and cut like any user text.
 */
export function yamlErrorMessage(e: YAMLError, secret?: { readonly text: string }): string {
  switch (e.code) {
    // The composer catches a stack overflow in its own recursion and reports it under this code.
    case 'RESOURCE_EXHAUSTION':
      return TOO_DEEP;
    case 'NON_STRING_KEY':
      return 'keys must be strings (a map, a list or an alias cannot be a key)';
  }
  // In a Secret's data, a message that would quote the file's text does not (see secretValueRange).
  const tagged = e.code === 'TAG_RESOLVE_FAILED' || e.code === 'BAD_COLLECTION_TYPE';
  if (secret !== undefined && (!tagged || tagIsWholeValue(secret.text, e))) {
    return hideSource(libraryMessage(e.message));
  }
  return tagged
    ? `${libraryMessage(e.message)} (only plain YAML is read: strings, numbers, true/false, null, maps and lists; no custom or YAML 1.1 tags)`
    : libraryMessage(e.message);
}

function libraryMessage(message: string): string {
  return /maximum call stack/i.test(message) ? TOO_DEEP : safeMessage(firstLine(message));
}

/** yaml's pretty messages repeat the source excerpt on later lines; the first line says it all. */
function firstLine(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}
