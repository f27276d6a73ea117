import { checkSubject, lastDuration, type Check } from '../check/check';
import type { Notification, NotificationKind } from '../model';
import { percent } from './percent';

/**
 * The report's checks (scheduled jobs): per check, its lates, failures and overlong runs in the
 * period, from the notifications diagnose committed, and its availability, the share of the
 * period it was expected (created, not paused) and not late, failed or running too long.
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
}

export interface CheckSummary {
  readonly total: number;
  readonly byState: Record<string, number>;
  readonly lates: number;
  readonly failures: number;
  readonly longs: number;
  /** Not-in-problem time over expected time, summed over the checks, in percent. */
  readonly availability: number | undefined;
  readonly expectedMs: number;
  readonly problemMs: number;
  /** The checks with the most problems, then the least available. */
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
  const worst = rows.filter((r) => problems(r) > 0 || r.problemMs > 0)
    .sort((a, b) => problems(b) - problems(a) || b.problemMs - a.problemMs || (a.name < b.name ? -1 : 1))
    .slice(0, top);
  return {
    summary: {
      total: rows.length, byState, lates: sum((r) => r.lates), failures: sum((r) => r.failures), longs: sum((r) => r.longs),
      availability: expectedMs > 0 ? percent(expectedMs - problemMs, expectedMs) : undefined, expectedMs, problemMs, worst,
    },
    rows,
  };
}
