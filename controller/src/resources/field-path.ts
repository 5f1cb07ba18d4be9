/** A path into an object, as zod reports it and as messages print it: `spec.routes[1].path`. */
export type FieldPath = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg) && seg.length <= MAX_SHOWN) out += out === '' ? seg : `.${seg}`;
    else out += `[${quoted(seg)}]`;
  }
  return out === '' ? '(document)' : out;
}

/** How much of a user's string a message repeats: a 1 MiB key must not become a 1 MiB log line. */
const MAX_SHOWN = 64;
/**
 * Control, format (bidi overrides, zero-width) and separator characters. A file's text reaches the
 * operator's terminal and logs through messages; ESC or U+202E there would let a file rewrite what
 * the operator sees. JSON.stringify escapes only C0, so these are escaped here.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

const escapeUnsafe = (s: string): string =>
  s.replace(UNSAFE, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);

/** A user's string as a message may show it: quoted, unsafe characters escaped, long text cut. */
export function quoted(s: string): string {
  const cut = s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s;
  const body = escapeUnsafe(JSON.stringify(cut));
  return s.length > MAX_SHOWN ? `${body} (${s.length} characters)` : body;
}

/** A message that may embed a file's text (the YAML library quotes tags and alias names): escaped and cut. */
export function safeMessage(message: string, max = 300): string {
  const cut = message.length > max ? `${message.slice(0, max)}…` : message;
  return escapeUnsafe(cut);
}

/** A user's string left bare when it is short and plainly printable (kinds, names), else `quoted`. */
export function shown(s: string): string {
  return /^[\x21-\x7e]{1,64}$/.test(s) ? s : quoted(s);
}

/** A user mistake, located by field path; the message never repeats the path. */
export interface Problem {
  readonly path: FieldPath;
  readonly message: string;
}

export function problemText(p: Problem): string {
  return `${formatPath(p.path)}: ${p.message}`;
}
