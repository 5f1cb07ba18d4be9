/**
 * Bounds how many snapshot bodies the admin listener holds at once. Each PUT may carry up to
 * MAX_SIGNED_SNAPSHOT_BYTES, and a body is kept (as chunks, a string and decoded copies) until its
 * turn in the store's queue; with no bound, forty concurrent 16 MiB PUTs from anyone who can reach
 * the port took the proxy to 1.3 GB. A PUT over the bound waits for a slot without its body being
 * read, so TCP back-pressure holds the bytes in the sender and the server's request timeout still
 * ends it. Applies are serialised anyway, so a second slot only overlaps one upload with one apply.
 */
export const MAX_SNAPSHOT_BODIES_IN_FLIGHT = 2;

export class BodyGate {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number = MAX_SNAPSHOT_BODIES_IN_FLIGHT) {
    this.#limit = limit;
  }

  /** Resolves with a release function once a slot is free; call it exactly once. */
  async acquire(): Promise<() => void> {
    if (this.#active >= this.#limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next waiter, so #active never dips and a newcomer cannot
      // overtake the queue.
      const next = this.#waiting.shift();
      if (next === undefined) this.#active--;
      else next();
    };
  }
}
