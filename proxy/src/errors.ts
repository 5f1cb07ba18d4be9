/** The `code` of a system or library error (`ENOENT`, `ECONNRESET`), if it has a string one. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}
