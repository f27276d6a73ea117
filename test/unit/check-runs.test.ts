import { describe, expect, it } from 'vitest';
import type { Check, RunDays, Signal } from '../../lib/domain/check/check';
import { bucketMs, durationBucket, endedRunMs, keepFromDay, summarizeRuns, withSignal } from '../../lib/domain/check/runs';

/** A check's runs per UTC day (docs/DATA-MODEL.md, "Runs"): what a ping's one write stores, and what the report reads. */
const T0 = Date.parse('2026-11-20T10:00:00Z');
type Runs = Pick<Check, 'lastStart' | 'lastEnd' | 'runDays'>;

/** The check after a signal, as the adapters store it. */
function apply(c: Runs, s: Signal, keepFrom: string): Runs {
  const runDays = withSignal(c, s, keepFrom);
  return s.kind === 'start' ? { ...c, lastStart: s.at, runDays } : { ...c, lastEnd: s.at, runDays };
}

describe('a run\'s duration bucket', () => {
  it('stands for every duration in it within 4.5%, from a millisecond to a month', () => {
    for (let ms = 1; ms < 31 * 86_400_000; ms = Math.ceil(ms * 1.013)) {
      const mid = bucketMs(durationBucket(ms));
      expect(Math.abs(mid - ms) / ms).toBeLessThanOrEqual(0.045);
    }
    expect(bucketMs(durationBucket(0))).toBe(0);
  });

  it('durations up to a month fall in 252 buckets (0 to 251), up to a year in 281', () => {
    expect(durationBucket(31 * 86_400_000)).toBe(251);
    expect(durationBucket(366 * 86_400_000)).toBe(280);
  });
});

describe('the runs a signal records', () => {
  it('times a run from the start it follows; a success with no start in progress counts with no duration', () => {
    expect(endedRunMs({ lastStart: T0, lastEnd: T0 - 1000 }, { kind: 'success', at: T0 + 5000 })).toBe(5000);
    expect(endedRunMs({ lastStart: T0 - 9000, lastEnd: T0 - 1000 }, { kind: 'success', at: T0 + 5000 })).toBeUndefined();
    expect(endedRunMs({}, { kind: 'fail', at: T0 })).toBeUndefined();
    // A start received after the end it belongs before: no negative duration.
    expect(endedRunMs({ lastStart: T0 + 10, lastEnd: T0 - 1000 }, { kind: 'success', at: T0 })).toBeUndefined();
  });

  it('keeps the days from keepFrom on, so a check pinged every minute for a week holds two days', () => {
    let c: Runs = {};
    const start = Date.parse('2026-11-20T00:00:00Z');
    for (let i = 0; i < 7 * 1440; i++) {
      const at = start + i * 60_000;
      // Durations from 5 to 45 s: a job whose run time varies ninefold.
      c = apply(c, { kind: 'start', at }, keepFromDay(at, 24));
      c = apply(c, { kind: i % 50 === 0 ? 'fail' : 'success', at: at + 5000 + ((i * 7919) % 40_000) }, keepFromDay(at, 24));
    }
    expect(Object.keys(c.runDays as RunDays)).toEqual(['2026-11-25', '2026-11-26']);
    const day = (c.runDays as RunDays)['2026-11-26'];
    expect(day).toMatchObject({ runs: 1440, failures: 29 });
    // Bounded by the buckets between 5 and 45 s, not by the runs: 8 to a doubling over log2(9) doublings.
    expect(Object.keys(day?.durations ?? {}).length).toBeLessThanOrEqual(27);
  });
});

describe('p50 and p95 over the days a report reads', () => {
  it('are the nearest-rank percentiles, within the buckets\' 4.5%', () => {
    let c: Runs = {};
    const durations = Array.from({ length: 100 }, (_, i) => (i + 1) * 1000);
    for (const [i, ms] of durations.entries()) {
      const at = T0 + i * 3_600_000 / 10;
      c = apply(c, { kind: 'start', at }, '2026-11-01');
      c = apply(c, { kind: 'success', at: at + ms }, '2026-11-01');
    }
    const s = summarizeRuns(Object.values(c.runDays as RunDays));
    expect(s).toMatchObject({ runs: 100, failures: 0, timed: 100 });
    expect(Math.abs((s.p50Ms as number) - 50_000) / 50_000).toBeLessThanOrEqual(0.045);
    expect(Math.abs((s.p95Ms as number) - 95_000) / 95_000).toBeLessThanOrEqual(0.045);
  });

  it('are undefined with no timed run', () => {
    expect(summarizeRuns([{ runs: 3, failures: 1, durations: {} }])).toEqual({ runs: 3, failures: 1, timed: 0, p50Ms: undefined, p95Ms: undefined });
  });
});
