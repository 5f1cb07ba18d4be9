/**
 * Bytes to YAML text. A policy file is UTF-8 (as kubectl reads it); anything else is refused rather
 * than guessed at: Node's default decoding turns each invalid byte into U+FFFD, which would silently
 * change a Secret value or an issuer from what the file holds.
 */

export type Decoded =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

/** Byte-order marks of encodings YAML allows but we do not read, longest first (UTF-32 LE starts like UTF-16 LE). */
const OTHER_BOMS: readonly (readonly [string, readonly number[]])[] = [
  ['UTF-32', [0x00, 0x00, 0xfe, 0xff]],
  ['UTF-32', [0xff, 0xfe, 0x00, 0x00]],
  ['UTF-16', [0xfe, 0xff]],
  ['UTF-16', [0xff, 0xfe]],
];

export function decodeUtf8(bytes: Uint8Array): Decoded {
  for (const [name, bom] of OTHER_BOMS) {
    if (bom.every((b, i) => bytes[i] === b)) {
      return { ok: false, message: `the file is ${name}; save it as UTF-8` };
    }
  }
  try {
    // A leading UTF-8 BOM is dropped, as kubectl does; `fatal` makes any invalid byte an error.
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return {
      ok: false,
      message: `not valid UTF-8 (at byte ${firstInvalidByte(bytes)}); save the file as UTF-8`,
    };
  }
}

/** Offset of the first byte that does not decode, for the message (the decoder does not say). */
function firstInvalidByte(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // Largest prefix that decodes, by bisection; a cut inside a valid multi-byte character moves
  // the answer by at most 3 bytes, which is precise enough to find it in an editor.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      decoder.decode(bytes.subarray(0, mid));
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

/**
 * YAML 1.2 §5.1 allows only printable characters in a stream (escapes such as "\e" stay allowed:
 * they are the visible way to write one). The `yaml` library does not enforce it, and a raw NUL or
 * ESC in a policy file means a binary file, a UTF-16 file without a BOM, or an attempt to hide text.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_PRINTABLE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]/;
/**
 * Printable, but they make a file read differently from how it looks: bidi embeddings, overrides and
 * isolates reorder what an editor or a review shows ("Trojan Source", CVE-2021-42574), and a BOM
 * past the start is invisible (`\ufeffapiVersion` is not the key `apiVersion`). Refused raw, like
 * compilers do; the escaped forms stay available for text that needs them.
 */
const INVISIBLE = /[\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function firstNonPrintable(text: string): { index: number; message: string } | undefined {
  const control = NOT_PRINTABLE.exec(text);
  // A BOM that opens the text is the one place it belongs (file reads already drop it).
  INVISIBLE.lastIndex = text.startsWith('\ufeff') ? 1 : 0;
  const invisible = INVISIBLE.exec(text);
  const m = control !== null && (invisible === null || control.index < invisible.index) ? control : invisible;
  if (m === null) return undefined;
  const code = `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  const what = m === control ? 'control character' : 'invisible formatting character';
  return {
    index: m.index,
    message: `${what} ${code} in the file; YAML here allows only printable, visible characters (write it as an escape such as "\\u${code.slice(2).toLowerCase()}" in a double-quoted string if it is meant)`,
  };
}
