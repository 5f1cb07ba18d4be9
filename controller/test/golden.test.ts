import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { SnapshotSchema } from '@portcullis/contract';
import { compile } from '../src/compiler/compile.js';
import { loadYamlText } from '../src/resources/loader.js';
import { UPDATE_GOLDEN, canonical, readGolden, writeGolden } from './helpers/golden.js';

/**
 * Golden compiler tests: multi-document YAML exactly as kubectl would take it, in; snapshot and every
 * object's status, out. `UPDATE_GOLDEN=1` rewrites the .out.json files; review them as diffs.
 * The same .out.json files are the proxy's fixtures (e2e/test/golden-accepted.test.ts).
 */
const DIR = path.dirname(fileURLToPath(import.meta.url));
const GOLDEN = path.join(DIR, 'golden');
const cases = (await readdir(GOLDEN))
  .filter((f) => f.endsWith('.in.yaml'))
  .map((f) => f.slice(0, -'.in.yaml'.length))
  .sort();

describe('golden compiler cases', () => {
  it('has the cases the design asks for', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  it.each(cases)('%s', async (name) => {
    const text = await readFile(path.join(GOLDEN, `${name}.in.yaml`), 'utf8');
    const load = loadYamlText(text, `${name}.in.yaml`);
    expect(load.errors).toEqual([]);

    const output = compile({ resources: load.resources });
    const schema = SnapshotSchema.safeParse(output.snapshot);
    expect(schema.success ? 'valid' : schema.error.message).toBe('valid');

    const actual = canonical({ snapshot: output.snapshot, statuses: output.statuses });
    const outFile = path.join(GOLDEN, `${name}.out.json`);
    if (UPDATE_GOLDEN) await writeGolden(outFile, actual);
    expect(actual).toEqual(await readGolden(outFile));
  });

  it('is deterministic: the input order of documents does not change the output', async () => {
    const text = await readFile(path.join(GOLDEN, 'two-policies-conjunction.in.yaml'), 'utf8');
    const docs = text.split(/^---$/m);
    const forward = compile({ resources: loadYamlText(docs.join('---'), 'a.yaml').resources });
    const reversed = compile({
      resources: loadYamlText([...docs].reverse().join('\n---\n'), 'b.yaml').resources,
    });
    expect(canonical(reversed.snapshot)).toEqual(canonical(forward.snapshot));
    expect(canonical(reversed.statuses)).toEqual(canonical(forward.statuses));
  });
});
