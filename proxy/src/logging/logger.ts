import { pino } from 'pino';
import type { DestinationStream, LevelWithSilent, Logger } from 'pino';

/**
 * Credential-bearing fields are censored wherever they appear in a log object. The proxy never logs
 * request headers; this is the second line of defence if some future line does.
 */
export const REDACT_PATHS = [
  'authorization',
  'cookie',
  'x-api-key',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["proxy-authorization"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
  'token',
  '*.token',
];

const REDACT = { paths: REDACT_PATHS, censor: '[Redacted]' };

/**
 * The proxy's base logger, without redaction: startProxy adds redaction to every logger except the
 * per-request access record (see traffic/handler.ts for why that one may skip it).
 */
export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  const options = { level, base: { component: 'portcullis-proxy' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** A caller's logger with our redaction added, so injected loggers get the same protection. */
export function withRedaction(logger: Logger): Logger {
  return logger.child({}, { redact: REDACT });
}
