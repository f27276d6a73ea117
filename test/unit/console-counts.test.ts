import { describe, expect, it } from 'vitest';
import { countHosts, refreshPeriodMs } from '../../web/src/counts';

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
