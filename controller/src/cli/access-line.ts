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

/** One short human line per proxied request, for the terminal that runs `portcullis up`. */
export function formatAccessLine(line: ProxyLogLine): string | undefined {
  if (typeof line.method !== 'string' || typeof line.status !== 'number') return undefined;
  const path = typeof line.path === 'string' ? line.path : '?';
  const code = typeof line.code === 'string' ? ` ${line.code}` : '';
  const route = typeof line.route === 'string' ? `  (route ${line.route})` : '';
  return `  ${line.method} ${path} -> ${line.status}${code}${route}`;
}
