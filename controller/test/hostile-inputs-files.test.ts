import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { collectYamlFiles, loadPaths, readListedFile, readYamlFile } from '../src/resources/loader.js';
import type { LoadResult } from '../src/resources/loader.js';

/**
 * Folders a hostile user could point `validate`, `compile` or `up` at. Every case must finish (a
 * FIFO must not block), be reported against the entry itself, and never hide the good files
 * beside it. Real files in a temporary folder.
 */

const run = promisify(execFile);
const secret = (name: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}}\nstringData: {a: b}\n`;

describe('hostile folders', () => {
  let base: string;
  let dir: string;
  let outside: string;

  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'portcullis-hostile-'));
    dir = path.join(base, 'policies');
    outside = path.join(base, 'outside');
    await mkdir(dir);
    await mkdir(outside);
    await writeFile(path.join(dir, 'good.yaml'), secret('good'));
    await writeFile(path.join(outside, 'private.yaml'), secret('private'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const rel = (f: string) => path.relative(base, f);
  /** Errors as `relative/file: message` (sorted: listing errors come first), and the objects that loaded. */
  const summary = (r: LoadResult) => ({
    objects: r.resources.map((x) => x.name).sort(),
    errors: r.errors.map((e) => `${rel(e.file)}: ${e.message}`).sort(),
  });

  it('refuses a file larger than the limit, naming it', async () => {
    await writeFile(path.join(dir, 'big.yaml'), `${secret('big')}#${'x'.repeat(4 * 1024 * 1024)}\n`);
    expect(summary(await loadPaths([dir]))).toEqual({
      objects: ['good'],
      errors: ['policies/big.yaml: file larger than 4 MiB (the limit for one file)'],
    });
  });

  it('refuses bytes that are not UTF-8 instead of replacing them', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(secret('l').replace('{a: b}', '{a: "caf')),
      Buffer.from('e9227d0a', 'hex'),
    ]);
    await writeFile(path.join(dir, 'latin1.yaml'), latin1);
    const utf16 = Buffer.concat([Buffer.from('fffe', 'hex'), Buffer.from(secret('u'), 'utf16le')]);
    await writeFile(path.join(dir, 'utf16.yaml'), utf16);
    expect(summary(await loadPaths([dir]))).toEqual({
      objects: ['good'],
      errors: [
        'policies/latin1.yaml: not valid UTF-8 (at byte 69); save the file as UTF-8',
        'policies/utf16.yaml: the file is UTF-16; save it as UTF-8',
      ],
    });
  });

  it('accepts a UTF-8 BOM, as kubectl does', async () => {
    await writeFile(path.join(dir, 'bom.yaml'), `\ufeff${secret('bom')}`);
    expect(summary(await loadPaths([dir]))).toEqual({ objects: ['bom', 'good'], errors: [] });
  });

  it('refuses a FIFO named *.yaml without opening it for a writer that never comes', async () => {
    await run('mkfifo', [path.join(dir, 'pipe.yaml')]);
    const message = 'not a regular file (a named pipe); only regular files are read';
    expect(summary(await loadPaths([dir]))).toEqual({
      objects: ['good'],
      errors: [`policies/pipe.yaml: ${message}`],
    });
    // Named explicitly, and read directly (as after a swap between listing and reading).
    expect(summary(await loadPaths([path.join(dir, 'pipe.yaml')])).errors).toEqual([
      `policies/pipe.yaml: ${message}`,
    ]);
    expect((await readYamlFile(path.join(dir, 'pipe.yaml'))).errors[0]?.message).toBe(message);
  });

  describe('with a socket', () => {
    let server: Server | undefined;
    afterEach(async () => {
      await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
    });
    it('refuses a socket named *.yaml', async () => {
      const sock = path.join(dir, 'sock.yaml');
      server = createServer();
      await new Promise<void>((resolve) => server?.listen(sock, resolve));
      expect(summary(await loadPaths([dir])).errors).toEqual([
        'policies/sock.yaml: not a regular file (a socket); only regular files are read',
      ]);
    });
  });

  it('refuses a device, named explicitly or linked into the folder', async () => {
    expect((await loadPaths(['/dev/zero'])).errors.map((e) => e.message)).toEqual([
      'not a regular file (a device); only regular files are read',
    ]);
    await symlink('/dev/zero', path.join(dir, 'zero.yaml'));
    expect(summary(await loadPaths([dir])).errors).toEqual([
      'policies/zero.yaml: symbolic link to "/dev/zero", outside the folder ' +
        `${JSON.stringify(await realBase('policies'))}; links may only point inside it`,
    ]);
  });

  it('reads a folder named *.yaml as a folder', async () => {
    await mkdir(path.join(dir, 'team.yaml'));
    await writeFile(path.join(dir, 'team.yaml', 'inner.yaml'), secret('inner'));
    expect(summary(await loadPaths([dir]))).toEqual({ objects: ['good', 'inner'], errors: [] });
  });

  it('refuses symlinks that leave the folder, for files and for folders', async () => {
    await symlink(path.join(outside, 'private.yaml'), path.join(dir, 'escape.yaml'));
    await symlink(outside, path.join(dir, 'escape-dir'));
    await symlink('..', path.join(dir, 'parent'));
    const r = summary(await loadPaths([dir]));
    expect(r.objects).toEqual(['good']);
    const root = JSON.stringify(await realBase('policies'));
    expect(r.errors).toEqual([
      `policies/escape-dir: symbolic link to ${JSON.stringify(await realBase('outside'))}, outside the folder ${root}; links may only point inside it`,
      `policies/escape.yaml: symbolic link to ${JSON.stringify(await realBase('outside/private.yaml'))}, outside the folder ${root}; links may only point inside it`,
      `policies/parent: symbolic link to ${JSON.stringify(await realBase(''))}, outside the folder ${root}; links may only point inside it`,
    ]);
  });

  it('follows links that stay inside, as a ConfigMap mount uses them', async () => {
    await mkdir(path.join(dir, '..2025_01_01'));
    await writeFile(path.join(dir, '..2025_01_01', 'cm.yaml'), secret('from-configmap'));
    await symlink('..2025_01_01', path.join(dir, '..data'));
    await symlink(path.join('..data', 'cm.yaml'), path.join(dir, 'cm.yaml'));
    expect(summary(await loadPaths([dir]))).toEqual({ objects: ['from-configmap', 'good'], errors: [] });
  });

  it('reports link loops on the link, and still reads the rest', async () => {
    await symlink('self.yaml', path.join(dir, 'self.yaml'));
    await mkdir(path.join(dir, 'sub'));
    await symlink('..', path.join(dir, 'sub', 'back'));
    expect(summary(await loadPaths([dir]))).toEqual({
      objects: ['good'],
      errors: [
        'policies/self.yaml: too many levels of symbolic links (a link loop)',
        'policies/sub/back: the same folder as ' +
          `${dir} (a symbolic link loop or a second link to it); read once`,
      ],
    });
  });

  it('reports a broken link on the link, and still reads the rest', async () => {
    await symlink(path.join(base, 'gone.yaml'), path.join(dir, 'broken.yaml'));
    await symlink(path.join(base, 'gone'), path.join(dir, 'broken-other'));
    const r = await loadPaths([dir]);
    expect(summary(r)).toEqual({
      objects: ['good'],
      errors: [
        'policies/broken.yaml: no such file or folder (a broken symbolic link, or it was removed while being read)',
      ],
    });
    // A broken link without a YAML name may be anything: a warning, not a failed validation.
    expect(r.warnings.map((w) => rel(w.file))).toEqual(['policies/broken-other']);
  });

  it('reports folders nested past the depth limit instead of skipping them silently', async () => {
    const deep = path.join(dir, ...Array.from({ length: 18 }, (_, i) => `d${i}`));
    await mkdir(deep, { recursive: true });
    await writeFile(path.join(deep, 'lost.yaml'), secret('lost'));
    const r = summary(await loadPaths([dir]));
    expect(r.objects).toEqual(['good']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/d16: folders nested more than 16 levels deep are not read$/);
  });

  it('reports a file that disappears between the listing and the read', async () => {
    await writeFile(path.join(dir, 'fleeting.yaml'), secret('fleeting'));
    const listing = await collectYamlFiles([dir]);
    await unlink(path.join(dir, 'fleeting.yaml'));
    const read = await readListedFile(listing, path.join(dir, 'fleeting.yaml'));
    expect(read.errors.map((e) => `${rel(e.file)}: ${e.message}`)).toEqual([
      'policies/fleeting.yaml: no such file or folder (a broken symbolic link, or it was removed while being read)',
    ]);
  });

  // Root reads any file whatever its mode, so this can only be shown as another user.
  (process.getuid?.() === 0 ? it.skip : it)('reports unreadable files and folders by name', async () => {
    await writeFile(path.join(dir, 'locked.yaml'), secret('locked'));
    await chmod(path.join(dir, 'locked.yaml'), 0o000);
    await mkdir(path.join(dir, 'locked-dir'));
    await chmod(path.join(dir, 'locked-dir'), 0o000);
    try {
      expect(summary(await loadPaths([dir]))).toEqual({
        objects: ['good'],
        errors: ['policies/locked-dir: permission denied', 'policies/locked.yaml: permission denied'],
      });
    } finally {
      await chmod(path.join(dir, 'locked-dir'), 0o755);
    }
  });

  async function realBase(p: string): Promise<string> {
    const { realpath } = await import('node:fs/promises');
    return path.join(await realpath(base), p);
  }
});
