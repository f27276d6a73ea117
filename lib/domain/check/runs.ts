import { dayOf } from '../model/days';
import { isRunning, type Check, type RunDay, type RunDays, type Signal } from './check';

/**
 * A check's finished runs, per UTC day, for the report (docs/DATA-MODEL.md, "Runs"): how many
 * ended (success or failure), how many failed, and a histogram of the durations of those whose
 * start was seen (`RunDay`, check.ts). The buckets are fixed and logarithmic, eight to a
 * doubling (each 2^(1/8), about 9%, wide), so a day holds at most 252 of them for runs up to a
 * month long (281 up to a year) however many runs it had, and a percentile read from them, a bucket's geometric middle, is within 4.5% of the
 * duration it stands for.
 */
const PER_DOUBLING = 8;

/** The bucket of a duration in ms: 0 for under 1 ms, else 1 + ⌊8·log2(ms)⌋. */
export function durationBucket(ms: number): number {
  return ms < 1 ? 0 : 1 + Math.floor(PER_DOUBLING * Math.log2(ms) + 1e-9);
}

/** What a bucket stands for: its geometric middle, in ms (0 for bucket 0). */
export function bucketMs(bucket: number): number {
  return bucket <= 0 ? 0 : 2 ** ((bucket - 1 + 0.5) / PER_DOUBLING);
}

/** The duration of the run a success or failure at `s.at` ends: its start, if one is in progress and came before. */
export function endedRunMs(c: Pick<Check, 'lastStart' | 'lastEnd'>, s: Signal): number | undefined {
  if (s.kind === 'start' || !isRunning(c)) return undefined;
  const start = c.lastStart as number;
  return start <= s.at ? s.at - start : undefined;
}

/**
 * Whether an end signal is one already recorded: SQS redelivers a message with its first receive
 * time, so the same end at the same instant is the same signal, and is not counted again.
 */
export function isRepeatedEnd(c: Pick<Check, 'lastEnd' | 'lastOk' | 'lastExit'>, s: Signal): boolean {
  return s.kind !== 'start' && c.lastEnd === s.at && c.lastOk === (s.kind === 'success') && c.lastExit === s.exit;
}

/**
 * The runs after the signal `s` (a start changes nothing), keeping only the days from `keepFrom`
 * on (the report's window): what the ping's one write stores.
 */
export function withSignal(c: Pick<Check, 'lastStart' | 'lastEnd' | 'runDays'>, s: Signal, keepFrom: string): RunDays {
  const kept: Record<string, RunDay> = {};
  for (const [day, r] of Object.entries(c.runDays ?? {})) if (day >= keepFrom) kept[day] = r;
  if (s.kind === 'start') return kept;
  const day = dayOf(s.at);
  const was = kept[day] ?? { runs: 0, failures: 0, durations: {} };
  const ms = endedRunMs(c, s);
  const durations = { ...was.durations };
  if (ms !== undefined) {
    const b = String(durationBucket(ms));
    durations[b] = (durations[b] ?? 0) + 1;
  }
  kept[day] = { runs: was.runs + 1, failures: was.failures + (s.kind === 'fail' ? 1 : 0), durations };
  return kept;
}

/** The first day a ping at `at` keeps, so a report of `hours` ending at or after `at` finds every day it touches. */
export function keepFromDay(at: number, hours: number): string {
  return dayOf(at - hours * 3_600_000);
}

export interface RunSummary {
  readonly runs: number;
  readonly failures: number;
  /** Runs with a duration (their start was seen). */
  readonly timed: number;
  /** Nearest-rank percentiles of those durations, in ms, each a bucket's middle. */
  readonly p50Ms: number | undefined;
  readonly p95Ms: number | undefined;
}

/** The runs of the given days, summed, with their p50 and p95 duration. */
export function summarizeRuns(days: readonly RunDay[]): RunSummary {
  const counts = new Map<number, number>();
  let runs = 0;
  let failures = 0;
  for (const d of days) {
    runs += d.runs;
    failures += d.failures;
    for (const [b, n] of Object.entries(d.durations)) counts.set(Number(b), (counts.get(Number(b)) ?? 0) + n);
  }
  const sorted = [...counts.entries()].sort(([a], [b]) => a - b);
  const timed = sorted.reduce((t, [, n]) => t + n, 0);
  const at = (q: number): number | undefined => {
    if (timed === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * timed));
    let seen = 0;
    for (const [b, n] of sorted) {
      seen += n;
      if (seen >= rank) return bucketMs(b);
    }
    return undefined;
  };
  return { runs, failures, timed, p50Ms: at(0.5), p95Ms: at(0.95) };
}
