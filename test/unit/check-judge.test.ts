import { describe, expect, it } from 'vitest';
import type { Check } from '../../lib/domain/check/check';
import { checkDeadline, checkTransition, checkVerdict, lateAt } from '../../lib/domain/check/judge';

const MIN = 60_000;
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

function check(over: Partial<Check> = {}): Check {
  return {
    name: 'etl', keyHash: 'h', schedule: { everyMs: 10 * MIN }, graceMs: 5 * MIN, labels: { team: 'data' },
    createdAt: T0, paused: false, state: 'new', stateSince: T0, pings: 0, ...over,
  };
}

describe('a check\'s verdict', () => {
  describe('given a new check expected every 10 min with 5 min grace, never pinged', () => {
    const c = check();

    it('is not late before its first expected run plus grace', () => {
      expect(lateAt(c)).toBe(T0 + 15 * MIN);
      expect(checkTransition(c, T0 + 15 * MIN - 1)).toBeUndefined();
    });

    it('turns late exactly at first expected run plus grace, with check-late', () => {
      const t = checkTransition(c, T0 + 20 * MIN);
      expect(t).toMatchObject({ from: 'new', to: 'late', at: T0 + 15 * MIN });
      expect(t?.notification).toMatchObject({ hostname: 'check:etl', kind: 'check-late', severity: 'critical', at: T0 + 15 * MIN, labels: { team: 'data' } });
    });

    it('is never judged while paused', () => {
      expect(checkTransition(check({ paused: true }), T0 + 1000 * MIN)).toBeUndefined();
      expect(checkDeadline(check({ paused: true }))).toBeUndefined();
    });
  });

  it('counts the schedule from the last success', () => {
    const c = check({ state: 'up', stateSince: T0 + 9 * MIN, lastSuccess: T0 + 9 * MIN, lastEnd: T0 + 9 * MIN, lastOk: true });
    expect(checkTransition(c, T0 + 20 * MIN)).toBeUndefined();
    expect(checkTransition(c, T0 + 24 * MIN)?.to).toBe('late');
  });

  it('goes quietly from new to up on its first success', () => {
    const t = checkTransition(check({ lastSuccess: T0 + MIN, lastEnd: T0 + MIN, lastOk: true }), T0 + 2 * MIN);
    expect(t).toMatchObject({ from: 'new', to: 'up', at: T0 + MIN });
    expect(t?.notification).toBeUndefined();
  });

  it('fails on a fail signal or a non-zero exit, with the exit status in the details', () => {
    const c = check({ state: 'up', lastSuccess: T0, lastStart: T0 + MIN, lastEnd: T0 + 2 * MIN, lastOk: false, lastExit: 3 });
    const t = checkTransition(c, T0 + 3 * MIN);
    expect(t).toMatchObject({ to: 'failed', at: T0 + 2 * MIN, problemSince: T0 + 2 * MIN });
    expect(t?.notification).toMatchObject({ kind: 'check-failed', severity: 'critical' });
    expect(t?.notification?.details.exitStatus).toBe('3');
  });

  it('stays failed while a new run is in progress, until a success', () => {
    const c = check({ state: 'failed', stateSince: T0 + 2 * MIN, problemSince: T0 + 2 * MIN, lastSuccess: T0, lastStart: T0 + 4 * MIN, lastEnd: T0 + 2 * MIN, lastOk: false });
    expect(checkVerdict(c, T0 + 5 * MIN).state).toBe('failed');
  });

  it('recovers with check-ok on the incident its problem opened', () => {
    const failed = check({ state: 'up', lastSuccess: T0, lastEnd: T0 + 2 * MIN, lastOk: false, lastExit: 1 });
    const down = checkTransition(failed, T0 + 3 * MIN);
    const after = check({ state: 'failed', stateSince: T0 + 2 * MIN, problemSince: down?.problemSince, lastStart: T0 + 4 * MIN, lastEnd: T0 + 5 * MIN, lastOk: true, lastExit: 0, lastSuccess: T0 + 5 * MIN });
    const ok = checkTransition(after, T0 + 6 * MIN);
    expect(ok).toMatchObject({ from: 'failed', to: 'up', at: T0 + 5 * MIN, problemSince: undefined });
    expect(ok?.notification).toMatchObject({ kind: 'check-ok', severity: 'info' });
    expect(ok?.notification?.incident).toBe(down?.notification?.incident);
    expect(ok?.notification?.details.durationSeconds).toBe('60');
  });

  it('keeps one incident from late to failed to ok', () => {
    const late = checkTransition(check(), T0 + 20 * MIN);
    const failed = checkTransition(check({ state: 'late', stateSince: T0 + 15 * MIN, problemSince: late?.problemSince, lastEnd: T0 + 21 * MIN, lastOk: false }), T0 + 22 * MIN);
    expect(failed?.to).toBe('failed');
    expect(failed?.problemSince).toBe(T0 + 15 * MIN);
    expect(failed?.notification?.incident).toBe(late?.notification?.incident);
  });

  it('is long when a run started and has not finished within its longest run', () => {
    const c = check({ state: 'up', lastSuccess: T0, maxRunMs: 3000, lastStart: T0 + MIN });
    expect(checkDeadline(c)).toBe(T0 + MIN + 3000);
    expect(checkTransition(c, T0 + MIN + 2999)).toBeUndefined();
    const t = checkTransition(c, T0 + MIN + 3000);
    expect(t).toMatchObject({ to: 'long', at: T0 + MIN + 3000 });
    expect(t?.notification).toMatchObject({ kind: 'check-long', severity: 'warning' });
  });

  it('is not long once the run finished in time', () => {
    const c = check({ state: 'up', lastSuccess: T0 + MIN + 2000, maxRunMs: 3000, lastStart: T0 + MIN, lastEnd: T0 + MIN + 2000, lastOk: true });
    expect(checkTransition(c, T0 + 2 * MIN)).toBeUndefined();
  });

  it('judges a cron check from its zone\'s calendar: late at 02:00 Berlin plus grace', () => {
    const c = check({ schedule: { cron: '0 2 * * *', tz: 'Europe/Berlin' }, graceMs: 30 * MIN, createdAt: Date.parse('2026-01-10T12:00:00Z'), stateSince: Date.parse('2026-01-10T12:00:00Z') });
    expect(lateAt(c)).toBe(Date.parse('2026-01-11T01:30:00Z'));
    expect(checkTransition(c, Date.parse('2026-01-11T01:29:59Z'))).toBeUndefined();
    expect(checkTransition(c, Date.parse('2026-01-11T01:30:00Z'))?.to).toBe('late');
  });
});
