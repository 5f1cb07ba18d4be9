import { readFile } from 'node:fs/promises';
import { importSigningKeyPem } from '@portcullis/contract';
import type { SigningKey } from '@portcullis/contract';
import { pino } from 'pino';
import { ControllerMetrics } from '../metrics/metrics.js';
import { parseListenAddress, startMetricsServer } from '../metrics/server.js';
import type { MetricsServer } from '../metrics/server.js';
import { checkAdminUrl } from '../publisher/proxy-client.js';
import { startController } from '../runtime/controller.js';
import { errorMessage } from '../errors.js';
import { EXIT, missingPathMessage, parseFlags, parseIntegerFlag, usageError } from './io.js';
import type { CliIo } from './io.js';

export const CONTROLLER_USAGE = `Usage: portcullis controller -f <folder> --proxy <adminUrl> [--proxy ...] --signing-key <pem>

Watches the folder, compiles it on every change, signs each new snapshot and pushes it to every
proxy's admin URL, re-checking them periodically. Prints a status table on every change (stdout)
and JSON logs (stderr). Runs until SIGTERM or SIGINT.

Options:
  -f, --folder <dir>               policy folder (RouteClassification, GatewayPolicy, Secret YAML)
      --proxy <url>                a proxy admin base URL, e.g. http://127.0.0.1:9901 (repeatable)
      --signing-key <file>         PKCS#8 PEM Ed25519 key (see "portcullis keygen")
      --reconcile-interval-ms <n>  how often every proxy is re-checked (default 5000)
      --metrics-listen <host:port> serve Prometheus metrics at /metrics (and /healthz) there;
                                   port 0 picks one (the log line "metrics listening" says which)
  -h, --help                       this text`;

export async function runControllerCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(argv, {
    folder: { type: 'string', short: 'f' },
    proxy: { type: 'string', multiple: true },
    'signing-key': { type: 'string' },
    'reconcile-interval-ms': { type: 'string' },
    'metrics-listen': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (!parsed.ok) return usageError(io, 'controller', parsed.message);
  const v = parsed.values;
  if (v.help === true) {
    io.stdout.write(`${CONTROLLER_USAGE}\n`);
    return EXIT.ok;
  }
  if (v.folder === undefined) return usageError(io, 'controller', '-f <folder> is required');
  const proxies = v.proxy ?? [];
  if (proxies.length === 0)
    return usageError(io, 'controller', 'at least one --proxy <adminUrl> is required');
  for (const p of proxies) {
    const bad = checkAdminUrl(p);
    if (bad !== undefined) return usageError(io, 'controller', `--proxy ${bad}`);
  }
  if (v['signing-key'] === undefined)
    return usageError(io, 'controller', '--signing-key <pem file> is required');
  const interval =
    v['reconcile-interval-ms'] === undefined
      ? 5000
      : parseIntegerFlag('--reconcile-interval-ms', v['reconcile-interval-ms'], 100, 3_600_000);
  if (typeof interval === 'string') return usageError(io, 'controller', interval);

  const metricsListen =
    v['metrics-listen'] === undefined ? undefined : parseListenAddress(v['metrics-listen']);
  if (typeof metricsListen === 'string')
    return usageError(io, 'controller', `--metrics-listen ${metricsListen}`);

  const missing = await missingPathMessage(v.folder);
  if (missing !== undefined) {
    io.stderr.write(`portcullis controller: -f ${missing}\n`);
    return EXIT.failed;
  }

  const keyFile = v['signing-key'];
  let pem: string;
  try {
    pem = await readFile(keyFile, 'utf8');
  } catch (err) {
    io.stderr.write(`portcullis controller: --signing-key ${keyFile}: cannot read: ${errorMessage(err)}\n`);
    return EXIT.failed;
  }
  let signingKey: SigningKey;
  try {
    signingKey = await importSigningKeyPem(pem);
  } catch {
    // jose's own message names its parameter ("pkcs8"), not the file or what is expected of it; and
    // nothing of the file's content is echoed, since it may be some other secret.
    io.stderr.write(`portcullis controller: --signing-key ${keyFile}: ${signingKeyMistake(pem)}\n`);
    return EXIT.failed;
  }
  const logger = pino(
    { level: process.env['LOG_LEVEL'] ?? 'info', base: { component: 'controller' } },
    pino.destination(2),
  );
  const metrics = new ControllerMetrics();
  let metricsServer: MetricsServer | undefined;
  if (metricsListen !== undefined) {
    try {
      metricsServer = await startMetricsServer(metricsListen, metrics);
    } catch (err) {
      io.stderr.write(`portcullis controller: --metrics-listen: cannot listen: ${errorMessage(err)}\n`);
      return EXIT.failed;
    }
    logger.info({ url: `${metricsServer.url}/metrics` }, 'metrics listening');
  }
  const controller = await startController({
    folder: v.folder,
    proxies,
    signingKey,
    logger,
    statusOut: io.stdout,
    reconcileIntervalMs: interval,
    metrics,
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info('stopping');
  await controller.close();
  await metricsServer?.close();
  logger.flush();
  return EXIT.ok;
}

function signingKeyMistake(text: string): string {
  const expected =
    'not an Ed25519 private key in PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), as "portcullis keygen" writes it';
  if (text.trimStart().startsWith('{'))
    return `${expected}; this looks like JSON (the proxies' trusted-keys.json?)`;
  if (text.includes('PUBLIC KEY')) return `${expected}; this is a public key`;
  return expected;
}
