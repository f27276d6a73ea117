import { describe, expect, it } from 'vitest';
import { medianInterval } from '../../bench/support/stats';

/**
 * The bench's figure for what log rules cost is the median of per-round ratios with a 95%
 * interval (bench/cpu.ts): the interval must be the order statistics the binomial gives, and must
 * hold the true median about 95% of the time.
 */
describe('the median interval of the bench', () => {
  it('is the order statistics of the tables: the 6th and 15th of 20, the 22nd and 39th of 60', () => {
    const ranks = (n: number) => Array.from({ length: n }, (_, i) => n - i);
    expect(medianInterval(ranks(20))).toEqual({ median: 10.5, low: 6, high: 15 });
    expect(medianInterval(ranks(60))).toEqual({ median: 30.5, low: 22, high: 39 });
    expect(medianInterval([5, 1, 9, 7, 3])).toMatchObject({ median: 5 });
  });

  it('has no interval when there are too few values for the confidence asked', () => {
    const few = medianInterval([3, 1, 2]);
    expect(few.median).toBe(2);
    expect(few.low).toBeNaN();
    expect(few.high).toBeNaN();
  });

  it('holds the true median about 95% of the time', () => {
    // A seeded generator: the same draws every run. Exponential values, median ln 2.
    let seed = 12345;
    const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) + 0.5) / 2 ** 31;
    const trials = 4000;
    let held = 0;
    for (let t = 0; t < trials; t++) {
      const { low, high } = medianInterval(Array.from({ length: 20 }, () => -Math.log(uniform())));
      if (low <= Math.LN2 && Math.LN2 <= high) held++;
    }
    // The 6th to 15th of 20 hold it with probability 95.9%.
    expect(held / trials).toBeGreaterThan(0.94);
    expect(held / trials).toBeLessThan(0.975);
  });
});
