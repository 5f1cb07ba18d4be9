import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { importTrustedKeys } from '@portcullis/contract';
import type { TrustedKeys } from '@portcullis/contract';
import { z } from 'zod';
import type { ListenAddress } from '../start-proxy.js';
import { errnoCode } from '../errors.js';

export const USAGE = `Usage: portcullis-proxy --trusted-keys <jwks.json> --state-dir <dir> [options]

Enforces signed Portcullis policy snapshots on HTTP/1.1 traffic.

Options:
  --listen <host:port>        traffic listener (default 127.0.0.1:8080; port 0 picks one)
  --admin-listen <host:port>  admin listener for snapshots, status, health, metrics
                              (default 127.0.0.1:9901)
  --trusted-keys <path>       JWKS file with the controller's public Ed25519 signing key(s)
  --state-dir <dir>           directory for the last-known-good snapshot (created 0700)
  --log-level <level>         fatal | error | warn | info | debug | trace | silent (default info)
  -h, --help                  print this help

Logs are pino JSON lines on stdout; once both listeners are bound one line with
msg "listening" gives their URLs. SIGTERM, SIGINT or SIGHUP stops the proxy
gracefully. With PORTCULLIS_EXIT_ON_STDIN_CLOSE=1 it also stops when its stdin
closes (how "portcullis up" makes sure it never outlives its parent).
`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ProxyConfig {
  readonly listen: ListenAddress;
  readonly adminListen: ListenAddress;
  readonly trustedKeysPath: string;
  readonly stateDir: string;
  readonly logLevel: LogLevel;
}

export type CliParse =
  | { readonly kind: 'help' }
  | { readonly kind: 'config'; readonly config: ProxyConfig }
  | { readonly kind: 'error'; readonly flag: string; readonly message: string };

const hostPort = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/, 'expected host:port, e.g. 127.0.0.1:8080')
  .transform((value, ctx) => {
    const colon = value.lastIndexOf(':');
    const host = value.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const port = Number(value.slice(colon + 1));
    if (port > 65535) ctx.addIssue({ code: 'custom', message: 'port must be 0-65535' });
    return { host, port };
  });

/** Keys are the flag names, so a validation issue names the flag the user has to fix. */
const FlagsSchema = z.strictObject({
  listen: hostPort.prefault('127.0.0.1:8080'),
  'admin-listen': hostPort.prefault('127.0.0.1:9901'),
  'trusted-keys': z.string({ error: 'is required' }).min(1, 'is required'),
  'state-dir': z.string({ error: 'is required' }).min(1, 'is required'),
  'log-level': z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});

export function parseCli(argv: readonly string[]): CliParse {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        'admin-listen': { type: 'string' },
        'trusted-keys': { type: 'string' },
        'state-dir': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const flag = /'(-{1,2}[^'\s]+)/.exec(message)?.[1] ?? 'arguments';
    return { kind: 'error', flag, message };
  }
  if (values.help === true) return { kind: 'help' };
  delete values.help;
  const parsed = FlagsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path[0];
    return {
      kind: 'error',
      flag: typeof name === 'string' ? `--${name}` : 'arguments',
      message: issue?.message ?? 'invalid arguments',
    };
  }
  const flags = parsed.data;
  return {
    kind: 'config',
    config: {
      listen: flags.listen,
      adminListen: flags['admin-listen'],
      trustedKeysPath: flags['trusted-keys'],
      stateDir: flags['state-dir'],
      logLevel: flags['log-level'],
    },
  };
}

export type TrustedKeysLoad =
  { readonly ok: true; readonly keys: TrustedKeys } | { readonly ok: false; readonly message: string };

/** Reads and imports the controller's public keys (a JWKS document). */
export async function loadTrustedKeys(path: string): Promise<TrustedKeysLoad> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { ok: false, message: `cannot read ${path} (${errnoCode(err) ?? 'read failed'})` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, message: `${path}: not a JWKS JSON document (${notJsonHint(text)})` };
  }
  try {
    return { ok: true, keys: await importTrustedKeys(doc) };
  } catch (err) {
    return { ok: false, message: `${path}: ${err instanceof Error ? err.message : 'not a JWKS document'}` };
  }
}

/**
 * The likeliest mistake is passing the controller's PEM signing key: say so, naming what is wanted,
 * and never quote the file (it may be that private key).
 */
function notJsonHint(text: string): string {
  if (!text.trimStart().startsWith('-----BEGIN'))
    return 'use the trusted-keys.json written by "portcullis keygen"';
  return /PRIVATE KEY/.test(text)
    ? 'it is a PEM private key; give the proxy the public trusted-keys.json, never the signing key'
    : 'it is a PEM file; the proxy needs the trusted-keys.json written by "portcullis keygen"';
}
