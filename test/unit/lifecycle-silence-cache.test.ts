import { describe, expect, it } from 'vitest';
import type { Silence } from '../../lib/domain/model';
import { cachedSilences } from '../../lib/app/silence-cache';

describe('cachedSilences: ingest reads the silences at most once per TTL', () => {
  it('reuses one read within the TTL and reads again after it', async () => {
    let now = 0;
    let reads = 0;
    const read = async (): Promise<Silence[]> => {
      reads++;
      return [];
    };
    const silences = cachedSilences(read, 30_000, () => now);
    await silences();
    await silences();
    now = 29_999;
    await silences();
    expect(reads).toBe(1);
    now = 30_000;
    await silences();
    expect(reads).toBe(2);
  });

  it('does not keep a failed read: the next call tries again', async () => {
    let fail = true;
    const silences = cachedSilences(async () => {
      if (fail) throw new Error('throttled');
      return [];
    }, 30_000, () => 0);
    await expect(silences()).rejects.toThrow('throttled');
    fail = false;
    await expect(silences()).resolves.toEqual([]);
  });
});
