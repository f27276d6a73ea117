import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Prices } from '../../tools/cost/model';
import { ruleCost } from '../../tools/cost/rules';

const prices = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'bench', 'prices.json'), 'utf8')) as Prices;
const base = { rules: 20, recordsPerInvocation: 5_000, matchMicrosPerRecord: 4, sdkMicrosPerWrite: 350, logsMemoryMb: 1024, diagnoseEverySeconds: 60, warmContainers: 10 };

describe('what log rules cost', () => {
  it('writes at most one counter per rule an invocation, never one per record', () => {
    const busy = ruleCost(base, prices).perMillionRecords;
    expect(busy.counterWrites).toBe(200 * 20);
    expect(busy.writeUnits).toBe(2 * 200 * 20);
    // 4 µs of matching, and 20 writes of 350 µs over 5,000 records.
    expect(busy.extraCpuMicrosPerRecord).toBeCloseTo(4 + (20 * 350) / 5_000, 6);
    const trickle = ruleCost({ ...base, recordsPerInvocation: 1 }, prices).perMillionRecords;
    expect(trickle.counterWrites).toBe(20_000_000);
    expect(trickle.dollars).toBeGreaterThan(busy.dollars * 1000);
  });

  it('reads each rule once a pass, and the rules once per container every 30 s', () => {
    const month = ruleCost(base, prices).perMonth;
    expect(month.readUnits).toBeCloseTo((730 * 60) * 20 * 1.5 + (730 * 120) * 10 * 0.5, 6);
    expect(ruleCost({ ...base, rules: 40 }, prices).perMonth.readUnits).toBeGreaterThan(month.readUnits);
  });
});
