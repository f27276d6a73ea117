import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkEstimate, SECONDS_PER_MONTH, type Prices } from '../../tools/cost/model';

const prices = JSON.parse(readFileSync(new URL('../../bench/prices.json', import.meta.url), 'utf8')) as Prices;

describe('the cost of checks (npm run cost -- --checks N --every D)', () => {
  it('counts one DynamoDB write per ping', () => {
    const e = checkEstimate({ checks: 10_000, everySeconds: 3600 }, prices);
    const writes = e.lines.find((l) => l.item === 'signal writes (check item)');
    expect(writes?.quantity).toBe((10_000 * SECONDS_PER_MONTH) / 3600);
    expect(checkEstimate({ checks: 10_000, everySeconds: 3600, signalsPerRun: 2 }, prices).lines.find((l) => l.item === 'signal writes (check item)')?.quantity).toBe((2 * 10_000 * SECONDS_PER_MONTH) / 3600);
  });

  it('reads the check once before each run\'s end, whatever the signals a run sends', () => {
    for (const signalsPerRun of [1, 2]) {
      const reads = checkEstimate({ checks: 10_000, everySeconds: 3600, signalsPerRun }, prices).lines.find((l) => l.item === 'check read before each run\'s end');
      expect(reads?.quantity).toBe((10_000 * SECONDS_PER_MONTH) / 3600);
    }
  });

  it('reads every check once a pass, and prices a check-month far below a hosted service', () => {
    const e = checkEstimate({ checks: 10_000, everySeconds: 3600 }, prices);
    expect(e.derived.readUnitsPerPass).toBe(Math.ceil((10_000 * 700) / 4096) / 2);
    const hc = prices.alternatives.find((a) => a.name.startsWith('Healthchecks'))?.perHostMonth ?? 0;
    expect(e.perCheck).toBeGreaterThan(0);
    expect(e.perCheck).toBeLessThan(hc / 10);
  });
});
