/** A path into an object, as zod reports it and as messages print it: `spec.routes[1].path`. */
export type FieldPath = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(document)' : out;
}

/** A user mistake, located by field path; the message never repeats the path. */
export interface Problem {
  readonly path: FieldPath;
  readonly message: string;
}

export function problemText(p: Problem): string {
  return `${formatPath(p.path)}: ${p.message}`;
}
