import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
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
import { formatAccessLine, type ProxyLogLine } from './access-line.js';
import { originsMissingDemo } from './demo-reach.js';
import { missingPathMessage, parseIntegerFlag } from './io.js';

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

function proxyBinary(): string {
  const require = createRequire(import.meta.url);
  // Only the proxy's location is needed: the two sides never import each other's code.
  return join(dirname(require.resolve('@portcullis/proxy/package.json')), 'dist', 'main.js');
}

function spawnProxy(o: UpOptions, trustedKeysFile: string): ChildProcess {
  const args = [
    proxyBinary(),
    '--listen',
    `127.0.0.1:${o.port}`,
    '--admin-listen',
    `127.0.0.1:${o.adminPort}`,
    '--trusted-keys',
    trustedKeysFile,
    '--state-dir',
    join(o.stateDir, 'proxy'),
  ];
  // stdin is a pipe we never write to: when this process dies, even by SIGKILL, the kernel closes it
  // and the proxy, told so by the variable, shuts down instead of holding its ports as an orphan.
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PORTCULLIS_EXIT_ON_STDIN_CLOSE: '1' },
  });
  child.stdin?.on('error', () => undefined); // the proxy exiting first is not our error
  return child;
}

type ProxyStart =
  | { readonly ok: true; readonly urls: { traffic: string; admin: string } }
  | { readonly ok: false; readonly error: string };

/**
 * Copies the proxy's JSON log to a file, echoes one short line per request to the terminal, and
 * resolves with the URLs from its `listening` line, or with its last error if it exits first.
 */
function waitForListening(proxy: ChildProcess, logPath: string): Promise<ProxyStart> {
  const log = pino.destination({ dest: logPath, mkdir: true });
  return new Promise((resolveStart) => {
    if (proxy.stdout === null) {
      resolveStart({ ok: false, error: 'no output from the proxy process' });
      return;
    }
    let lastError = 'it exited before listening';
    if (proxy.stderr !== null) {
      // Passed through as is; a startup failure is one "portcullis-proxy: --flag ...: reason" line.
      createInterface({ input: proxy.stderr }).on('line', (line) => {
        process.stderr.write(`${line}\n`);
        if (line.startsWith('portcullis-proxy: ')) lastError = line.slice('portcullis-proxy: '.length);
      });
    }
    const lines = createInterface({ input: proxy.stdout });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      let parsed: ProxyLogLine;
      try {
        parsed = JSON.parse(line) as ProxyLogLine;
      } catch {
        return;
      }
      if (
        parsed.msg === 'listening' &&
        typeof parsed.traffic === 'string' &&
        typeof parsed.admin === 'string'
      ) {
        resolveStart({ ok: true, urls: { traffic: parsed.traffic, admin: parsed.admin } });
        return;
      }
      const err = parsed.err as { message?: unknown } | undefined;
      if (typeof err?.message === 'string') lastError = err.message;
      const access = formatAccessLine(parsed);
      if (access !== undefined) process.stdout.write(`${access}\n`);
    });
    // 'close', not 'exit': the last stderr line may still be in flight when the process is gone.
    proxy.once('close', () => resolveStart({ ok: false, error: lastError }));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

interface BannerInput {
  traffic: string;
  admin: string;
  upstreamUrl: string | undefined;
  tokenFile: string | undefined;
  folder: string;
  stateDir: string;
  /** The upstreams the routes use when none is the demo upstream (see demo-reach.ts). */
  elsewhere: readonly string[] | undefined;
}

function banner(b: BannerInput): string {
  const lines = [
    '',
    'Portcullis is up (local mode).',
    `  traffic   ${b.traffic}`,
    `  admin     ${b.admin}   (snapshot status, /metrics; never expose it)`,
    ...(b.upstreamUrl === undefined ? [] : [`  upstream  ${b.upstreamUrl}   (demo echo service)`]),
    `  policies  ${b.folder}   (edit a file: it is recompiled, signed and pushed within a second)`,
    `  state     ${b.stateDir}   (keys, last-known-good snapshot; controller.log has every status message whole, proxy.log every request)`,
    '',
  ];
  if (b.tokenFile !== undefined) {
    const auth = `-H "Authorization: Bearer $(cat ${b.tokenFile})"`;
    // A request that passes every check is forwarded; with no route reaching the demo upstream the
    // banner must not promise the demo's 200 (the warning printed after it says why).
    const forwarded =
      b.elsewhere === undefined
        ? undefined
        : `502 UpstreamUnavailable unless a service listens at ${b.elsewhere.join(', ')}`;
    lines.push(
      'Try (the token comes from a demo identity provider whose key exists only in this process):',
      `  curl -i ${b.traffic}/health                 # public route: ${forwarded ?? '200'}`,
      `  curl -i ${b.traffic}/v1/orders/42           # no token: 401 AuthenticationRequired`,
      `  curl -i ${auth} ${b.traffic}/v1/orders/42   # ${forwarded === undefined ? '200, upstream sees x-portcullis-subject: demo-user' : `token accepted, then ${forwarded}`}`,
      `  curl -i -H "Authorization: Bearer e30.e30.c2ln" ${b.traffic}/v1/orders/42   # forged: 401 InvalidCredentials`,
      `  curl -i ${b.traffic}/admin                  # undeclared (shadow) route: 404 RouteNotFound`,
      `  curl -s ${b.admin}/v1/snapshot/status       # version and hash in force`,
      '',
    );
  }
  lines.push('Press Ctrl-C to stop.', '');
  return lines.join('\n');
}
