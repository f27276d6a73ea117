import { describe, expect, it } from 'vitest';
import type { Beat } from '../../lib/domain/model';
import { isSkewed, skewTransition } from '../../lib/domain/host/skew';

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const LIMIT = 30_000;
const beat = (skewMs: number): Beat => ({ hostname: 'web-1', receivedAt: T0, sentAt: T0 + skewMs, interval: 60, labels: {}, goodbye: false });

describe('isSkewed', () => {
  it('exactly at the threshold is in step; a millisecond beyond, ahead or behind, is not', () => {
    expect(isSkewed(LIMIT, LIMIT)).toBe(false);
    expect(isSkewed(-LIMIT, LIMIT)).toBe(false);
    expect(isSkewed(LIMIT + 1, LIMIT)).toBe(true);
    expect(isSkewed(-LIMIT - 1, LIMIT)).toBe(true);
  });
});

describe('skewTransition: a warning on transition only', () => {
  it('warns when a clock moves beyond the threshold', () => {
    expect(skewTransition(0, beat(LIMIT + 1), LIMIT)).toMatchObject({
      kind: 'clock-skew', severity: 'warning', at: T0, id: `web-1|clock-skew|${T0}`, details: { skewMs: '30001', thresholdMs: '30000' },
    });
  });

  it('says nothing at the threshold', () => {
    expect(skewTransition(0, beat(LIMIT), LIMIT)).toBeUndefined();
  });

  it('says nothing while a clock stays skewed, however it drifts', () => {
    expect(skewTransition(45_000, beat(90_000), LIMIT)).toBeUndefined();
    expect(skewTransition(45_000, beat(-90_000), LIMIT)).toBeUndefined();
  });

  it('says it is back in step once, when it is', () => {
    expect(skewTransition(45_000, beat(100), LIMIT)).toMatchObject({ kind: 'clock-ok', severity: 'info' });
    expect(skewTransition(100, beat(200), LIMIT)).toBeUndefined();
  });

  it('warns about a clock behind as well as ahead, and on a host\'s first beat', () => {
    expect(skewTransition(undefined, beat(-60_000), LIMIT)?.message).toMatch(/1m behind/);
    expect(skewTransition(undefined, beat(0), LIMIT)).toBeUndefined();
  });
});
