import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportSigningKeyPem, generateSigningKey, trustedKeysDocument } from '@portcullis/contract';
import { errorMessage } from '../errors.js';
import { EXIT, parseFlags, usageError } from './io.js';
import type { CliIo } from './io.js';

export const KEYGEN_USAGE = `Usage: portcullis keygen --out-dir <dir> [--force]

Creates the controller's Ed25519 snapshot-signing key:
  <dir>/signing-key.pem     the private key (mode 0600) for "portcullis controller --signing-key"
  <dir>/trusted-keys.json   the public JWKS that proxies trust ("--trusted-keys")

Options:
      --out-dir <dir>   where to write (created if missing)
      --force           overwrite existing files
  -h, --help            this text`;

export async function runKeygen(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(argv, {
    'out-dir': { type: 'string' },
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (!parsed.ok) return usageError(io, 'keygen', parsed.message);
  if (parsed.values.help === true) {
    io.stdout.write(`${KEYGEN_USAGE}\n`);
    return EXIT.ok;
  }
  const dir = parsed.values['out-dir'];
  if (dir === undefined) return usageError(io, 'keygen', '--out-dir <dir> is required');

  const key = await generateSigningKey();
  const pemFile = path.join(dir, 'signing-key.pem');
  const trustFile = path.join(dir, 'trusted-keys.json');
  // 'wx' refuses to replace a key by accident: proxies that trust the old one would refuse every push.
  const flag = parsed.values.force === true ? 'w' : 'wx';
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(pemFile, await exportSigningKeyPem(key), { mode: 0o600, flag });
    await chmod(pemFile, 0o600); // the mode option does not apply when the file already existed
    await writeFile(trustFile, `${JSON.stringify(trustedKeysDocument(key), null, 2)}\n`, {
      mode: 0o644,
      flag,
    });
  } catch (err) {
    const exists = (err as NodeJS.ErrnoException).code === 'EEXIST';
    const message = exists ? 'the key files already exist (use --force to replace them)' : errorMessage(err);
    io.stderr.write(`portcullis keygen: ${message}\n`);
    return EXIT.failed;
  }
  io.stdout.write(`wrote ${pemFile} (private, 0600) and ${trustFile} (public); key id ${key.kid}\n`);
  return EXIT.ok;
}
