import { describe, expect, it } from 'vitest';
import { countHosts, defaultGrouping, refreshPeriodMs } from '../../web/src/counts';
import { sparkPath } from '../../web/src/spark-path';

describe('the console header counts', () => {
  it('counts the fetched hosts by state, overdue and silenced, every state shown even at 0', () => {
    const counts = countHosts([
      { state: 'alive', overdue: false },
      { state: 'alive', overdue: true },
      { state: 'dead', overdue: false, silencedBy: 's1' },
      { state: 'new', overdue: true, silencedBy: 's2' },
    ]);
    expect(counts).toEqual({ total: 4, byState: { new: 1, alive: 2, dead: 1, left: 0, retired: 0 }, overdue: 2, silenced: 2 });
  });

  it('an empty fleet is all zeros', () => {
    expect(countHosts([])).toEqual({ total: 0, byState: { new: 0, alive: 0, dead: 0, left: 0, retired: 0 }, overdue: 0, silenced: 0 });
  });
});

describe('the console refresh period', () => {
  it('is 10 s up to 1,000 hosts, then 10 s more per 1,000, so an open page scans at the same rate whatever the fleet', () => {
    expect([0, 52, 1_000, 1_001, 10_000, 100_000].map((n) => refreshPeriodMs(n, null))).toEqual([10_000, 10_000, 10_000, 20_000, 100_000, 1_000_000]);
  });

  it('is what ?refresh= says, whatever the fleet, at least 1 s', () => {
    expect(refreshPeriodMs(10_000, '1')).toBe(1_000);
    expect(refreshPeriodMs(10_000, '0.1')).toBe(1_000);
    expect(refreshPeriodMs(52, '30')).toBe(30_000);
  });
});

describe('the console\'s default grouping', () => {
  const host = (labels: Record<string, string>) => ({ labels });
  it('groups by nothing when no label key is on at least half the hosts', () => {
    expect(defaultGrouping([host({}), host({}), host({})])).toBe('');
    expect(defaultGrouping([host({ role: 'web' }), host({}), host({})])).toBe('');
    expect(defaultGrouping([])).toBe('');
  });
  it('groups by the key on most hosts once it is on half of them, role first among equals', () => {
    expect(defaultGrouping([host({ role: 'web' }), host({})])).toBe('role');
    expect(defaultGrouping([host({ zone: 'a', role: 'web' }), host({ zone: 'b' }), host({ zone: 'a' })])).toBe('zone');
    expect(defaultGrouping([host({ zone: 'a', role: 'web' }), host({ zone: 'b', role: 'db' })])).toBe('role');
  });
});

describe('sparklines from the hour ring', () => {
  const ring = (known: Record<number, number>): (number | null)[] => Array.from({ length: 24 }, (_, i) => known[i] ?? null);
  it('a host in its first hour draws that hour across the whole box, not a dot', () => {
    const p = sparkPath(ring({ 23: 50 }), 48, 14);
    expect(p).toMatchObject({ points: 1, hours: 1, first: 23, d: 'M0.0 7.0H48.0' });
  });
  it('each known hour is a step as wide as the hour, from the first known hour to now, broken at gaps', () => {
    const p = sparkPath(ring({ 20: 0, 21: 100, 23: 50 }), 40, 12);
    expect(p.hours).toBe(4);
    expect(p.d).toBe('M0.0 11.0H10.0L10.0 1.0H20.0M30.0 6.0H40.0');
  });
  it('draws nothing without history', () => {
    expect(sparkPath(ring({}), 48, 14)).toMatchObject({ d: '', points: 0 });
  });
});
