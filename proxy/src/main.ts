#!/usr/bin/env node
import { loadTrustedKeys, parseCli, USAGE } from './cli/config.js';
import { pino } from 'pino';
import { createLogger } from './logging/logger.js';
import { startProxy } from './start-proxy.js';

// Wiring only: parse flags, load keys, start, stop on a signal. Behaviour lives in the modules.

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
// a quiet proxy still logs at once. flushSync() before every exit keeps the last lines.
const destination = pino.destination({ dest: 1, sync: false });
const logger = createLogger(config.logLevel, destination);
function exit(code: number): never {
  destination.flushSync();
  process.exit(code);
}
let proxy;
try {
  proxy = await startProxy({
    listen: config.listen,
    adminListen: config.adminListen,
    trustedKeys: keys.keys,
    stateDir: config.stateDir,
    logger,
  });
} catch (err) {
  logger.fatal({ err }, 'could not start');
  exit(1);
}

const running = proxy;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  });
}
