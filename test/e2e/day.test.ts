import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportRun } from '../../lib/app/report';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { drain, notificationsOf } from '../support/then';
import { DAY_END, DAY_START, playDay } from '../../tools/harness/day-script';
import { World } from '../../tools/harness/day-world';

/**
 * A scripted day through the whole alert lifecycle on the embedded cloud, a minute at a time on a
 * controlled clock, then the figures of the report it produces.
 */
let cloud: TestCloud;
let run: ReportRun;
let published: { kind: string; hostname: string; subject: string }[];
const MIN = 60_000;
const H = 60 * MIN;

beforeAll(async () => {
  cloud = await startTestCloud();
  const w = new World(cloud, DAY_START - MIN);
  run = await playDay(w);
  published = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => JSON.parse(m.Body as string)).map((p) => ({
    kind: p.MessageAttributes.kind.Value, hostname: p.MessageAttributes.hostname.Value, subject: p.Subject,
  }));
}, 300_000);
afterAll(async () => cloud?.stop());

describe('a scripted day', () => {
  it('the report covers the day and counts hosts by state', () => {
    expect(run.report).toMatchObject({ id: '2026-11-25T08:00Z', since: DAY_START, until: DAY_END });
    expect(run.report.hosts).toEqual({ total: 9, byState: { alive: 8, new: 0, dead: 0, left: 1, retired: 0 }, downNow: [], unreadable: 0 });
  });

  it('every outage with its duration, from its last beat to the first beat back; the storm as one incident', () => {
    const incidents = run.detail.incidents.map((i) => [i.kind, i.hostnames.join(' '), new Date(i.start).toISOString().slice(11, 16), i.durationMs / MIN, i.downtimeMs / MIN]);
    expect(incidents).toEqual([
      ['outage', 'web-4', '12:00', 41, 41],
      ['outage', 'batch-1', '13:10', 171, 171],
      ['storm', 'web-1 web-2 web-3', '18:00', 31, 93],
      ['outage', 'db-1', '20:00', 6, 6], ['outage', 'db-1', '20:07', 6, 6], ['outage', 'db-1', '20:14', 6, 6],
    ]);
    expect(run.report.incidents).toMatchObject({ total: 6, storms: 1, outages: 8, downtimeMs: 323 * MIN });
  });

  it('availability per host and for the fleet: a goodbye ends the time a host is expected up', () => {
    const of = (h: string) => run.detail.hosts.find((r) => r.hostname === h);
    expect(of('web-4')).toMatchObject({ availability: 97.15, expectedMs: 24 * H, downMs: 41 * MIN });
    expect(of('batch-1')).toMatchObject({ availability: 88.12, downMs: 171 * MIN });
    expect(of('edge-1')).toMatchObject({ availability: 100, downMs: 0 });
    expect(of('batch-2')).toMatchObject({ availability: 100, expectedMs: 14 * H + 1000 });
    expect(run.report.availability).toMatchObject({ downMs: 323 * MIN, expectedMs: 8 * 24 * H + 14 * H + 1000, belowTarget: 6 });
    expect(run.report.availability.fleet).toBe(Math.floor(((8 * 24 * H + 14 * H + 1000 - 323 * MIN) / (8 * 24 * H + 14 * H + 1000)) * 10_000) / 100);
  });

  it('resource peaks and the time spent at warning or critical', () => {
    const of = (h: string) => run.detail.hosts.find((r) => r.hostname === h);
    expect(of('web-2')?.peaks.cpu).toBe(97);
    expect(of('web-2')?.over).toEqual({ cpu: 'critical' });
    expect(of('web-2')?.timeAt).toEqual({ cpu: { warning: 0, critical: 20 * MIN } });
    expect(of('db-2')?.peaks.disk).toBe(85);
    expect(of('db-2')?.timeAt).toEqual({ disk: { warning: 4 * H, critical: 0 } });
    expect(run.report.resources.timeAt.map((t) => t.hostname)).toEqual(['db-2', 'web-2']);
    expect(run.report.resources.peaks.slice(0, 2).map((p) => p.hostname)).toEqual(['web-2', 'db-2']);
  });

  it('error and critical logs by app, top apps first', () => {
    expect(run.report.logs.top.map((a) => [a.app, a.error, a.critical])).toEqual([
      ['api', 12, 2], ['checkout', 5, 1], ['worker', 3, 0], ['web', 1, 0],
    ]);
    expect(run.report.logs).toMatchObject({ error: 21, critical: 3 });
  });

  it('notification counts by kind: one storm, one flapping start and end, one skew warning, one still-down', () => {
    expect(run.report.notifications.byKind).toEqual({
      'host-up': 9,
      'host-down': 8,
      'host-recovered': 8,
      'host-still-down': 1,
      'host-flapping': 1,
      'host-stable': 1,
      'host-left': 1,
      'fleet-storm': 1,
      'clock-skew': 1,
      'resource-critical': 1,
      'resource-warning': 1,
      'resource-ok': 2,
      'check-failed': 1,
      'check-late': 1,
      'check-ok': 2,
    });
    // Suppressed: batch-1's death (silenced), the storm's three deaths, db-1's last down and up (flapping).
    expect(run.report.notifications.suppressed).toBe(6);
  });

  it('published what a person needs and held back the rest', async () => {
    const kinds = (h: string) => published.filter((p) => p.hostname === h).map((p) => p.kind);
    expect(kinds('batch-1')).toEqual(['host-up', 'host-still-down', 'host-recovered']);
    expect(kinds('web-1')).toEqual(['host-up', 'host-recovered']);
    expect(kinds('@fleet')).toEqual(['fleet-storm', 'report']);
    expect(kinds('db-1')).toEqual(['host-up', 'host-down', 'host-recovered', 'host-down', 'host-recovered', 'host-flapping', 'host-stable']);
    expect(published.find((p) => p.kind === 'fleet-storm')?.subject).toBe(
      '[dts critical] 3 of 3 hosts with rack=r1 went down together; likely shared cause: rack=r1',
    );
    expect((await notificationsOf(cloud, 'edge-1')).map((n) => n.kind).sort()).toEqual(['clock-skew', 'host-up']);
  });

  it('counts each check\'s runs, failures and lates, with its p50 and p95 run time', () => {
    expect(run.report.checks).toMatchObject({ total: 2, lates: 1, failures: 1, runs: 23, failedRuns: 1, runDays: { from: '2026-11-24', to: '2026-11-25' } });
    const etl = run.detail.checks?.find((c) => c.name === 'etl');
    // 22 runs of 4 to 8 minutes (20:05 and 21:05 missed), the 15:05 one failed: each percentile within 4.5%.
    expect(etl).toMatchObject({ runs: 22, failedRuns: 1, timedRuns: 22, lates: 1, failures: 1 });
    expect(Math.abs((etl?.p50Ms as number) - 6 * MIN)).toBeLessThanOrEqual(0.045 * 6 * MIN);
    expect(Math.abs((etl?.p95Ms as number) - 8 * MIN)).toBeLessThanOrEqual(0.045 * 8 * MIN);
    expect(run.detail.checks?.find((c) => c.name === 'backup')).toMatchObject({ runs: 1, failedRuns: 0, lates: 0 });
    // The period's availability with the checks: host-time down and check-time in a problem over both.
    const a = run.report.availability;
    const k = run.report.checks;
    expect(a.withChecks).toBe(Math.floor(((a.expectedMs + (k?.expectedMs ?? 0) - a.downMs - (k?.problemMs ?? 0)) / (a.expectedMs + (k?.expectedMs ?? 0))) * 10_000) / 100);
    expect(run.markdown).toContain(`With the checks (below): ${a.withChecks}% of host- and check-time.`);
    expect(run.markdown).toContain('| etl | up | **22 (1 failed)** | **1** | **1** | 0 | **88.26%** | 6m | 7m 40s | – |');
  });

  it('renders the report as Markdown and HTML', () => {
    expect(run.markdown).toContain('| outage | batch-1 | 2026-11-24T13:10:00Z | 2026-11-24T16:01:00Z | 2h 51m | 2h 51m |');
    expect(run.markdown).toContain('| storm (rack=r1) | 3: web-1, web-2, web-3 | 2026-11-24T18:00:00Z | 2026-11-24T18:31:00Z | 31m | 1h 33m |');
    expect(run.html).toContain('<td>batch-1</td>');
    expect(run.html).toContain('<td class="bad">97%</td>');
  });
});
