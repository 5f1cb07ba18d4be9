#!/usr/bin/env node
import { loadTrustedKeys, parseCli, USAGE } from './cli/config.js';
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

const logger = createLogger(config.logLevel);
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
  process.exit(1);
}

const running = proxy;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
