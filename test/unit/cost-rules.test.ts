import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Prices } from '../../tools/cost/model';
import { ruleCost } from '../../tools/cost/rules';

const prices = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'bench', 'prices.json'), 'utf8')) as Prices;
const base = { rules: 20, recordsPerInvocation: 5_000, matchMicrosPerRecord: 4, sdkMicrosPerWrite: 350, logsMemoryMb: 1024, diagnoseEverySeconds: 60, warmContainers: 10 };

describe('what log rules cost', () => {
  it('writes one counter item an invocation whatever the number of rules, never one per record or per rule', () => {
    const busy = ruleCost(base, prices).perMillionRecords;
    expect(busy.counterWrites).toBe(200);
    expect(busy.sampleWrites).toBe(200);
    // 20 rules: a 2 KB counter item (2 WRU) and a 30 KB samples item (30 WRU).
    expect(busy.writeUnits).toBe(200 * 2 + 200 * 30);
    expect(ruleCost({ ...base, rules: 40 }, prices).perMillionRecords.counterWrites).toBe(200);
    // 4 µs of matching, and 2 writes of 350 µs over 5,000 records.
    expect(busy.extraCpuMicrosPerRecord).toBeCloseTo(4 + (2 * 350) / 5_000, 6);
    const trickle = ruleCost({ ...base, recordsPerInvocation: 1 }, prices).perMillionRecords;
    expect(trickle.counterWrites).toBe(1_000_000);
    expect(trickle.dollars).toBeGreaterThan(busy.dollars * 1000);
  });

  it('reads each rule once a pass, and the rules once per container every 30 s', () => {
    const month = ruleCost(base, prices).perMonth;
    // Per pass: 20 GetItems, and one Query of 6 minutes of a 2 KB counter item (12 KB: 1.5 RRU).
    expect(month.readUnits).toBeCloseTo((730 * 60) * (20 + 1.5) + (730 * 120) * 10 * 0.5, 6);
    expect(ruleCost({ ...base, rules: 40 }, prices).perMonth.readUnits).toBeGreaterThan(month.readUnits);
  });
});
