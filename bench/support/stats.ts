/** Small statistics over samples; nothing here times anything. */

/** The q-quantile (0–1) of `sorted` by nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    mean: sum / Math.max(1, sorted.length),
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** A number rounded to `digits` significant digits, for tables. */
export function sig(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(n)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return n.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 });
}

/**
 * The median of `values` with a distribution-free interval for it: the order statistics whose
 * ranks a binomial(n, ½) puts outside with at most (1 − confidence) / 2 on each side. With 20
 * values and 95%, the 6th and the 15th of them. The bounds are NaN when n is too small for the
 * confidence asked.
 */
export function medianInterval(values: readonly number[], confidence = 0.95): { median: number; low: number; high: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const tail = (1 - confidence) / 2;
  // k: the largest i with P(X ≤ i) ≤ tail, X ~ binomial(n, ½); the interval is the (k+1)-th to the (n−k)-th value.
  let k = -1;
  let cumulative = 0;
  let term = 0.5 ** n;
  for (let i = 0; i <= n; i++) {
    cumulative += term;
    if (cumulative > tail) break;
    k = i;
    term = (term * (n - i)) / (i + 1);
  }
  const median = n % 2 ? (sorted[(n - 1) / 2] as number) : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
  return { median, low: k < 0 ? Number.NaN : (sorted[k] as number), high: k < 0 ? Number.NaN : (sorted[n - 1 - k] as number) };
}
