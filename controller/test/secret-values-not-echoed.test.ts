import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cli } from './helpers/cli.js';
import { loadYamlText } from '../src/resources/loader.js';

/**
 * A Secret's values must never come back in a message. YAML reads an unquoted value that starts
 * with `!`, `*`, `|` or `>` as a tag, an alias or a block-scalar header, and the `yaml` library's
 * message then quotes the value itself (`Unresolved tag: !s3cr3t`), which `validate`, `compile`
 * and the controller's log repeated. Likewise a refused `--proxy` URL was quoted whole, with the
 * `user:password@` or `?access_token=` it was refused for.
 */

const MARK = 'S3cr3tValueXq';

const secret = (body: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: demo\n${body}`;

/** Values a user could write unquoted in a Secret, each read by YAML as something else. */
const SPELLINGS: readonly (readonly [string, string])[] = [
  ['a tag', `stringData:\n  password: !${MARK}\n`],
  ['a tag in a flow map', `stringData: {password: !${MARK}, other: x}\n`],
  ['a tag under data', `data:\n  password: !${MARK}\n`],
  ['a verbatim tag', `stringData:\n  password: !<${MARK}>\n`],
  ['an alias', `stringData:\n  password: *${MARK}\n`],
  ['a block scalar header', `stringData:\n  password: |${MARK}\n    x\n`],
  ['a folded header followed by text', `stringData:\n  password: >-x ${MARK}\n`],
  ['a bad escape', `stringData:\n  password: "\\q${MARK}"\n`],
];

/** Everything the command wrote, stdout and stderr: a Secret value must be in neither. */
async function run(...argv: string[]) {
  const r = await cli(...argv);
  return { code: r.code, out: r.stdout + r.stderr };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-secret-echo-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Secret values in load errors', () => {
  it.each(SPELLINGS)('does not quote %s', (_what, body) => {
    const r = loadYamlText(secret(body), 's.yaml');
    expect(r.errors.length).toBeGreaterThan(0);
    for (const e of r.errors) {
      expect(e.message).not.toContain(MARK);
      expect(e.message).toContain('not shown');
    }
  });

  it.each(SPELLINGS)('keeps %s out of validate and compile output', async (what, body) => {
    const folder = path.join(dir, what.replace(/\W+/g, '-'));
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder);
    await writeFile(path.join(folder, 's.yaml'), secret(body));
    const validate = await run('validate', '-f', folder);
    expect(validate.code).toBe(1);
    expect(validate.out).toContain('s.yaml:');
    expect(validate.out).not.toContain(MARK);
    const compile = await run('compile', '-f', folder);
    expect(compile.code).toBe(1);
    expect(compile.out).not.toContain(MARK);
  });

  it('still names a tag that types a value, and an alias outside data and stringData', () => {
    const typed = loadYamlText(secret('stringData:\n  a: !custom value\n'), 's.yaml');
    expect(typed.errors[0]?.message).toContain('Unresolved tag: !custom');
    const alias = loadYamlText(secret('y: *anchorName\n'), 's.yaml');
    expect(alias.errors[0]?.message).toContain('anchorName');
  });
});

describe('refused --proxy URLs', () => {
  it.each([
    ['credentials', `http://admin:${MARK}@127.0.0.1:9901`],
    ['a query', `http://127.0.0.1:9901/?access_token=${MARK}`],
    ['a fragment', `http://127.0.0.1:9901/#${MARK}`],
    ['credentials and another scheme', `ftp://u:${MARK}@127.0.0.1/`],
    ['credentials in text that is not a URL', `http://u:${MARK}@[bad`],
    ['credentials without a scheme', `u:${MARK}@127.0.0.1:9901`],
  ])('are refused without quoting %s', async (_what, url) => {
    const r = await run('controller', '-f', dir, '--proxy', url, '--signing-key', 'k.pem');
    expect(r.code).toBe(2);
    expect(r.out).toContain('--proxy');
    expect(r.out).not.toContain(MARK);
  });
});
