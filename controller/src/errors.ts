/**
 * The message of anything thrown. Not `instanceof Error`: errors from Node's built-ins can come from
 * another realm (vm contexts, test runners), where that check is false for a real Error.
 */
export function errorMessage(err: unknown, fallback = 'unknown error'): string {
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return typeof err === 'string' ? err : fallback;
}
