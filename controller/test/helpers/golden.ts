import { readFile, writeFile } from 'node:fs/promises';
import { canonicalJson } from '@portcullis/contract';
import { format, resolveConfig } from 'prettier';

/** Golden files are canonical JSON (sorted keys), laid out by the repository's prettier config. */
export async function writeGolden(file: string, value: unknown): Promise<void> {
  const text = JSON.stringify(JSON.parse(canonicalJson(value)), null, 2);
  const config = (await resolveConfig(file)) ?? {};
  await writeFile(file, await format(text, { ...config, filepath: file, parser: 'json' }));
}

export async function readGolden(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8')) as unknown;
}

/** The same value as it would be written: key order and `undefined` members normalised away. */
export function canonical(value: unknown): unknown {
  return JSON.parse(canonicalJson(value)) as unknown;
}

export const UPDATE_GOLDEN = process.env['UPDATE_GOLDEN'] === '1';
