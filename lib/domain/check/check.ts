import { createHash } from 'node:crypto';
import type { PendingNotification } from '../model';
import type { Schedule } from './schedule';

/**
 * A check: a scheduled job that dts watches (a cron job, a backup, an ETL run) by the signals it
 * sends, as Healthchecks does. Its life is read here and in judge.ts: what it is, what it last
 * said, and what diagnose last decided about it (docs/CHECKS.md).
 */

/** What diagnose last decided: `new` until its first success, `up` while on time and well. */
export type CheckState = 'new' | 'up' | 'late' | 'failed' | 'long';
export const CHECK_STATES: readonly CheckState[] = ['new', 'up', 'late', 'failed', 'long'];

export interface Check {
  readonly name: string;
  /** The sha256 of its ping key (hex): the key itself is printed once, never stored. */
  readonly keyHash: string;
  readonly schedule: Schedule;
  readonly graceMs: number;
  /** A run that started and has not finished after this long is `long`. */
  readonly maxRunMs?: number;
  readonly labels: Record<string, string>;
  readonly createdAt: number;
  /** A paused check records its signals and is never judged. */
  readonly paused: boolean;
  readonly state: CheckState;
  readonly stateSince: number;
  /** While late, failed or long: when it stopped being up (the incident's start). */
  readonly problemSince?: number;
  /** While late: the storm its `check-late` was held back under (docs/CHECKS.md, "Storms"). */
  readonly stormIncident?: string;
  /** The last signal of any kind: its kind and when it came. */
  readonly lastPing?: number;
  readonly lastSignal?: SignalKind;
  /** The last `start`. A run is in progress while it is later than `lastEnd`. */
  readonly lastStart?: number;
  /** The last success or failure, its exit status (0 for a plain success) and whether it succeeded. */
  readonly lastEnd?: number;
  readonly lastExit?: number;
  readonly lastOk?: boolean;
  /** The last success: what the schedule counts from. */
  readonly lastSuccess?: number;
  /** Signals received in all. */
  readonly pings: number;
  /** Finished runs per UTC day, over the report's window: counts and a duration histogram (runs.ts). */
  readonly runDays?: RunDays;
  /** Notifications committed with its transitions and not yet known delivered (the outbox). */
  readonly pending?: PendingNotification[];
}

/**
 * A day's finished runs (runs.ts reads and writes them): how many ended, success or failure, how
 * many failed, and a histogram of the durations of those whose start was seen.
 */
export interface RunDay {
  readonly runs: number;
  readonly failures: number;
  /** Bucket index (runs.ts, `durationBucket`) → runs. */
  readonly durations: Readonly<Record<string, number>>;
}

/** UTC day ("2026-12-06") → its runs. */
export type RunDays = Readonly<Record<string, RunDay>>;

export type SignalKind = 'start' | 'success' | 'fail';

/** One signal, as received: `exit` is the job's exit status when it gave one. */
export interface Signal {
  readonly kind: SignalKind;
  readonly at: number;
  readonly exit?: number;
}

/** What notifications about a check are filed under, as if a host: silences name it so. */
export function checkSubject(name: string): string {
  return `check:${name}`;
}

/** The name of the check a subject names, if it names one. */
export function checkOfSubject(subject: string): string | undefined {
  return subject.startsWith('check:') ? subject.slice('check:'.length) : undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A reason when `name` cannot name a check, else undefined. It becomes a log record's app, so it is kept plain. */
export function checkNameProblem(name: string): string | undefined {
  return NAME.test(name) ? undefined : `a check name is 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit; got ${JSON.stringify(name.slice(0, 140))}`;
}

/** The stored form of a ping key. A key is 128 random bits, so a plain digest is as good as a slow one. */
export function pingKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A ping key has this shape; anything else is refused before any read. */
export const PING_KEY = /^[A-Za-z0-9_-]{22,64}$/;

/** The duration of the last finished run, when its start is known. */
export function lastDuration(c: Pick<Check, 'lastStart' | 'lastEnd'>): number | undefined {
  return c.lastStart !== undefined && c.lastEnd !== undefined && c.lastStart <= c.lastEnd ? c.lastEnd - c.lastStart : undefined;
}

/** Whether a run is in progress: started and not finished since. */
export function isRunning(c: Pick<Check, 'lastStart' | 'lastEnd'>): boolean {
  return c.lastStart !== undefined && (c.lastEnd === undefined || c.lastStart > c.lastEnd);
}
