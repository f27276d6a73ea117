import { CronExpressionParser } from 'cron-parser';

/**
 * When a check is expected: every so often, or on a cron expression read in a time zone.
 * cron-parser (MIT, with luxon for the zones) does the calendar: a local time skipped by a DST
 * change fires once at the first instant after the gap, and one repeated fires once, at its
 * first occurrence (test/unit/check-schedule.test.ts pins both in Berlin and New York).
 */
export type Schedule = { readonly everyMs: number } | { readonly cron: string; readonly tz: string };

/** The shortest period: finer than diagnose can judge makes no sense. */
export const MIN_EVERY_MS = 1000;
/** The longest: a year. */
export const MAX_EVERY_MS = 366 * 86_400_000;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `10m`, `1h30m`, `2d`: a duration in ms, or a reason. */
export function parseDuration(text: string): number | string {
  const t = text.trim();
  const parts = [...t.matchAll(/(\d+)([smhdw])/g)];
  if (t === '' || parts.map((p) => p[0]).join('') !== t) return `expected a duration such as 30s, 10m, 1h30m or 2d; got ${JSON.stringify(text)}`;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] as string] as number), 0);
}

/** Whether the zone is one the runtime knows (the IANA database). */
export function isTimeZone(tz: string): boolean {
  if (tz.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** An every-period schedule, or a reason. */
export function everySchedule(text: string): Schedule | string {
  const ms = parseDuration(text);
  if (typeof ms === 'string') return ms;
  if (ms < MIN_EVERY_MS || ms > MAX_EVERY_MS) return `a period is between 1s and 366d; got ${text}`;
  return { everyMs: ms };
}

/**
 * A cron schedule, or a reason: five fields (minute hour day month weekday), in a zone that
 * exists, that fires at least once in the next five years.
 */
export function cronSchedule(expression: string, tz = 'UTC', now = 0): Schedule | string {
  const cron = expression.trim().replace(/\s+/g, ' ');
  if (!isTimeZone(tz)) return `unknown time zone ${JSON.stringify(tz)}: use an IANA name such as Europe/Berlin or UTC`;
  if (cron.split(' ').length !== 5) return `a cron expression has five fields (minute hour day month weekday); got ${JSON.stringify(expression)}`;
  try {
    CronExpressionParser.parse(cron, { tz, currentDate: new Date(now) });
  } catch (e) {
    return `malformed cron expression ${JSON.stringify(expression)}: ${(e as Error).message}`;
  }
  if (nextAfter({ cron, tz }, now) === undefined) return `the cron expression ${JSON.stringify(expression)} never fires`;
  return { cron, tz };
}

/** How far ahead a cron schedule is searched for its next time. */
const HORIZON_MS = 5 * 366 * 86_400_000;

/** The first expected time strictly after `after`, or undefined when there is none within five years. */
export function nextAfter(s: Schedule, after: number): number | undefined {
  if ('everyMs' in s) return after + s.everyMs;
  try {
    const next = CronExpressionParser.parse(s.cron, { tz: s.tz, currentDate: new Date(after), endDate: new Date(after + HORIZON_MS) }).next().getTime();
    return next > after ? next : undefined;
  } catch {
    // cron-parser throws when no time is left before endDate, or when a date never exists (30 Feb).
    return undefined;
  }
}

export function describeSchedule(s: Schedule): string {
  return 'everyMs' in s ? `every ${s.everyMs / 1000}s` : `cron "${s.cron}" ${s.tz}`;
}
