/**
 * The local scheduler: which schedules --tick and --report-every speed up, and its watch, which
 * reports a schedule that has gone three periods without a successful run. Timers are faked.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler } from '../../tools/local/scheduler';
import type { SchedulePlan } from '../../tools/local/template/plan';

const plan = (name: string, expression: string): SchedulePlan => ({
  logicalId: name, ruleName: `rule-${name}`, ruleArn: `arn:aws:events:us-east-1:000000000000:rule/rule-${name}`, expression,
  targets: [{ functionName: `dts-local-${name}` } as SchedulePlan['targets'][number]],
});
const PLANS = [plan('diagnose', 'rate(1 minute)'), plan('report', 'cron(0 8 * * ? *)')];
const isReport = (fn: string): boolean => fn === 'dts-local-report';

describe('the local scheduler', () => {
  let lines: string[];
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-12-01T10:00:00Z') });
    lines = [];
  });
  afterEach(() => vi.useRealTimers());
  const log = (l: string): void => void lines.push(l);

  it('--tick speeds up diagnose only; the report keeps its cron', () => {
    const s = new Scheduler(PLANS, { tickSeconds: 5, isReport }, { invoke: async () => undefined, log, region: 'us-east-1' });
    expect(s.entries.map((e) => e.schedule.description)).toEqual(['every 5 s (--tick; the template says rate(1 minute))', 'cron(0 8 * * ? *) UTC']);
  });

  it('--report-every sets the report\'s period', () => {
    const s = new Scheduler(PLANS, { tickSeconds: 5, reportEverySeconds: 30, isReport }, { invoke: async () => undefined, log, region: 'us-east-1' });
    expect(s.entries.map((e) => e.periodMs)).toEqual([5000, 30_000]);
  });

  it('warns once when a schedule has failed for three periods, and says when it runs again', async () => {
    let failing = true;
    const invoked: string[] = [];
    const invoke = async (fn: string): Promise<unknown> => {
      invoked.push(fn);
      if (failing) throw new Error('Task timed out after 30.00 seconds');
      return undefined;
    };
    const s = new Scheduler([PLANS[0] as SchedulePlan], { tickSeconds: 10 }, { invoke, log, region: 'us-east-1' });
    s.start();
    await vi.advanceTimersByTimeAsync(25_000);
    expect(s.status()[0]?.state).toBe('running');
    await vi.advanceTimersByTimeAsync(10_000);
    const [status] = s.status();
    expect(status).toMatchObject({ state: 'not-running', consecutiveFailures: 3, lastError: 'Task timed out after 30.00 seconds', periodMs: 10_000 });
    const warnings = lines.filter((l) => l.includes('NOT RUNNING'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^! schedule rule-diagnose \(dts-local-diagnose\) is NOT RUNNING: no successful run for 3 periods of 10 s \([23] failed run\(s\), last: Task timed out after 30\.00 seconds\)$/);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(lines.filter((l) => l.includes('NOT RUNNING'))).toHaveLength(1);
    failing = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(s.status()[0]?.state).toBe('running');
    expect(lines).toContain('schedule rule-diagnose (dts-local-diagnose) is running again');
    await s.stop();
  });

  it('reports a schedule whose runs hang as not running', async () => {
    const s = new Scheduler([PLANS[0] as SchedulePlan], { tickSeconds: 10 }, { invoke: () => new Promise(() => undefined), log, region: 'us-east-1' });
    s.start();
    await vi.advanceTimersByTimeAsync(31_000);
    expect(s.status()[0]?.state).toBe('not-running');
    expect(lines.some((l) => /NOT RUNNING.*its runs have not finished/.test(l))).toBe(true);
    void s.stop();
  });
});
