/** Polls `check` until it is truthy, up to `attempts` times: a bounded wait, never a timing assertion. */
export async function waitFor<T>(check: () => T | undefined, attempts = 200, stepMs = 10): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  throw new Error('condition not met');
}
