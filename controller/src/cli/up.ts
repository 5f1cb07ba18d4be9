import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import {
  exportSigningKeyPem,
  generateSigningKey,
  importSigningKeyPem,
  trustedKeysDocument,
  type SigningKey,
} from '@portcullis/contract';
import { startController } from '../index.js';
import { createDemoIdp, demoJwksSecret } from '../demo/idp.js';
import { startDemoUpstream } from '../demo/upstream.js';
import { banner } from './banner.js';
import { originsMissingDemo } from './demo-reach.js';
import { missingPathMessage, parseIntegerFlag } from './io.js';
import { spawnProxy, stopChild, waitForListening } from './proxy-child.js';

const USAGE = `Usage: portcullis up -f <folder> [options]

Runs the whole gateway locally from a folder of the same YAML you would apply to a cluster:
a controller watching the folder, a proxy enforcing the signed snapshot, and (unless --no-demo)
a demo upstream and a demo identity provider whose key is generated at every start.

Options:
  -f, --folder <dir>         policy folder (RouteClassification, GatewayPolicy, Secret YAML)
      --port <n>             proxy traffic port (default 8080)
      --admin-port <n>       proxy admin port (default 9901)
      --upstream-port <n>    demo upstream port (default 9000); the routes' spec.upstream.url
                             must point at it (examples/quickstart uses 127.0.0.1:9000)
      --state-dir <dir>      keys, last-known-good snapshot, logs (default .portcullis)
      --demo-namespace <ns>  namespace of the demo JWKS Secret (default demo)
      --no-demo              do not start the demo upstream and identity provider
  -h, --help                 this text

Everything listens on 127.0.0.1 only.`;

interface UpOptions {
  folder: string;
  port: number;
  adminPort: number;
  upstreamPort: number;
  stateDir: string;
  demoNamespace: string;
  demo: boolean;
}

/** Entry point of `portcullis up`; resolves to the process exit code. */
export async function runUp(argv: readonly string[]): Promise<number> {
  const parsed = parseUpArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`portcullis up: ${parsed.message}\n\n${USAGE}\n`);
    return 2;
  }
  const missing = await missingPathMessage(parsed.options.folder);
  if (missing !== undefined) {
    process.stderr.write(`portcullis up: -f ${missing}\n`);
    return 1;
  }
  // A closed terminal takes our stdout/stderr with it (EIO, EPIPE): keep stopping cleanly rather
  // than dying on the first line written while the stack shuts down.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
    });
  }
  const stack = await startStack(parsed.options);
  if (stack === undefined) return 1;
  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (code: number) => {
      if (stopping) return;
      stopping = true;
      void stack.close().then(() => resolveExit(code));
    };
    // SIGHUP: the terminal was closed. SIGKILL cannot be handled; the proxy sees its stdin close.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => stop(0));
    stack.proxy.once('exit', (code) => {
      if (stopping) return;
      process.stderr.write(`portcullis up: the proxy exited (code ${String(code)}); stopping\n`);
      stop(1);
    });
  });
}

type ParsedArgs = { kind: 'run'; options: UpOptions } | { kind: 'help' } | { kind: 'error'; message: string };

function parseUpArgs(argv: readonly string[]): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        folder: { type: 'string', short: 'f' },
        port: { type: 'string', default: '8080' },
        'admin-port': { type: 'string', default: '9901' },
        'upstream-port': { type: 'string', default: '9000' },
        'state-dir': { type: 'string', default: '.portcullis' },
        'demo-namespace': { type: 'string', default: 'demo' },
        'no-demo': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  if (values.help) return { kind: 'help' };
  if (values.folder === undefined) return { kind: 'error', message: '--folder (-f) is required' };
  const port = (flag: 'port' | 'admin-port' | 'upstream-port'): number | string =>
    parseIntegerFlag(`--${flag}`, values[flag], 0, 65535);
  const [traffic, admin, upstream] = [port('port'), port('admin-port'), port('upstream-port')];
  for (const p of [traffic, admin, upstream]) if (typeof p === 'string') return { kind: 'error', message: p };
  return {
    kind: 'run',
    options: {
      folder: resolve(values.folder),
      port: Number(traffic),
      adminPort: Number(admin),
      upstreamPort: Number(upstream),
      stateDir: resolve(values['state-dir']),
      demoNamespace: values['demo-namespace'],
      demo: !values['no-demo'],
    },
  };
}

interface Stack {
  readonly proxy: ChildProcess;
  close(): Promise<void>;
}

async function startStack(o: UpOptions): Promise<Stack | undefined> {
  await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
  const logger = pino(
    { level: 'info' },
    pino.destination({ dest: join(o.stateDir, 'controller.log'), mkdir: true }),
  );
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    logger.flush();
  };

  const signingKey = await loadOrCreateSigningKey(o.stateDir);
  const trustedKeysFile = join(o.stateDir, 'trusted-keys.json');

  const extraResources: unknown[] = [];
  let tokenFile: string | undefined;
  let demoToken: string | undefined;
  let upstreamUrl: string | undefined;
  if (o.demo) {
    const upstream = await startDemoUpstream(o.upstreamPort).catch((err: Error) => err);
    if (upstream instanceof Error) {
      process.stderr.write(
        `portcullis up: cannot start the demo upstream on port ${o.upstreamPort}: ${upstream.message}` +
          `${upstream.message.includes('EADDRINUSE') ? ' (another process holds the port, perhaps another "portcullis up": see --upstream-port, --port, --admin-port and --state-dir)' : ''}\n`,
      );
      return undefined;
    }
    closers.push(() => upstream.close());
    upstreamUrl = upstream.url;
    const idp = await createDemoIdp();
    extraResources.push(demoJwksSecret(idp.jwks, o.demoNamespace));
    demoToken = await idp.mint('demo-user');
    tokenFile = join(o.stateDir, 'demo-token');
  }

  // Files another running `up` may be using are written only once our ports are ours: a second
  // start that fails on a taken port must not replace the first one's demo token.
  await writeFile(trustedKeysFile, JSON.stringify(trustedKeysDocument(signingKey), null, 2));
  const proxy = spawnProxy(o, trustedKeysFile);
  closers.push(() => stopChild(proxy));
  const started = await waitForListening(proxy, join(o.stateDir, 'proxy.log'));
  if (!started.ok) {
    const hint = started.error.includes('address already in use')
      ? ' (another process holds the port: see --port, --admin-port)'
      : '';
    const log = join(o.stateDir, 'proxy.log');
    process.stderr.write(
      `portcullis up: the proxy did not start: ${started.error}${hint}\nFull log: ${log}\n`,
    );
    await closeAll();
    return undefined;
  }
  const urls = started.urls;
  if (tokenFile !== undefined && demoToken !== undefined) {
    await writeFile(tokenFile, `${demoToken}\n`, { mode: 0o600 });
    await chmod(tokenFile, 0o600);
  }

  const controller = await startController({
    folder: o.folder,
    proxies: [urls.admin],
    signingKey,
    extraResources,
    logger,
    statusOut: process.stdout,
  });
  closers.push(() => controller.close());

  let timer: NodeJS.Timeout | undefined;
  const programmed = await Promise.race([
    controller.whenProgrammed(),
    new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 20_000))),
  ]);
  clearTimeout(timer);
  if (programmed === undefined) {
    process.stderr.write(
      'portcullis up: the proxy has not acknowledged a snapshot after 20 s; still trying\n',
    );
  }
  const snapshot = controller.current()?.snapshot;
  const elsewhere =
    snapshot === undefined || upstreamUrl === undefined
      ? undefined
      : originsMissingDemo(snapshot.routes, upstreamUrl);
  process.stdout.write(
    banner({ ...urls, upstreamUrl, tokenFile, folder: o.folder, stateDir: o.stateDir, elsewhere }),
  );
  if (elsewhere !== undefined && upstreamUrl !== undefined) {
    process.stderr.write(
      `portcullis up: warning: no route in ${o.folder} sends traffic to the demo upstream at ${upstreamUrl}; ` +
        `they use ${elsewhere.join(', ')}. Requests will get 502 UpstreamUnavailable unless a service ` +
        `listens there: set spec.upstream.url in the RouteClassification, or leave --upstream-port at its default.\n`,
    );
  }
  return { proxy, close: closeAll };
}

async function loadOrCreateSigningKey(stateDir: string): Promise<SigningKey> {
  const file = join(stateDir, 'signing-key.pem');
  try {
    return await importSigningKeyPem(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = await generateSigningKey();
  await writeFile(file, await exportSigningKeyPem(key), { mode: 0o600 });
  return key;
}
