import { describe, expect, it } from 'vitest';
import { countHosts } from '../../web/src/counts';

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
