/**
 * Runs `step` on every item, `concurrency` at a time, and tells `failed` of each one that threw:
 * a pass judges what it can and leaves the rest to the next pass. Returns how many failed.
 */
export async function judgeInChunks<T>(items: readonly T[], concurrency: number, step: (item: T) => Promise<void>, failed: (item: T, reason: unknown) => void): Promise<number> {
  let failures = 0;
  for (let i = 0; i < items.length; i += concurrency) {
    const chunk = items.slice(i, i + concurrency);
    const results = await Promise.allSettled(chunk.map(step));
    for (const [j, r] of results.entries()) {
      if (r.status === 'rejected') {
        failures++;
        failed(chunk[j] as T, r.reason);
      }
    }
  }
  return failures;
}
