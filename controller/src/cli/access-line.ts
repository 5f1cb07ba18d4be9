/** The fields of a proxy log line that `up` reads; everything is optional because logs are input. */
export interface ProxyLogLine {
  msg?: unknown;
  traffic?: unknown;
  admin?: unknown;
  method?: unknown;
  path?: unknown;
  status?: unknown;
  code?: unknown;
  route?: unknown;
  [key: string]: unknown;
}

/** Longest reason shown on the terminal; the proxy's log has the record whole. */
const MAX_REASON = 120;

/**
 * One short human line per proxied request, for the terminal that runs `portcullis up`: what was
 * decided and why (the deny reason, the host of a shadow request, what an Audit policy would have
 * denied), so that trying the gateway out does not mean reading JSON logs.
 */
export function formatAccessLine(line: ProxyLogLine): string | undefined {
  if (typeof line.method !== 'string' || typeof line.status !== 'number') return undefined;
  const path = typeof line.path === 'string' ? line.path : '?';
  const code = typeof line.code === 'string' ? ` ${line.code}` : '';
  const route = typeof line.route === 'string' ? `  (route ${line.route})` : '';
  const host = line.shadow === true && typeof line.host === 'string' ? ` (host ${line.host})` : '';
  const reason = typeof line.reason === 'string' ? `: ${short(line.reason)}` : '';
  const audit = wouldDeny(line.wouldDeny);
  return `  ${line.method} ${path} -> ${line.status}${code}${reason}${host}${route}${audit}`;
}

function wouldDeny(value: unknown): string {
  if (!Array.isArray(value)) return '';
  const parts = value.flatMap((w: unknown) => {
    if (typeof w !== 'object' || w === null) return [];
    const { policy, code } = w as { policy?: unknown; code?: unknown };
    return typeof policy === 'string' && typeof code === 'string' ? [`${code} by ${policy}`] : [];
  });
  return parts.length === 0 ? '' : `  [Audit: would deny ${parts.join(', ')}]`;
}

function short(s: string): string {
  return s.length <= MAX_REASON ? s : `${s.slice(0, MAX_REASON - 1)}…`;
}
