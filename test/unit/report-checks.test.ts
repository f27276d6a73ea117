import { describe, expect, it } from 'vitest';
import type { Check } from '../../lib/domain/check/check';
import { bucketMs, durationBucket } from '../../lib/domain/check/runs';
import type { Notification } from '../../lib/domain/model';
import { notification } from '../../lib/domain/notification/notifications';
import { buildReport } from '../../lib/domain/report/report';
import { renderHtml, renderMarkdown } from '../../lib/domain/report/render';

const H = 3_600_000;
const UNTIL = Date.UTC(2026, 10, 25, 8, 0, 0);
const SINCE = UNTIL - 24 * H;

function check(name: string, over: Partial<Check> = {}): Check {
  return {
    name, keyHash: `h-${name}`, schedule: { everyMs: H }, graceMs: 10 * 60_000, labels: {}, createdAt: SINCE - 48 * H,
    paused: false, state: 'up', stateSince: SINCE - H, pings: 10, ...over,
  };
}
const on = (name: string, kind: 'check-late' | 'check-failed' | 'check-long' | 'check-ok', at: number): Notification =>
  notification(`check:${name}`, kind, kind === 'check-ok' ? 'info' : 'critical', at, '', { check: name });

describe('the report\'s checks section', () => {
  const checks = [
    // Late for 2 h, then failed for 1 h, and ok since.
    // Its runs: 19 of 20 min and two of 4 h, on the two UTC days the period touches; the day before is not read.
    check('backup', { lastStart: UNTIL - 2 * H, lastEnd: UNTIL - 2 * H + 20 * 60_000, lastExit: 0, runDays: {
      '2026-11-23': { runs: 9, failures: 9, durations: { [durationBucket(H)]: 9 } },
      '2026-11-24': { runs: 16, failures: 1, durations: { [durationBucket(20 * 60_000)]: 14, [durationBucket(4 * H)]: 2 } },
      '2026-11-25': { runs: 5, failures: 0, durations: { [durationBucket(20 * 60_000)]: 5 } },
    } }),
    // Failed 3 h before the end of the period and failed still.
    check('etl', { state: 'failed', stateSince: UNTIL - 3 * H, problemSince: UNTIL - 3 * H, lastExit: 3 }),
    check('quiet'),
    check('held', { paused: true }),
  ];
  const notifications = [
    on('backup', 'check-late', SINCE + 2 * H),
    on('backup', 'check-ok', SINCE + 4 * H),
    on('backup', 'check-failed', SINCE + 10 * H),
    on('backup', 'check-ok', SINCE + 11 * H),
    on('etl', 'check-failed', UNTIL - 3 * H),
    // A host's notification is not a check's.
    notification('backup', 'host-down', 'critical', SINCE + H, ''),
  ];
  const built = buildReport({ since: SINCE, until: UNTIL, generatedAt: UNTIL, hosts: [], notifications, appCounts: [], checks });
  const k = built.report.checks;

  it('counts each check\'s lates and failures in the period, and its time in a problem', () => {
    expect(built.detail.checks).toEqual([
      expect.objectContaining({
        name: 'backup', state: 'up', lates: 1, failures: 1, longs: 0, problemMs: 3 * H, expectedMs: 24 * H, lastDurationMs: 20 * 60_000, lastExit: 0,
        runs: 21, failedRuns: 1, timedRuns: 21, p50Ms: bucketMs(durationBucket(20 * 60_000)), p95Ms: bucketMs(durationBucket(4 * H)),
      }),
      expect.objectContaining({ name: 'etl', state: 'failed', lates: 0, failures: 1, problemMs: 3 * H, lastExit: 3, runs: 0, p50Ms: undefined }),
      expect.objectContaining({ name: 'held', state: 'paused', availability: undefined, expectedMs: 0 }),
      expect.objectContaining({ name: 'quiet', state: 'up', lates: 0, failures: 0, problemMs: 0, availability: 100 }),
    ]);
    expect(built.detail.checks?.[0]?.availability).toBe(87.5);
  });

  it('sums them for the period: counts by state, and the checks\' availability over their expected time', () => {
    expect(k).toMatchObject({
      total: 4, byState: { up: 2, failed: 1, paused: 1 }, lates: 1, failures: 2, longs: 0, expectedMs: 72 * H, problemMs: 6 * H,
      runs: 21, failedRuns: 1, runDays: { from: '2026-11-24', to: '2026-11-25' },
    });
    expect(k?.availability).toBe(91.66);
    // With no host expected, the period's availability with the checks is the checks' own.
    expect(built.report.availability.withChecks).toBe(91.66);
    expect(k?.worst.map((r) => r.name)).toEqual(['backup', 'etl', 'held', 'quiet']);
    const top = buildReport({ since: SINCE, until: UNTIL, generatedAt: UNTIL, hosts: [], notifications, appCounts: [], checks, top: 2 });
    expect(top.report.checks?.worst.map((r) => r.name)).toEqual(['backup', 'etl']);
  });

  it('counts a problem that began before the period from the period\'s start', () => {
    const r = buildReport({ since: SINCE, until: UNTIL, generatedAt: UNTIL, hosts: [], appCounts: [],
      notifications: [on('nightly', 'check-ok', SINCE + H)], checks: [check('nightly')] });
    expect(r.detail.checks?.[0]).toMatchObject({ problemMs: H, lates: 0 });
  });

  it('renders a Checks section in Markdown and HTML, and none without checks', () => {
    const md = renderMarkdown(built.report);
    expect(md).toContain('## Checks');
    expect(md).toMatch(/4 check\(s\): 1 failed, 1 paused, 2 up\. 1 late, 2 failed and 0 running too long in the period\. Checks: 91\.66%/);
    expect(md).toContain('21 run(s), 1 of them failed, on the UTC days the period touches (2026-11-24 to 2026-11-25)');
    expect(md).toContain('| backup | up | **21 (1 failed)** | **1** | **1** | 0 | **87.5%** | 20m | 4h 10m | 0 |');
    expect(md).toContain('| etl | **failed** | 0 | 0 | **1** | 0 | **87.5%** | – | – | 3 |');
    expect(renderHtml(built.report)).toContain('<h2>Checks</h2>');
    const none = buildReport({ since: SINCE, until: UNTIL, generatedAt: UNTIL, hosts: [], notifications: [], appCounts: [] });
    expect(none.report.checks).toBeUndefined();
    expect(none.report.availability.withChecks).toBeUndefined();
    expect(renderMarkdown(none.report)).not.toContain('## Checks');
  });
});
