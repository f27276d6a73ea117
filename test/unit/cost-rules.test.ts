import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Prices } from '../../tools/cost/model';
import { ruleCost } from '../../tools/cost/rules';

const prices = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'bench', 'prices.json'), 'utf8')) as Prices;
const base = { rules: 20, recordsPerInvocation: 5_000, matchMicrosPerRecord: 4, sdkMicrosPerWrite: 350, logsMemoryMb: 1024, diagnoseEverySeconds: 60, warmContainers: 10 };

describe('what log rules cost', () => {
  it('writes no counter item of its own: the counts ride in the daily counts write, never one per record or per rule', () => {
    const busy = ruleCost(base, prices).perMillionRecords;
    expect(busy.counterWrites).toBe(0);
    expect(busy.sampleWrites).toBe(200);
    // 20 rules keep the daily counts item within 1 KB (no more WRU); a 30 KB samples item (30 WRU).
    expect(busy.writeUnits).toBe(200 * 30);
    // 40 rules take it to 2 KB: one more WRU an invocation, still no write of their own.
    expect(ruleCost({ ...base, rules: 40 }, prices).perMillionRecords.writeUnits).toBe(200 * 1 + 200 * 59);
    // 4 µs of matching, and the samples write of 350 µs over 5,000 records.
    expect(busy.extraCpuMicrosPerRecord).toBeCloseTo(4 + 350 / 5_000, 6);
    const trickle = ruleCost({ ...base, recordsPerInvocation: 1 }, prices).perMillionRecords;
    expect(trickle.counterWrites).toBe(0);
    expect(trickle.dollars).toBeGreaterThan(busy.dollars * 1000);
  });

  it('reads each rule, its app\'s counts and the cursor once a pass, and the rules once per container every 30 s', () => {
    const month = ruleCost(base, prices).perMonth;
    // Per pass: 20 GetItems, one Query of 6 minutes of a 2 KB counter item (12 KB: 1.5 RRU), the
    // cursor (4 KB: 1 RRU) and two days' daily counts items of up to 20 apps (40 RRU).
    expect(month.readUnits).toBeCloseTo((730 * 60) * (20 + 1.5 + 1 + 40) + (730 * 120) * 10 * 0.5, 6);
    // Per pass at most: the cursor (4 KB) and the minute's counter item (2 KB), and that write again, refused.
    expect(month.writeUnits).toBeCloseTo((730 * 60) * (4 + 2 + 2), 6);
    expect(ruleCost({ ...base, rules: 40 }, prices).perMonth.readUnits).toBeGreaterThan(month.readUnits);
  });
});
