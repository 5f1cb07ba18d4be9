export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** In [0, 1); injected so that tests are deterministic. */
  readonly random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 10_000, random: Math.random };

/**
 * Capped exponential backoff with "equal jitter": half the delay is fixed, half random, so retries
 * from many controllers (or to many proxies) spread out but never come back immediately.
 */
export function backoffDelay(failures: number, o: BackoffOptions): number {
  const exp = Math.min(o.maxMs, o.initialMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.round(exp / 2 + o.random() * (exp / 2));
}
