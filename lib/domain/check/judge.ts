import type { Notification } from '../model';
import { formatDuration, notification } from '../notification/notifications';
import { checkSubject, isRunning, lastDuration, type Check, type CheckState } from './check';
import { describeSchedule, nextAfter } from './schedule';

/**
 * A check's status at a moment, and the transition diagnose commits when it changed
 * (Healthchecks' `Check.get_status()`). In order: a run whose last finish failed is `failed`
 * until a success; a run in progress past its longest run is `long`; no success by the next
 * expected time plus grace is `late`; else `up` (or `new` before its first success).
 */
export interface CheckVerdict {
  readonly state: CheckState;
  /** When it became so: a function of the stored check, so every pass agrees on it. */
  readonly since: number;
}

/** The time a success is next due, counted from the last success (or the check's creation). */
export function nextExpected(c: Pick<Check, 'schedule' | 'lastSuccess' | 'createdAt'>): number | undefined {
  return nextAfter(c.schedule, c.lastSuccess ?? c.createdAt);
}

/** When the check turns late if no success comes: the next expected time plus grace. */
export function lateAt(c: Pick<Check, 'schedule' | 'lastSuccess' | 'createdAt' | 'graceMs'>): number | undefined {
  const next = nextExpected(c);
  return next === undefined ? undefined : next + c.graceMs;
}

/** When a run in progress turns long, if it does. */
export function longAt(c: Pick<Check, 'lastStart' | 'lastEnd' | 'maxRunMs'>): number | undefined {
  return isRunning(c) && c.maxRunMs !== undefined ? (c.lastStart as number) + c.maxRunMs : undefined;
}

/** The next moment at which the check's verdict changes by itself (no signal): what the deadline watch waits for. */
export function checkDeadline(c: Check): number | undefined {
  if (c.paused) return undefined;
  const times = [c.state === 'late' ? undefined : lateAt(c), c.state === 'long' ? undefined : longAt(c)].filter((t): t is number => t !== undefined);
  return times.length === 0 ? undefined : Math.min(...times);
}

export function checkVerdict(c: Check, now: number): CheckVerdict {
  if (c.lastEnd !== undefined && c.lastOk === false && c.lastEnd <= now) return { state: 'failed', since: c.lastEnd };
  const long = longAt(c);
  if (long !== undefined && long <= now) return { state: 'long', since: long };
  const late = lateAt(c);
  if (late !== undefined && late <= now) return { state: 'late', since: late };
  if (c.lastSuccess === undefined) return { state: 'new', since: c.createdAt };
  return { state: 'up', since: c.state === 'up' ? c.stateSince : c.lastSuccess };
}

export interface CheckTransition {
  readonly from: CheckState;
  readonly to: CheckState;
  readonly at: number;
  /** The incident's start, recorded while the check is not up. */
  readonly problemSince: number | undefined;
  /** None for a first success (new → up): nothing to say. */
  readonly notification: Notification | undefined;
}

const PROBLEMS: ReadonlySet<CheckState> = new Set(['late', 'failed', 'long']);

/** What diagnose should commit for a check at `now`, or nothing. A paused check is never judged. */
export function checkTransition(c: Check, now: number): CheckTransition | undefined {
  if (c.paused) return undefined;
  const v = checkVerdict(c, now);
  if (v.state === c.state) return undefined;
  const subject = checkSubject(c.name);
  const wasProblem = PROBLEMS.has(c.state);
  const problemSince = PROBLEMS.has(v.state) ? (wasProblem ? c.problemSince ?? c.stateSince : v.since) : undefined;
  const since = new Date(problemSince ?? c.problemSince ?? c.stateSince).toISOString();
  const base = { check: c.name, schedule: describeSchedule(c.schedule), problemSince: since, ...(c.lastPing === undefined ? {} : { lastPing: new Date(c.lastPing).toISOString() }) };
  const make = (n: Notification | undefined): CheckTransition => ({ from: c.state, to: v.state, at: v.since, problemSince, notification: n ? { ...n, labels: c.labels } : undefined });
  switch (v.state) {
    case 'failed':
      return make(notification(subject, 'check-failed', 'critical', v.since,
        `check ${c.name} failed${c.lastExit === undefined ? '' : ` with exit status ${c.lastExit}`}`,
        { ...base, ...(c.lastExit === undefined ? {} : { exitStatus: String(c.lastExit) }) }));
    case 'long':
      return make(notification(subject, 'check-long', 'warning', v.since,
        `check ${c.name} has been running for over ${formatDuration(c.maxRunMs ?? 0)}`,
        { ...base, startedAt: new Date(c.lastStart as number).toISOString(), maxRunSeconds: String((c.maxRunMs ?? 0) / 1000) }));
    case 'late':
      return make(notification(subject, 'check-late', 'critical', v.since,
        `check ${c.name} is late: no success since ${c.lastSuccess === undefined ? 'it was added' : new Date(c.lastSuccess).toISOString()} (${describeSchedule(c.schedule)}, grace ${formatDuration(c.graceMs)})`,
        { ...base, ...(c.lastSuccess === undefined ? {} : { lastSuccess: new Date(c.lastSuccess).toISOString() }), graceSeconds: String(c.graceMs / 1000) }));
    case 'up':
      if (!wasProblem) return make(undefined);
      return make(notification(subject, 'check-ok', 'info', v.since,
        `check ${c.name} is ok again after ${formatDuration(v.since - (c.problemSince ?? c.stateSince))}`,
        { ...base, ...(lastDuration(c) === undefined ? {} : { durationSeconds: String((lastDuration(c) as number) / 1000) }) }));
    case 'new':
      // Back to new only if its schedule was changed under it; nothing to say.
      return make(undefined);
  }
}
