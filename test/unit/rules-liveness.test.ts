import { describe, expect, it } from 'vitest';
import { deadlineOf, effectiveInterval, isAliveAt, type LivenessRule } from '../../lib/domain/host/liveness';

const DEFAULTS: LivenessRule = { defaultInterval: 60, tolerance: 3 };
const LAST_BEAT = Date.UTC(2025, 10, 25, 12, 0, 0);
const SECOND = 1000;

/** A host as liveness sees it: the monitor's receive time of its last beat, and its declared interval. */
const host = (interval: number, lastBeat = LAST_BEAT) => ({ lastBeat, interval });

describe('liveness: alive while now − lastBeat < interval × tolerance', () => {
  describe('given a host that declared 60 s and the default tolerance of 3 (deadline 180 s after its last beat)', () => {
    const h = host(60);
    const deadline = LAST_BEAT + 180 * SECOND;

    it('puts the deadline exactly 180 s after the last beat', () => {
      expect(deadlineOf(h, DEFAULTS)).toBe(deadline);
    });

    it('is alive one millisecond before the deadline', () => {
      expect(isAliveAt(h, deadline - 1, DEFAULTS)).toBe(true);
    });

    it('is dead exactly at the deadline (the bound is strict)', () => {
      expect(isAliveAt(h, deadline, DEFAULTS)).toBe(false);
    });

    it('is dead one millisecond after the deadline', () => {
      expect(isAliveAt(h, deadline + 1, DEFAULTS)).toBe(false);
    });

    it('is alive at the very moment of its last beat', () => {
      expect(isAliveAt(h, LAST_BEAT, DEFAULTS)).toBe(true);
    });

    it('is alive when the queue stamped the beat a little after our now (queue clock ahead of ours)', () => {
      expect(isAliveAt(h, LAST_BEAT - 2 * SECOND, DEFAULTS)).toBe(true);
    });
  });

  describe('given a host whose own clock is wrong', () => {
    // Liveness reads only lastBeat (SQS SentTimestamp) and the interval. The host's own
    // timestamp (sentAt) and its skew are carried on the item but must not move the verdict.
    const base = { lastBeat: LAST_BEAT, interval: 60 };
    const clockAhead = { ...base, sentAt: LAST_BEAT + 3_600 * SECOND, skewMs: 3_600 * SECOND };
    const clockBehind = { ...base, sentAt: LAST_BEAT - 86_400 * SECOND, skewMs: -86_400 * SECOND };

    it('an hour ahead: alive 1 ms before the receive-time deadline, dead at it', () => {
      expect(isAliveAt(clockAhead, LAST_BEAT + 180 * SECOND - 1, DEFAULTS)).toBe(true);
      expect(isAliveAt(clockAhead, LAST_BEAT + 180 * SECOND, DEFAULTS)).toBe(false);
      expect(deadlineOf(clockAhead, DEFAULTS)).toBe(deadlineOf(base, DEFAULTS));
    });

    it('a day behind: alive 1 ms before the receive-time deadline, dead at it', () => {
      expect(isAliveAt(clockBehind, LAST_BEAT + 1, DEFAULTS)).toBe(true);
      expect(isAliveAt(clockBehind, LAST_BEAT + 180 * SECOND - 1, DEFAULTS)).toBe(true);
      expect(isAliveAt(clockBehind, LAST_BEAT + 180 * SECOND, DEFAULTS)).toBe(false);
      expect(deadlineOf(clockBehind, DEFAULTS)).toBe(deadlineOf(base, DEFAULTS));
    });
  });

  describe('interval 0 means the default', () => {
    it('holds a host that declared 0 to the default of 60 s', () => {
      expect(effectiveInterval(0, DEFAULTS)).toBe(60);
      expect(deadlineOf(host(0), DEFAULTS)).toBe(LAST_BEAT + 180 * SECOND);
      expect(isAliveAt(host(0), LAST_BEAT + 180 * SECOND - 1, DEFAULTS)).toBe(true);
      expect(isAliveAt(host(0), LAST_BEAT + 180 * SECOND, DEFAULTS)).toBe(false);
    });

    it('uses the configured default, not a hard-coded 60', () => {
      const rule = { defaultInterval: 30, tolerance: 3 };
      expect(deadlineOf(host(0), rule)).toBe(LAST_BEAT + 90 * SECOND);
      expect(isAliveAt(host(0), LAST_BEAT + 90 * SECOND - 1, rule)).toBe(true);
      expect(isAliveAt(host(0), LAST_BEAT + 90 * SECOND, rule)).toBe(false);
    });

    it('keeps a declared interval over the default', () => {
      expect(effectiveInterval(10, DEFAULTS)).toBe(10);
      expect(effectiveInterval(300, DEFAULTS)).toBe(300);
      expect(deadlineOf(host(10), DEFAULTS)).toBe(LAST_BEAT + 30 * SECOND);
      expect(deadlineOf(host(300), DEFAULTS)).toBe(LAST_BEAT + 900 * SECOND);
    });
  });

  describe('tolerance is configurable', () => {
    it.each([
      [1, 60],
      [2, 120],
      [1.5, 90],
      [5, 300],
    ])('tolerance %d puts the deadline %d s after the last beat', (tolerance, seconds) => {
      const rule = { defaultInterval: 60, tolerance };
      const deadline = LAST_BEAT + seconds * SECOND;
      expect(deadlineOf(host(60), rule)).toBe(deadline);
      expect(isAliveAt(host(60), deadline - 1, rule)).toBe(true);
      expect(isAliveAt(host(60), deadline, rule)).toBe(false);
    });

    it('multiplies the host’s own interval, not the default', () => {
      const rule = { defaultInterval: 60, tolerance: 2 };
      expect(deadlineOf(host(15), rule)).toBe(LAST_BEAT + 30 * SECOND);
    });
  });
});
