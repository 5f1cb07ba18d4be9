import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI_BIN, REPO_ROOT } from './helpers/processes.js';

const run = promisify(execFile);

/** The example folders the docs point at say what the docs say they say. */
describe('example folders and `portcullis validate`', () => {
  it('examples/gitops validates cleanly (exit 0)', async () => {
    const { stdout } = await run(process.execPath, [CLI_BIN, 'validate', '-f', 'examples/gitops'], {
      cwd: REPO_ROOT,
    });
    expect(stdout).toMatch(/^OK: 3 objects from 3 files/m);
  });

  it('examples/invalid names file, line, object and field of each mistake (exit 1)', async () => {
    const failure = await run(process.execPath, [CLI_BIN, 'validate', '-f', 'examples/invalid'], {
      cwd: REPO_ROOT,
    }).then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(failure?.code).toBe(1);
    const out = failure?.stdout ?? '';
    expect(out).toContain(
      'examples/invalid/mistakes.yaml:8: RouteClassification shop/orders-api: spec.hosts[0]:',
    );
    expect(out).toContain('spec.routes[0].path: dot segments are not allowed');
    expect(out).toContain('spec.authentication.jwt[0].algorithms[0]: HS256 is a shared-secret algorithm');
    expect(out).toContain('spec.rateLimits: not supported by this version of Portcullis');

    // The README shows this output line by line (long lines cut with an ellipsis): keep them equal.
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const shown = readme
      .split('\n')
      .filter((l) => /^# (examples\/invalid\/|FAILED:)/.test(l))
      .map((l) => l.slice(2).replace(/…$/, ''));
    const printed = out.split('\n').filter((l) => l !== '');
    expect(shown.length).toBe(printed.length);
    shown.forEach((line, i) => expect(printed[i]?.startsWith(line)).toBe(true));
  });
});
