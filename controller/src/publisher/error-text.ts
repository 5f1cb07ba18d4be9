import { errorMessage } from '../errors.js';

/** Causes are chained (fetch failed -> connect ECONNREFUSED); more than this is noise. */
const MAX_CAUSES = 3;

/**
 * The text recorded and logged for a failed push. Node's fetch (undici) rejects with a bare
 * `fetch failed` and keeps what happened in `cause`, so without it an operator cannot tell a proxy
 * that is down (`connect ECONNREFUSED 127.0.0.1:9901`) from one that hung up (`other side closed`)
 * or a name that does not resolve (`getaddrinfo ENOTFOUND`).
 */
export function pushErrorText(err: unknown): string {
  const parts = [errorMessage(err)];
  let cause = causeOf(err);
  for (let i = 0; i < MAX_CAUSES && cause !== undefined; i++) {
    const text = describe(cause);
    if (text !== '' && !parts.includes(text)) parts.push(text);
    cause = causeOf(cause);
  }
  return parts.join(': ');
}

function causeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
}

/**
 * A cause's message; failing that, what it aggregates (a host that resolves to both ::1 and
 * 127.0.0.1 fails with an AggregateError whose own message is empty), then its code.
 */
function describe(cause: unknown): string {
  const message = errorMessage(cause, '');
  if (message !== '') return message;
  if (typeof cause !== 'object' || cause === null) return '';
  const inner = (cause as { errors?: unknown }).errors;
  if (Array.isArray(inner)) {
    const texts = [...new Set(inner.map((e) => errorMessage(e, '')).filter((t) => t !== ''))];
    if (texts.length > 0) return texts.join(', ');
  }
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}
