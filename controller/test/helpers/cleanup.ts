import { afterEach } from '@jest/globals';

/**
 * A list of things to undo (close a server, a publisher) that the tests of the enclosing describe
 * push onto; after each test they run, last pushed first, and the list is emptied.
 */
export function cleanupAfterEach(): (() => Promise<void>)[] {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  return cleanup;
}
