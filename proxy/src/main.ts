#!/usr/bin/env node
import { loadTrustedKeys, parseCli, USAGE } from './cli/config.js';
import { pino } from 'pino';
import { createLogger } from './logging/logger.js';
import { StartProxyError, startProxy } from './start-proxy.js';
import type { RunningProxy } from './start-proxy.js';

// Wiring only: parse flags, load keys, start, stop on a signal. Behaviour lives in the modules.

/** Set by `portcullis up`, which keeps the write end of our stdin: EOF means it is gone (even SIGKILLed). */
const EXIT_ON_STDIN_CLOSE = 'PORTCULLIS_EXIT_ON_STDIN_CLOSE';

// A supervisor that dies takes the reading ends of our stdout/stderr with it. Writing there must not
// kill the proxy with an unhandled 'error' event; the lines are lost either way.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  });
}

function usageError(flag: string, message: string): never {
  process.stderr.write(`portcullis-proxy: ${flag}: ${message}\nRun with --help for usage.\n`);
  process.exit(2);
}

const cli = parseCli(process.argv.slice(2));
if (cli.kind === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (cli.kind === 'error') usageError(cli.flag, cli.message);
const { config } = cli;

const keys = await loadTrustedKeys(config.trustedKeysPath);
if (!keys.ok) usageError('--trusted-keys', keys.message);

// Asynchronous stdout: one write per request line was a quarter of the proxy's CPU under load.
// Lines written while a write is in flight are coalesced; nothing waits for a size threshold, so
// a quiet proxy still logs at once. `exit` drains what is buffered before leaving.
const destination = pino.destination({ dest: 1, sync: false });
const logger = createLogger(config.logLevel, destination);

/** Longest wait for buffered log lines at exit; a reader that stopped reading must not keep us up. */
const EXIT_DRAIN_MS = 2000;

/**
 * Drains the log asynchronously, then exits. Not `flushSync()`: sonic-boom retries a failed
 * synchronous write every 100 ms for ever, so with the reader of our stdout gone (EPIPE) the
 * process would never exit. Every path out of here ends in `process.exit`.
 */
function exit(code: number): void {
  const leave = () => {
    // pino also flushes synchronously on 'exit': by now there is nothing left worth that risk.
    destination.flushSync = () => undefined;
    process.exit(code);
  };
  // After an EPIPE pino swaps write() and end() for no-ops: nothing more can be written, leave now.
  if (destination.write !== (Object.getPrototypeOf(destination) as typeof destination).write) leave();
  // Ref'd on purpose: it is what guarantees the exit if the drain never completes.
  setTimeout(leave, EXIT_DRAIN_MS);
  destination.once('close', leave);
  destination.once('error', leave);
  destination.end();
}

const proxy = await startProxy({
  listen: config.listen,
  adminListen: config.adminListen,
  trustedKeys: keys.keys,
  stateDir: config.stateDir,
  logger,
}).catch((err: unknown) => {
  reportStartFailure(err);
  return undefined;
});
if (proxy !== undefined) superviseProxy(proxy);

/**
 * One line naming the flag to fix, and the documented codes: a bad --state-dir is a bad flag (2), a
 * listener that cannot be bound is 1. Anything else is unexpected and keeps its stack in the log.
 */
function reportStartFailure(err: unknown): void {
  if (err instanceof StartProxyError) {
    const line =
      err.option === 'stateDir'
        ? `--state-dir: ${err.message}`
        : `${err.option === 'listen' ? '--listen' : '--admin-listen'} ${err.message}`;
    process.stderr.write(`portcullis-proxy: ${line}\n`);
    exit(err.option === 'stateDir' ? 2 : 1);
    return;
  }
  logger.fatal({ err }, 'could not start');
  process.stderr.write(
    `portcullis-proxy: could not start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  exit(1);
}

function superviseProxy(running: RunningProxy): void {
  let stopping = false;
  const stop = (reason: Record<string, string>) => {
    if (stopping) return;
    stopping = true;
    logger.info(reason, 'shutting down');
    running.close().then(
      () => exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  // SIGHUP is what a closing terminal sends: stop gracefully, as for the other two. `once`: a second
  // signal of the same kind gets the default action, so a stuck drain can still be cut short.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => stop({ signal }));
  }
  if (process.env[EXIT_ON_STDIN_CLOSE] === '1') {
    // The parent holds the only write end of this pipe and never writes; the kernel closes it when
    // the parent dies, however it dies: the one notice even SIGKILL cannot suppress.
    process.stdin.on('data', () => undefined);
    process.stdin.once('end', () => stop({ reason: 'stdin closed: parent gone' }));
    process.stdin.once('error', () => stop({ reason: 'stdin failed: parent gone' }));
  }
}
