import { resourceKey } from '../resources/model.js';

/** An object generation a snapshot was compiled from (the compiler's `accepted` entries). */
export interface InForce {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
}

/**
 * Which object generations each snapshot hash was compiled from. A proxy acks a hash; an object's
 * Programmed condition asks whether that hash carries its current generation. Only generations in
 * force are recorded: a rejected generation is carried by no snapshot, even when the proxies run
 * the snapshot compiled while it was on disk (its last accepted generation is what they enforce).
 * Snapshots are content-addressed, so one hash may carry several generations of an object (an edit
 * that changes nothing in the snapshot). Only recent hashes are kept: proxies run one of the last few.
 */
export class GenerationLedger {
  readonly #byHash = new Map<string, Map<string, Set<number>>>();
  readonly #capacity: number;

  constructor(capacity = 64) {
    this.#capacity = capacity;
  }

  record(hash: string, inForce: readonly InForce[]): void {
    const entry = this.#byHash.get(hash) ?? new Map<string, Set<number>>();
    this.#byHash.delete(hash); // re-insert: most recent last
    for (const r of inForce) {
      const key = resourceKey(r);
      entry.set(key, (entry.get(key) ?? new Set<number>()).add(r.generation));
    }
    this.#byHash.set(hash, entry);
    while (this.#byHash.size > this.#capacity) {
      const oldest = this.#byHash.keys().next();
      if (oldest.done === true) break;
      this.#byHash.delete(oldest.value);
    }
  }

  carries(hash: string, key: string, generation: number): boolean {
    return this.#byHash.get(hash)?.get(key)?.has(generation) ?? false;
  }
}
