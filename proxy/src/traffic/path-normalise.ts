/**
 * Request-target normalisation: the one place that decides which path a request is for. The router
 * matches the canonical form and the forwarder sends exactly that form upstream, so the two can
 * never disagree (http-proxy and `new URL` both rewrite paths in ways a router would not see; see
 * field-notes §1.2-1.3). Anything that could be read two ways is refused rather than repaired.
 *
 * Rules:
 * 1. The target is origin-form: it starts with exactly one "/". Absolute-form (`http://h/x`),
 *    authority-form (`h:443`), asterisk-form (`*`) and a leading `//` are refused.
 * 2. The path ends at the first "?"; the rest is the query.
 * 3. Path characters: RFC 3986 pchar (unreserved, sub-delims, ":" "@") and "/", plus "%XX" with two
 *    hex digits. Everything else (`\`, `#`, space, controls, non-ASCII, `"<>{}|^` and backtick) is
 *    refused.
 * 4. Escapes of unreserved characters (ALPHA DIGIT - . _ ~) are decoded; other escapes are kept with
 *    upper-case hex. Escapes that decode to "/", "\", "%", "?", "#", a control byte, NUL or DEL are
 *    refused (they exist only to smuggle a path past a matcher), as are escapes that are not UTF-8.
 * 5. After decoding, "." and ".." segments (however spelled) and empty segments are refused; only a
 *    trailing slash (one empty last segment) is allowed.
 * 6. ";" is refused in the path, raw or as %3B. Servlet containers (Tomcat, Jetty) and Spring cut
 *    ";parameters" from each segment before matching or resolving dots, so "/public/..;/admin" is
 *    "/admin" to them and "/api/admin;x" is "/api/admin", while a matcher reads "admin;x" as some
 *    other segment (a `{param}`). Spring Security's default firewall refuses ";" for the same reason.
 * 7. The query may hold pchar, "/", "?" and well-formed "%XX"; it is passed through unchanged.
 */

export type NormalisedTarget =
  | {
      readonly ok: true;
      /** Canonical path: what routing matches and what the upstream receives. */
      readonly path: string;
      /** Canonical request target: path plus the untouched query (with its "?"), if any. */
      readonly url: string;
    }
  | { readonly ok: false; readonly reason: string };

const PATH_CHARS = charTable("ALPHA DIGIT -._~ !$&'()*+,;= :@ /");
const QUERY_CHARS = charTable("ALPHA DIGIT -._~ !$&'()*+,;= :@ / ?");
const UNRESERVED = charTable('ALPHA DIGIT -._~');

/** Bytes whose escaped form is refused: path and query delimiters, "%" itself, controls, DEL. */
function isForbiddenEscape(byte: number): boolean {
  return (
    byte < 0x20 ||
    byte === 0x7f ||
    byte === 0x2f ||
    byte === 0x5c ||
    byte === 0x25 ||
    byte === 0x3f ||
    byte === 0x23 ||
    byte === 0x3b
  );
}

const HEX_UPPER = '0123456789ABCDEF';

export function normaliseTarget(raw: string): NormalisedTarget {
  if (raw.charCodeAt(0) !== 0x2f) return { ok: false, reason: 'request target is not origin-form' };
  if (raw.charCodeAt(1) === 0x2f) return { ok: false, reason: 'request target starts with "//"' };

  const q = raw.indexOf('?');
  const rawPath = q === -1 ? raw : raw.slice(0, q);
  const query = q === -1 ? null : raw.slice(q + 1);

  let path = '';
  let keptEscape = false;
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (c === 0x25) {
      const byte = hexByte(rawPath, i + 1);
      if (byte < 0) return { ok: false, reason: 'malformed percent-escape in path' };
      i += 2;
      if (UNRESERVED[byte] === 1) {
        path += String.fromCharCode(byte);
      } else if (isForbiddenEscape(byte)) {
        return { ok: false, reason: `forbidden escape %${hex(byte)} in path` };
      } else {
        path += `%${hex(byte)}`;
        keptEscape = true;
      }
    } else if (c === 0x3b) {
      return { ok: false, reason: '";" in path' };
    } else if (c < 0x80 && PATH_CHARS[c] === 1) {
      path += rawPath[i];
    } else {
      return { ok: false, reason: 'character not allowed in path' };
    }
  }

  const segmentProblem = checkSegments(path);
  if (segmentProblem !== undefined) return { ok: false, reason: segmentProblem };
  if (keptEscape && !isUtf8Escapes(path)) return { ok: false, reason: 'escapes in path are not UTF-8' };

  if (query !== null) {
    for (let i = 0; i < query.length; i++) {
      const c = query.charCodeAt(i);
      if (c === 0x25) {
        if (hexByte(query, i + 1) < 0) return { ok: false, reason: 'malformed percent-escape in query' };
        i += 2;
      } else if (c >= 0x80 || QUERY_CHARS[c] !== 1) {
        return { ok: false, reason: 'character not allowed in query' };
      }
    }
  }
  return { ok: true, path, url: query === null ? path : `${path}?${query}` };
}

/** Splits a canonical path ("/" or "/a/b[/]") into the segments routing walks. */
export function pathSegments(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

function checkSegments(path: string): string | undefined {
  const segments = pathSegments(path);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg === undefined) continue;
    if (seg === '.' || seg === '..') return 'dot segment in path';
    if (seg === '' && i !== segments.length - 1) return 'empty segment in path';
  }
  return undefined;
}

function isUtf8Escapes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

function hexByte(s: string, at: number): number {
  const hi = hexDigit(s.charCodeAt(at));
  const lo = hexDigit(s.charCodeAt(at + 1));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function hex(byte: number): string {
  return `${HEX_UPPER[byte >> 4] ?? '0'}${HEX_UPPER[byte & 15] ?? '0'}`;
}

/** A 128-entry lookup table from a spec such as "ALPHA DIGIT -._~" (spaces separate groups). */
function charTable(spec: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const group of spec.split(' ')) {
    if (group === 'ALPHA') {
      for (let c = 0x41; c <= 0x5a; c++) table[c] = table[c + 0x20] = 1;
    } else if (group === 'DIGIT') {
      for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
    } else {
      for (const ch of group) table[ch.charCodeAt(0)] = 1;
    }
  }
  return table;
}
