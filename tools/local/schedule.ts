/**
 * EventBridge schedule expressions, evaluated in UTC. `rate(n unit)` is a fixed period; `cron(...)`
 * has AWS's six fields (minutes hours day-of-month month day-of-week year), which are translated
 * to cron-parser's: a seconds field of 0 is added, day-of-week numbers move from AWS's 1-7
 * (Sunday = 1) to 0-6, and the year, which cron-parser lacks, filters the dates it yields.
 */
import { randomUUID } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import type { ScheduledEvent } from 'aws-lambda';
import { ACCOUNT_ID } from './template/intrinsics';

export interface Schedule {
  /** The first firing strictly after `after` (epoch ms). */
  next(after: number): number;
  readonly description: string;
}

const RATE_UNITS: Record<string, number> = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86400, days: 86400 };

export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    const unit = RATE_UNITS[rate[2] as string];
    if (!unit || value < 1) throw new Error(`invalid schedule ${expression}`);
    if ((value === 1) !== !(rate[2] as string).endsWith('s')) throw new Error(`invalid schedule ${expression}: AWS wants "1 minute" but "2 minutes"`);
    return everySeconds(value * unit, expression);
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (cron) return awsCron(cron[1] as string);
  throw new Error(`invalid schedule ${expression}: expected rate(...) or cron(...)`);
}

export function everySeconds(seconds: number, description = `every ${seconds} s`): Schedule {
  const period = seconds * 1000;
  return { description, next: (after) => after + period };
}

function awsCron(fields: string): Schedule {
  const parts = fields.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`invalid cron(${fields}): AWS cron has 6 fields (minutes hours day-of-month month day-of-week year)`);
  const [minutes, hours, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if (dom !== '?' && dow !== '?') throw new Error(`invalid cron(${fields}): one of day-of-month and day-of-week must be ?`);
  if (/W/.test(dom)) throw new Error(`cron(${fields}): the W (nearest weekday) wildcard is not supported locally`);
  const expression = `0 ${minutes} ${hours} ${dom} ${month} ${awsDayOfWeek(dow)}`;
  const years = yearMatcher(year);
  return {
    description: `cron(${fields}) UTC`,
    next(after) {
      const it = CronExpressionParser.parse(expression, { currentDate: new Date(after), tz: 'UTC' });
      for (let i = 0; i < 10_000; i++) {
        const date = it.next().toDate();
        if (years(date.getUTCFullYear())) return date.getTime();
      }
      return Number.POSITIVE_INFINITY;
    },
  };
}

/** AWS numbers days 1 (SUN) to 7 (SAT); cron-parser 0 (SUN) to 6. Names, `#` and `L` carry over. */
function awsDayOfWeek(field: string): string {
  if (field === '?' || field === '*') return field;
  return field.split(',').map((part) => {
    const [base, step] = part.split('/') as [string, string | undefined];
    const shifted = base.replace(/^(\d)(?=L$|#|-|$)/, (d) => String(Number(d) - 1)).replace(/-(\d)$/, (_, d: string) => `-${Number(d) - 1}`);
    return step === undefined ? shifted : `${shifted}/${step}`;
  }).join(',');
}

function yearMatcher(field: string): (year: number) => boolean {
  if (field === '*' || field === '?') return () => true;
  const tests = field.split(',').map((part) => {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    const [lo, hi] = range === '*' ? [1970, 2199] : range.includes('-') ? range.split('-').map(Number) as [number, number] : [Number(range), stepText === undefined ? Number(range) : 2199];
    return (y: number) => y >= lo && y <= hi && (y - lo) % step === 0;
  });
  return (year) => tests.some((t) => t(year));
}

/** The event EventBridge sends a Lambda target of a scheduled rule. */
export function scheduledEvent(ruleArn: string, region: string, at: Date): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT_ID,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [ruleArn],
    detail: {},
  };
}
