import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { canonicalJson } from '@portcullis/contract';
import { namedPathMessage } from '../resources/read-file.js';
import { errorMessage } from '../errors.js';

/** What a command writes to; injected so that tests can run commands in-process. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;

export type Parsed<O extends Options> =
  | {
      readonly ok: true;
      readonly values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];
    }
  | { readonly ok: false; readonly message: string };

/** Strict flag parsing: an unknown flag or a stray argument is a usage error, never ignored. */
export function parseFlags<O extends Options>(argv: readonly string[], options: O): Parsed<O> {
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return { ok: true, values };
  } catch (err) {
    const full = errorMessage(err, 'bad arguments');
    const message = full.split('. ')[0] ?? full;
    // `validate examples/gitops` is the natural first try: say how to name it.
    const takesPaths = Object.values(options).some((o) => o.short === 'f');
    const stray = /^Unexpected argument '/.test(message) && takesPaths;
    return { ok: false, message: stray ? `${message}; name files and folders with -f <path>` : message };
  }
}

export function usageError(io: CliIo, command: string, message: string): number {
  io.stderr.write(`portcullis ${command}: ${message}\nRun "portcullis ${command} --help" for usage.\n`);
  return EXIT.usage;
}

/** Canonical (sorted keys) and indented: stable output that diffs well. */
export function canonicalPretty(value: unknown): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(value)), null, 2)}\n`;
}

/**
 * A whole decimal number within [min, max], or the usage message naming the flag. Stricter than
 * `Number()`, which takes "", " ", "1e3" and "0x50" for numbers a user did not mean.
 */
export function parseIntegerFlag(flag: string, raw: string, min: number, max: number): number | string {
  const n = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(n) && n >= min && n <= max
    ? n
    : `${flag}: "${raw}" is not a whole number from ${min} to ${max}`;
}

/**
 * Why a policy folder given on the command line cannot be watched, or undefined when it exists.
 * Checked before starting anything: a typo in -f must not bring up a gateway with no policy.
 */
export async function missingPathMessage(path: string): Promise<string | undefined> {
  try {
    await stat(path);
    return undefined;
  } catch (err) {
    return `${path}: ${namedPathMessage(err)}`;
  }
}
