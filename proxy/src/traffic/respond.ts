import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { DENY_CODES } from '@portcullis/contract';
import type { DenyCode } from '@portcullis/contract';

/**
 * The only error body a client ever sees: the catalogue code and the request id, nothing about
 * which check failed or why (that is in the log under the same id).
 */
export function errorBody(code: DenyCode, requestId: string): string {
  return JSON.stringify({ code, requestId });
}

/** Codes after which the rest of the connection cannot be trusted to be read the same way. */
const CLOSE_AFTER: ReadonlySet<DenyCode> = new Set(['BadRequest', 'HttpVersionNotSupported']);

export interface Denial {
  readonly code: DenyCode;
  readonly requestId: string;
}

export function sendDeny(req: IncomingMessage, res: ServerResponse, denial: Denial): void {
  const { code, requestId } = denial;
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = errorBody(code, requestId);
  const headers: OutgoingHttpHeaders = {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-request-id': requestId,
    'content-length': Buffer.byteLength(body),
  };
  if (code === 'AuthenticationRequired' || code === 'InvalidCredentials')
    headers['www-authenticate'] = 'Bearer';
  // A refused request's unread body is not worth reading (and not worth keeping a socket for).
  if (CLOSE_AFTER.has(code) || hasUnreadBody(req)) headers.connection = 'close';
  res.writeHead(DENY_CODES[code].status, headers);
  res.end(body);
}

function hasUnreadBody(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
