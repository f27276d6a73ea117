import { checkSubject, lastDuration, type Check, type RunDay } from '../check/check';
import { summarizeRuns } from '../check/runs';
import type { Notification, NotificationKind } from '../model';
import { daysBetween } from '../model/days';
import { percent } from './percent';

/**
 * The report's checks (scheduled jobs): per check, its lates, failures and overlong runs in the
 * period, from the notifications diagnose committed; its availability, the share of the period
 * it was expected (created, not paused) and not late, failed or running too long; and its runs
 * with their p50 and p95 duration, from the runs the check keeps per UTC day (check/runs.ts),
 * over the UTC days the period touches.
 */
export interface CheckRow {
  readonly name: string;
  /** `paused`, or diagnose's verdict now. */
  readonly state: string;
  readonly lates: number;
  readonly failures: number;
  readonly longs: number;
  /** Undefined when the check was not expected in the period (made after it, or paused now). */
  readonly availability: number | undefined;
  readonly expectedMs: number;
  /** Time late, failed or running too long in the period. */
  readonly problemMs: number;
  readonly lastDurationMs: number | undefined;
  readonly lastExit: number | undefined;
  /** Runs that ended (successes and failures) on the UTC days the period touches, and those that failed. */
  readonly runs: number;
  readonly failedRuns: number;
  /** Of the runs, those whose start was seen, which the percentiles are of. */
  readonly timedRuns: number;
  /** Nearest-rank run durations, within 4.5% (a duration bucket's middle); undefined with no timed run. */
  readonly p50Ms: number | undefined;
  readonly p95Ms: number | undefined;
}

export interface CheckSummary {
  readonly total: number;
  readonly byState: Record<string, number>;
  readonly lates: number;
  readonly failures: number;
  readonly longs: number;
  /** Runs, and failed runs, on the UTC days the period touches (`runDays`). */
  readonly runs: number;
  readonly failedRuns: number;
  /** The first and last of those days. */
  readonly runDays: { readonly from: string; readonly to: string };
  /** Not-in-problem time over expected time, summed over the checks, in percent. */
  readonly availability: number | undefined;
  readonly expectedMs: number;
  readonly problemMs: number;
  /** Every check, the most problems first, then the longest in a problem, then by name; at most `top`. */
  readonly worst: CheckRow[];
}

const PROBLEM = new Set<NotificationKind>(['check-late', 'check-failed', 'check-long']);


/** One check over [since, until), from its notifications there (time order) and the check as it is now. */
export function checkRow(c: Check, own: readonly Notification[], since: number, until: number): CheckRow {
  const changes = own.filter((n) => PROBLEM.has(n.kind) || n.kind === 'check-ok');
  const from = Math.max(since, Math.min(until, c.createdAt));
  // In a problem at the start: the first change is the recovery, or with none, the check is in one now.
  const first = changes[0];
  let problemFrom: number | undefined = first
    ? (first.kind === 'check-ok' ? from : undefined)
    : (c.state === 'late' || c.state === 'failed' || c.state === 'long' ? Math.max(from, c.problemSince ?? c.stateSince) : undefined);
  let problemMs = 0;
  for (const n of changes) {
    if (PROBLEM.has(n.kind)) problemFrom ??= Math.max(from, n.at);
    else if (problemFrom !== undefined) {
      problemMs += Math.max(0, n.at - problemFrom);
      problemFrom = undefined;
    }
  }
  if (problemFrom !== undefined) problemMs += Math.max(0, until - problemFrom);
  const expectedMs = c.paused ? 0 : Math.max(0, until - from);
  const count = (kind: NotificationKind) => own.filter((n) => n.kind === kind).length;
  const days = daysBetween(since, until - 1).map((day) => c.runDays?.[day]).filter((d): d is RunDay => d !== undefined);
  const runs = summarizeRuns(days);
  return {
    name: c.name,
    state: c.paused ? 'paused' : c.state,
    lates: count('check-late'),
    failures: count('check-failed'),
    longs: count('check-long'),
    availability: expectedMs > 0 ? percent(expectedMs - Math.min(problemMs, expectedMs), expectedMs) : undefined,
    expectedMs,
    problemMs: Math.min(problemMs, Math.max(0, until - from)),
    lastDurationMs: lastDuration(c),
    lastExit: c.lastExit,
    runs: runs.runs,
    failedRuns: runs.failures,
    timedRuns: runs.timed,
    p50Ms: runs.p50Ms,
    p95Ms: runs.p95Ms,
  };
}

/** Every check's row (name order) and the summary with the `top` worst. `ofSubject` gives a subject's notifications in the period. */
export function checkReport(checks: readonly Check[], ofSubject: (subject: string) => readonly Notification[], since: number, until: number, top: number): { summary: CheckSummary; rows: CheckRow[] } {
  const rows = checks.map((c) => checkRow(c, ofSubject(checkSubject(c.name)), since, until)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byState: Record<string, number> = {};
  for (const r of rows) byState[r.state] = (byState[r.state] ?? 0) + 1;
  const sum = (f: (r: CheckRow) => number) => rows.reduce((t, r) => t + f(r), 0);
  const expectedMs = sum((r) => r.expectedMs);
  const problemMs = sum((r) => (r.expectedMs > 0 ? r.problemMs : 0));
  const problems = (r: CheckRow) => r.lates + r.failures + r.longs;
  const worst = [...rows]
    .sort((a, b) => problems(b) - problems(a) || b.problemMs - a.problemMs || (a.name < b.name ? -1 : 1))
    .slice(0, top);
  const days = daysBetween(since, until - 1);
  return {
    summary: {
      total: rows.length, byState, lates: sum((r) => r.lates), failures: sum((r) => r.failures), longs: sum((r) => r.longs),
      runs: sum((r) => r.runs), failedRuns: sum((r) => r.failedRuns), runDays: { from: days[days.length - 1] as string, to: days[0] as string },
      availability: expectedMs > 0 ? percent(expectedMs - problemMs, expectedMs) : undefined, expectedMs, problemMs, worst,
    },
    rows,
  };
}
