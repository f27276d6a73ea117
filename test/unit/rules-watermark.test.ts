import { describe, expect, it } from 'vitest';
import { activeHold, REDELIVERY_MARGIN_MS, watermarkOf } from '../../lib/rules/watermark';

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const VISIBILITY = 180_000;
const gauge = (pending: number, at = T0) => ({ pending, visibilityTimeoutMs: VISIBILITY, at });

describe('the ingest watermark', () => {
  it('an empty queue vouches for everything SQS accepted before it was read', () => {
    expect(watermarkOf(gauge(0), { ingestedThrough: T0 - 60_000, holdFrom: T0 - 30_000, holdAt: T0 - 1000 })).toEqual({ through: T0, reasons: [] });
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

  it('a beat ingest failed to store holds the watermark before it until SQS has handed it out again', () => {
    const marks = { ingestedThrough: T0 - 500, canaryAt: T0 - 600, holdFrom: T0 - 20_000, holdAt: T0 - 10_000 };
    const held = watermarkOf(gauge(40), marks, { at: T0 - 600, stored: true });
    expect(held.through).toBe(T0 - 20_000);
    expect(held.reasons[0]).toMatch(/^ingest failed to store beats received from 2026-12-05T11:59:40.000Z on/);
    // Once the visibility timeout (and the margin for the redelivery) has passed, the hold is over.
    const later = T0 - 10_000 + VISIBILITY + REDELIVERY_MARGIN_MS;
    expect(activeHold(marks, VISIBILITY, later - 1)).toBe(T0 - 20_000);
    expect(watermarkOf(gauge(40, later), marks, { at: later, stored: true })).toEqual({ through: T0 - 500, reasons: [] });
  });

  it('a hold after the newest canary takes nothing back: that canary vouched before the beat failed', () => {
    expect(watermarkOf(gauge(40), { ingestedThrough: T0 - 5000, holdFrom: T0 - 1000, holdAt: T0 }, { at: T0 - 5000, stored: true })).toEqual({ through: T0 - 5000, reasons: [] });
  });
});
