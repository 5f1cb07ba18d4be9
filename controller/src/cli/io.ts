import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { canonicalJson } from '@portcullis/contract';
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
    return { ok: false, message };
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
