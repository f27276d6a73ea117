import { randomBytes } from 'node:crypto';
import { checkNameProblem, pingKeyHash, type Check } from '../../domain/check/check';
import { cronSchedule, everySchedule, parseDuration, type Schedule } from '../../domain/check/schedule';
import { checkDeadline } from '../../domain/check/judge';
import type { ChecksPort, DiagnoseTrigger, MonitorPort } from '../../ports';

/** What `dts checks add` is given, as text, before it is read. */
export interface CheckSpec {
  readonly name: string;
  readonly every?: string;
  readonly cron?: string;
  readonly tz?: string;
  readonly grace?: string;
  readonly maxRun?: string;
  readonly labels?: Record<string, string>;
}

/** A new ping key: 128 random bits, URL-safe. */
export function newPingKey(): string {
  return randomBytes(16).toString('base64url');
}

/** The check a spec describes at `now`, or every reason it cannot be one. */
export function readSpec(spec: CheckSpec, now: number, keyHash: string): Check | string[] {
  const problems: string[] = [];
  const nameProblem = checkNameProblem(spec.name);
  if (nameProblem) problems.push(nameProblem);
  let schedule: Schedule | string;
  if ((spec.every === undefined) === (spec.cron === undefined)) schedule = 'give a schedule: --every 10m, or --cron "0 2 * * *" (with --tz)';
  else if (spec.every !== undefined) schedule = spec.tz === undefined ? everySchedule(spec.every) : '--tz goes with --cron only';
  else schedule = cronSchedule(spec.cron as string, spec.tz ?? 'UTC', now);
  if (typeof schedule === 'string') problems.push(schedule);
  const grace = spec.grace === undefined ? 0 : parseDuration(spec.grace);
  if (typeof grace === 'string') problems.push(`--grace: ${grace}`);
  const maxRun = spec.maxRun === undefined ? undefined : parseDuration(spec.maxRun);
  if (typeof maxRun === 'string') problems.push(`--max-run: ${maxRun}`);
  if (maxRun === 0) problems.push('--max-run: must be longer than 0s');
  if (problems.length > 0) return problems;
  return {
    name: spec.name, keyHash, schedule: schedule as Schedule, graceMs: grace as number, ...(maxRun === undefined ? {} : { maxRunMs: maxRun as number }),
    labels: spec.labels ?? {}, createdAt: now, paused: false, state: 'new', stateSince: now, pings: 0,
  };
}

export type AddOutcome = { readonly ok: true; readonly check: Check; readonly key: string } | { readonly ok: false; readonly problems: string[] };

/** Add a check: its key is made here and returned once; only its hash is stored. */
export async function addCheck(checks: Pick<ChecksPort, 'add'>, spec: CheckSpec, now: number, key = newPingKey()): Promise<AddOutcome> {
  const check = readSpec(spec, now, pingKeyHash(key));
  if (Array.isArray(check)) return { ok: false, problems: check };
  if (!(await checks.add(check))) return { ok: false, problems: [`a check named ${JSON.stringify(spec.name)} exists already`] };
  return { ok: true, check, key };
}

/** A watch that says it runs at least this much longer will look at the monitor item again in time. */
const WATCH_POLL_MARGIN_MS = 2000;

/**
 * How a check added or resumed between passes is watched from the start (docs/CHECKS.md, "New
 * checks between passes"): noted on the monitor item for the checks' running deadline watch, and,
 * with a trigger, a pass started when no such watch runs (at most one every `gapMs`, shared with
 * new hosts' passes).
 */
export interface NewCheckWatch {
  readonly monitor: Pick<MonitorPort, 'noteArrival' | 'claimArrivalPass'>;
  readonly trigger?: DiagnoseTrigger;
  /** A deadline further away than this is listed by a scheduled pass in time (the watch's span). */
  readonly withinMs: number;
  readonly gapMs: number;
  /**
   * Told why no pass was started when one was needed (no watch runs): no trigger, or the trigger
   * refused (say, no lambda:InvokeFunction). The check is stored all the same; the next pass lists it.
   */
  readonly noPass?: (why: string) => void;
}

/**
 * A check just added or resumed: when its first deadline (late, or long) comes before the next
 * scheduled pass could list it, it is noted for the checks' watch, which lists it within a second.
 * A failure here loses nothing but that head start: the check is stored, and the next pass lists it.
 * Returns whether the check was noted.
 */
export async function noteNewCheck(w: NewCheckWatch, c: Check, now: number): Promise<boolean> {
  const deadline = checkDeadline(c);
  if (deadline === undefined || deadline - now > w.withinMs) return false;
  const { watchingUntil } = await w.monitor.noteArrival(c.name, 'checks');
  if ((watchingUntil ?? 0) > now + WATCH_POLL_MARGIN_MS) return true;
  if (!w.trigger) {
    w.noPass?.('the diagnose function is not known');
    return true;
  }
  if (!(await w.monitor.claimArrivalPass(now, w.gapMs))) return true;
  try {
    await w.trigger.runPass(`new check ${c.name}`);
  } catch (e) {
    if (!w.noPass) throw e;
    w.noPass((e as Error).message);
  }
  return true;
}
