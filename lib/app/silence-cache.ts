import type { Silence } from '../domain/model';

/**
 * A silences reader that reads at most once per `ttlMs`: ingest asks only when it has something
 * to say. Apart from ingest, so that the composition root can name it without loading the wire
 * codec into every bundle.
 */
export function cachedSilences(read: () => Promise<Silence[]>, ttlMs: number, now: () => number = Date.now): () => Promise<Silence[]> {
  let cached: { at: number; value: Promise<Silence[]> } | undefined;
  return () => {
    if (!cached || now() - cached.at >= ttlMs) {
      const value = read();
      cached = { at: now(), value };
      value.catch(() => { cached = undefined; });
    }
    return cached.value;
  };
}
