import { describe, expect, it } from 'vitest';
import { cronSchedule, everySchedule, nextAfter, parseDuration, type Schedule } from '../../lib/domain/check/schedule';
import { outputTail, parseStatus } from '../../lib/domain/check/signal';
import { checkNameProblem } from '../../lib/domain/check/check';

const utc = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const cron = (expression: string, tz: string): Schedule => {
  const s = cronSchedule(expression, tz);
  if (typeof s === 'string') throw new Error(s);
  return s;
};
/** The expected times after `from`, `n` of them, each counted from the one before (as successes would). */
const fires = (s: Schedule, from: string, n: number): (string | undefined)[] => {
  const out: (string | undefined)[] = [];
  let at: number | undefined = utc(from);
  for (let i = 0; i < n && at !== undefined; i++) {
    at = nextAfter(s, at);
    out.push(iso(at));
  }
  return out;
};

describe('a check\'s schedule', () => {
  it('reads durations as --every and --grace take them', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('10')).toMatch(/expected a duration/);
    expect(parseDuration('1x')).toMatch(/expected a duration/);
    expect(everySchedule('0s')).toMatch(/between 1s and 366d/);
    expect(everySchedule('10s')).toEqual({ everyMs: 10_000 });
  });

  it('expects an every-period check one period after its last success', () => {
    expect(nextAfter({ everyMs: 600_000 }, utc('2026-06-01T12:00:00Z'))).toBe(utc('2026-06-01T12:10:00Z'));
  });

  it('refuses a malformed cron expression, one that never fires, six fields, and a zone that does not exist', () => {
    expect(cronSchedule('61 * * * *', 'UTC')).toMatch(/malformed cron expression/);
    expect(cronSchedule('not a cron', 'UTC')).toMatch(/five fields/);
    expect(cronSchedule('0 0 * * * *', 'UTC')).toMatch(/five fields/);
    expect(cronSchedule('0 0 30 2 *', 'UTC')).toMatch(/never fires|malformed/);
    expect(cronSchedule('0 0 31 4 *', 'UTC')).toMatch(/never fires|malformed/);
    expect(cronSchedule('0 2 * * *', 'Europe/Atlantis')).toMatch(/unknown time zone "Europe\/Atlantis"/);
    expect(cronSchedule('0 2 * * *', '')).toMatch(/unknown time zone/);
  });

  it('evaluates cron in its time zone', () => {
    // 02:00 in Berlin is 01:00 UTC in winter (CET) and 00:00 UTC in summer (CEST).
    expect(fires(cron('0 2 * * *', 'Europe/Berlin'), '2026-01-10T12:00:00Z', 1)).toEqual(['2026-01-11T01:00:00.000Z']);
    expect(fires(cron('0 2 * * *', 'Europe/Berlin'), '2026-07-10T12:00:00Z', 1)).toEqual(['2026-07-11T00:00:00.000Z']);
  });

  describe('across the 2026 DST changes, on a fixed clock', () => {
    it('Europe/Berlin, 29 March: 02:30 does not exist; the job is expected once, at 03:30 CEST, then back at 02:30', () => {
      expect(fires(cron('30 2 * * *', 'Europe/Berlin'), '2026-03-28T12:00:00Z', 3)).toEqual([
        '2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z',
      ]);
    });

    it('Europe/Berlin, 25 October: 02:30 happens twice; the job is expected once, at the first', () => {
      expect(fires(cron('30 2 * * *', 'Europe/Berlin'), '2026-10-24T12:00:00Z', 3)).toEqual([
        '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z',
      ]);
    });

    it('Europe/Berlin, 25 October: a half-hourly job keeps real half hours through the repeated hour', () => {
      expect(fires(cron('*/30 * * * *', 'Europe/Berlin'), '2026-10-25T00:10:00Z', 4)).toEqual([
        '2026-10-25T00:30:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-25T02:00:00.000Z',
      ]);
    });

    it('America/New_York, 8 March: 02:30 does not exist; expected once, at 03:30 EDT', () => {
      expect(fires(cron('30 2 * * *', 'America/New_York'), '2026-03-07T12:00:00Z', 3)).toEqual([
        '2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z',
      ]);
    });

    it('America/New_York, 1 November: 01:30 happens twice; expected once, at the first (EDT)', () => {
      expect(fires(cron('30 1 * * *', 'America/New_York'), '2026-10-31T12:00:00Z', 3)).toEqual([
        '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z', '2026-11-03T06:30:00.000Z',
      ]);
    });
  });
});

describe('a ping\'s status and body', () => {
  it('reads start, fail, success and exit statuses 0 to 255', () => {
    expect(parseStatus('')).toEqual({ kind: 'success' });
    expect(parseStatus('start')).toEqual({ kind: 'start' });
    expect(parseStatus('fail')).toEqual({ kind: 'fail' });
    expect(parseStatus('0')).toEqual({ kind: 'success', exit: 0 });
    expect(parseStatus('3')).toEqual({ kind: 'fail', exit: 3 });
    expect(parseStatus('255')).toEqual({ kind: 'fail', exit: 255 });
  });

  it('refuses 256, abc, negative and padded statuses with a reason', () => {
    for (const bad of ['256', 'abc', '-1', '1e2', '0255', ' 1']) expect(parseStatus(bad)).toMatch(/exit status 0 to 255/);
  });

  it('keeps the last 10 KB of output, cut on a character boundary', () => {
    expect(outputTail('short')).toBe('short');
    const long = 'a'.repeat(20_000) + 'boom';
    expect(outputTail(long)).toHaveLength(10_240);
    expect(outputTail(long).endsWith('boom')).toBe(true);
    const tail = outputTail('é'.repeat(6000));
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(10_240);
    expect(tail).toMatch(/^é+$/);
  });

  it('names checks plainly', () => {
    expect(checkNameProblem('nightly-backup')).toBeUndefined();
    expect(checkNameProblem('')).toMatch(/a check name/);
    expect(checkNameProblem('a b')).toMatch(/a check name/);
    expect(checkNameProblem('x'.repeat(129))).toMatch(/a check name/);
  });
});
