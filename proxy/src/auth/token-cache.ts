import type { JWTPayload } from 'jose';

export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

interface Entry {
  readonly claims: Readonly<JWTPayload>;
  readonly expiresAtMs: number;
}

/**
 * Remembers tokens that verified, so a client reusing its token skips the signature check (jose
 * costs 57-164 us per verify, a hash lookup about 2 us; field-notes §P). Keys are sha256 digests
 * computed by the caller, never the token itself. Entries die at the token's `exp`; the size is
 * bounded and the oldest insertion is evicted first (a Map iterates in insertion order). It is not
 * an LRU on purpose: a hit costs no reordering.
 *
 * Only successes are cached: a failure must be re-evaluated, never remembered as "known bad" under
 * a key an attacker could grind.
 */
export class TokenCache {
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();

  constructor(maxEntries: number = DEFAULT_TOKEN_CACHE_SIZE) {
    this.#max = Math.max(1, maxEntries);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, nowMs: number): Readonly<JWTPayload> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.claims;
  }

  set(key: string, claims: Readonly<JWTPayload>, expiresAtMs: number): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { claims, expiresAtMs });
  }
}
