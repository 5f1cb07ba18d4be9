import { SERVER_LIMITS } from '../../http/hardened-server.js';
import { CONTINUE, deny } from '../decision.js';
import type { Decision } from '../decision.js';
import type { RequestContext } from '../context.js';
import type { Stage } from './stage.js';

// host = IP-literal / DNS-style name, then an optional port (RFC 9110 §7.2, RFC 3986 §3.2.2).
// No userinfo ("@"), no list (","), no "_": a Host that two parsers could read differently is refused.
/**
 * A host name or bracketed IP literal and an optional port of 1 to 65535 without leading zeros: the
 * Host is forwarded as X-Forwarded-Host, and an upstream that builds URLs from it must not be handed
 * `:0`, `:080` or an empty port that other parsers read differently.
 */
const HOST_HEADER = /^(\[[0-9a-f:.]{2,45}\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)(?::([1-9][0-9]{0,4}))?$/;

/** Framing headers that must reach the upstream exactly as Node parsed them. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'host']);

/**
 * What Node's parser accepts but a gateway must not (field-notes §1.6): anything but HTTP/1.1
 * (HTTP/1.0, the HTTP/0.9 request line, "HTTP/2.0" on an HTTP/1.1 socket), a missing, repeated or
 * list-valued Host, a Host with userinfo, protocol upgrades (WebSocket, h2c: not supported yet), and
 * a Connection header that names a framing header (stripping it would change how the upstream
 * frames the body: request smuggling), and more header lines than the server keeps (Node drops the
 * rest from `headers` but llhttp still frames the body by them: smuggling again, see SERVER_LIMITS).
 */
export const protocolStage: Stage = {
  name: 'protocol',
  run(ctx) {
    const { head } = ctx;
    if (head.httpVersion !== '1.1') return deny('HttpVersionNotSupported', `HTTP/${head.httpVersion}`);
    if (head.rawHeaders.length / 2 > SERVER_LIMITS.maxHeaders) {
      return deny('BadRequest', `more than ${SERVER_LIMITS.maxHeaders} header lines`);
    }
    const host = checkHost(ctx);
    if (host.kind === 'deny') return host;
    const connection = head.headers.connection;
    if (connection !== undefined) {
      for (const token of connection.toLowerCase().split(',')) {
        const name = token.trim();
        if (FRAMING.has(name)) return deny('BadRequest', `Connection names framing header ${name}`);
        if (name === 'upgrade' && head.headers.upgrade !== undefined) {
          return deny('BadRequest', 'protocol upgrade requested');
        }
      }
    }
    return CONTINUE;
  },
};

function checkHost(ctx: RequestContext): Decision {
  const { rawHeaders, headers } = ctx.head;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name !== undefined && name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  if (count !== 1) return deny('BadRequest', `${count} Host headers`);
  const value = (headers.host ?? '').toLowerCase();
  const m = HOST_HEADER.exec(value);
  const name = m?.[1];
  if (m === null || name === undefined) return deny('BadRequest', 'malformed Host header');
  if (m[2] !== undefined && Number(m[2]) > 65535) return deny('BadRequest', 'Host port out of range');
  ctx.host = name;
  ctx.hostHeader = value;
  return CONTINUE;
}
