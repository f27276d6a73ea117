import { describe, expect, it } from 'vitest';
import { estimate, type MeasuredInputs } from '../../tools/cost/model';
import { ROUND_COUNTS, ROUND_PRICES } from '../support/cost-inputs';

const prices = ROUND_PRICES;
const measured: MeasuredInputs = { ...ROUND_COUNTS, hostItemBytes: 409.6 };

describe('cost model: diagnose fanned out (docs/SEMANTICS.md, "Diagnose fanned out")', () => {
  const fleet = { hosts: 1_000_000, interval: 60, logRecordsPerHostPerDay: 0, mirrorLogs: false, notificationsPerHostMonth: 2, lambdaIoMsPerInvocation: 20 };
  const line = (e: ReturnType<typeof estimate>, item: string) => e.lines.find((l) => l.item.startsWith(item));

  it('prices every worker request at 1M hosts and 20 workers, as computed by hand', () => {
    const e = estimate({ ...fleet, diagnoseWorkers: 20, diagnoseHostsPerWorker: 50_000 }, measured, prices);
    // 43,800 passes; 2M notifications a month = 45.66 planned hosts a pass: every worker commits.
    // 43,800 × (20 judge + 20 commit) = 1,752,000 invocations.
    expect(e.derived.diagnoseWorkers).toBe(20);
    expect(line(e, 'requests, diagnose workers')?.quantity).toBeCloseTo(1_752_000, 3);
    expect(line(e, 'requests, diagnose workers')?.dollars).toBeCloseTo(0.3504, 6);
    // One consistent read unit per planned host (409.6 B items), and the monitor item once a pass: 2,043,800 a month.
    expect(line(e, 'diagnose workers: BatchGetItem')?.quantity).toBeCloseTo(2_043_800, 3);
    // 1.7275 GB × 43,800 × 20 × (2 × 0.02 s + 50,000 × 5 µs) GB-s.
    expect(line(e, 'duration, diagnose workers')?.quantity).toBeCloseTo((1769 / 1024) * 43_800 * 20 * (0.04 + 0.25), 3);
    // The coordinator waits for the slowest worker rather than scanning 1M hosts itself.
    const alone = estimate(fleet, measured, prices);
    expect(e.derived.diagnoseGbSeconds).toBeLessThan(alone.derived.diagnoseGbSeconds as number);
  });

  it('adds nothing for a fleet one worker covers, nor with diagnoseWorkers 1 (the default)', () => {
    for (const e of [
      estimate({ ...fleet, hosts: 40_000, diagnoseWorkers: 20, diagnoseHostsPerWorker: 50_000 }, measured, prices),
      estimate(fleet, measured, prices),
    ]) {
      expect(e.derived.diagnoseWorkers).toBe(1);
      expect(e.lines.filter((l) => l.item.includes('diagnose workers'))).toEqual([]);
    }
  });
});
