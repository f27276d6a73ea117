import { describe, expect, it } from 'vitest';
import { activeHold, retryDelayMs, watermarkOf } from '../../lib/domain/fleet/watermark';
import { beatDeadline, OutOfTime } from '../../lib/app/ingest/watermark';

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const VISIBILITY = 180_000;
const gauge = (pending: number, at = T0) => ({ pending, at });

describe('the ingest watermark', () => {
  it('an empty queue vouches for everything SQS accepted before it was read', () => {
    expect(watermarkOf(gauge(0), { ingestedThrough: T0 - 60_000, holdFrom: T0 - 30_000, holdUntil: T0 + 9000 })).toEqual({ through: T0, reasons: [] });
  });

  it('a busy queue is vouched for up to the newest canary stored', () => {
    const w = watermarkOf(gauge(500), { ingestedThrough: T0 - 800, canaryAt: T0 - 900 }, { at: T0 - 900, stored: true });
    expect(w).toEqual({ through: T0 - 800, reasons: [] });
  });

  it('a canary not stored in time says ingest is behind, and how far it is known to have got', () => {
    const w = watermarkOf(gauge(1061), { ingestedThrough: T0 - 45_000 }, { at: T0 - 10_000, stored: false });
    expect(w.through).toBe(T0 - 45_000);
    expect(w.reasons).toEqual([expect.stringMatching(/^ingest is behind: 1061 message\(s\) wait on the heartbeats queue and a canary sent at 2026-12-05T11:59:50.000Z is not stored yet; beats received after 2026-12-05T11:59:15.000Z may not be stored$/)]);
  });

  it('before any canary, a busy queue vouches for nothing', () => {
    const w = watermarkOf(gauge(3), {}, { at: T0, stored: false });
    expect(w.through).toBe(0);
    expect(w.reasons[0]).toMatch(/no canary has been stored yet/);
  });

  it('a beat ingest failed to store holds the watermark before it until a canary sent after SQS handed it out again is stored', () => {
    const marks = { ingestedThrough: T0 - 500, canaryAt: T0 - 600, holdFrom: T0 - 20_000, holdUntil: T0 + 10_000 };
    const held = watermarkOf(gauge(40), marks, { at: T0 - 600, stored: true });
    expect(held.through).toBe(T0 - 20_000);
    expect(held.reasons[0]).toMatch(/^ingest failed to store beats received from 2026-12-05T11:59:40.000Z on; SQS hands them out again by 2026-12-05T12:00:10.000Z, and a canary sent after that/);
    // Time alone does not lift it: a canary stored before the failed beats came back was ahead of them.
    expect(watermarkOf(gauge(40, T0 + 600_000), marks, { at: T0 + 600_000, stored: true }).through).toBe(T0 - 20_000);
    expect(activeHold({ ...marks, ingestedThrough: T0 + 9_999 })).toBe(T0 - 20_000);
    // A canary sent once they were back queued behind them: stored, it vouches for them.
    const after = { ...marks, ingestedThrough: T0 + 10_000, canaryAt: T0 + 10_000 };
    expect(activeHold(after)).toBeUndefined();
    expect(watermarkOf(gauge(40, T0 + 11_000), after, { at: T0 + 10_000, stored: true })).toEqual({ through: T0 + 10_000, reasons: [] });
  });

  it('a failed beat comes back after a short delay that grows with each receive, never past the visibility timeout', () => {
    expect([1, 2, 3].map((n) => retryDelayMs(n, 5000, VISIBILITY))).toEqual([5000, 10_000, 15_000]);
    expect(retryDelayMs(100, 5000, VISIBILITY)).toBe(VISIBILITY);
  });

  it('a hold after the newest canary takes nothing back: that canary vouched before the beat failed', () => {
    expect(watermarkOf(gauge(40), { ingestedThrough: T0 - 5000, holdFrom: T0 - 1000, holdUntil: T0 + 5000 }, { at: T0 - 5000, stored: true })).toEqual({ through: T0 - 5000, reasons: [] });
  });
});

describe('a beat\'s deadline in its invocation', () => {
  it('fails what is not stored by the invocation\'s timeout less the reserve, and nothing once cancelled', async () => {
    const started = Date.now();
    const d = beatDeadline(200, 5_000);
    await expect(d.expired).rejects.toBeInstanceOf(OutOfTime);
    // A timeout shorter than the reserve keeps four fifths of itself for the beats.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    const cancelled = beatDeadline(100, 5_000);
    cancelled.cancel();
    const settled = await Promise.race([cancelled.expired.then(() => 'rejected', () => 'rejected'), new Promise((r) => setTimeout(() => r('pending'), 120))]);
    expect(settled).toBe('pending');
  });
});
