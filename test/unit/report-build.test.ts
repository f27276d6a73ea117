import { describe, expect, it } from 'vitest';
import type { Host, HostState, Notification } from '../../lib/model';
import { notification } from '../../lib/rules/notifications';
import { buildReport, reportId } from '../../lib/rules/report';

const H = 3_600_000;
const UNTIL = Date.UTC(2026, 10, 25, 8, 0, 0);
const SINCE = UNTIL - 24 * H;

function host(hostname: string, state: HostState, over: Partial<Host> = {}): Host {
  return {
    hostname, state, stateSince: SINCE - H, lastBeat: UNTIL - 60_000, sentAt: UNTIL, skewMs: 0, interval: 60, labels: {},
    levels: { cpu: 'ok', mem: 'ok', disk: 'ok' }, cpuStreak: 0, firstSeen: SINCE - 48 * H, ...over,
  };
}
const iso = (t: number) => new Date(t).toISOString();
const level = (h: string, at: number, resource: string, from: string, to: string): Notification =>
  notification(h, to === 'ok' ? 'resource-ok' : to === 'warning' ? 'resource-warning' : 'resource-critical', 'warning', at, '', { resource, from, to, percent: '90' }, resource);

describe('buildReport', () => {
  const hosts = [
    host('web-1', 'alive', { dailyPeaks: { '2026-11-24': { cpu: 97, mem: 60 }, '2026-11-25': { cpu: 88, disk: 81 }, '2026-11-20': { cpu: 100 } } }),
    host('web-2', 'dead', { stateSince: SINCE + 20 * H, outageStart: SINCE + 20 * H - 180_000 }),
    host('db-1', 'dead', { stateSince: SINCE - 5 * H, outageStart: SINCE - 5 * H - 180_000, levels: { cpu: 'ok', mem: 'ok', disk: 'critical' } }),
    host('old-1', 'retired'),
  ];
  const notifications: Notification[] = [
    notification('web-1', 'host-down', 'critical', SINCE + 2 * H, '', { lastBeat: iso(SINCE + 2 * H - 180_000) }),
    notification('web-1', 'host-recovered', 'info', SINCE + 3 * H, '', { outageStart: iso(SINCE + 2 * H - 180_000), downtimeSeconds: '3780' }),
    notification('web-2', 'host-down', 'critical', SINCE + 20 * H, '', { lastBeat: iso(SINCE + 20 * H - 180_000) }),
    { ...notification('web-1', 'host-flapping', 'warning', SINCE + 4 * H, ''), suppressed: 'silence:s1' },
    level('web-1', SINCE + 10 * H, 'cpu', 'ok', 'warning'),
    level('web-1', SINCE + 11 * H, 'cpu', 'warning', 'critical'),
    level('web-1', SINCE + 11.5 * H, 'cpu', 'critical', 'ok'),
    notification('web-1', 'host-up', 'info', SINCE - 1, ''),
  ];
  const r = buildReport({
    since: SINCE, until: UNTIL, generatedAt: UNTIL + 5_000, hosts, notifications,
    appCounts: [
      { app: 'api', day: '2026-11-24', error: 10, critical: 1 },
      { app: 'api', day: '2026-11-25', error: 5, critical: 0 },
      { app: 'worker', day: '2026-11-24', error: 2, critical: 3 },
      { app: 'quiet', day: '2026-11-24', error: 0, critical: 0 },
    ],
  });

  it('is identified by the end of its period, to the minute', () => {
    expect(r.id).toBe('2026-11-25T08:00Z');
    expect(reportId(UNTIL + 59_999)).toBe('2026-11-25T08:00Z');
  });

  it('lists hosts by state', () => {
    expect(r.hostsByState).toEqual({ alive: ['web-1'], new: [], dead: ['db-1', 'web-2'], left: [], retired: ['old-1'] });
  });

  it('lists every outage of the period with its duration: ended, begun and lasting, and begun before the period', () => {
    expect(r.outages).toEqual([
      { hostname: 'db-1', start: SINCE - 5 * H - 180_000, end: undefined, durationMs: 29 * H + 180_000 },
      { hostname: 'web-1', start: SINCE + 2 * H - 180_000, end: SINCE + 3 * H, durationMs: H + 180_000 },
      { hostname: 'web-2', start: SINCE + 20 * H - 180_000, end: undefined, durationMs: 4 * H + 180_000 },
    ]);
  });

  it('takes resource peaks from the days the period touches only', () => {
    expect(r.resources.find((h) => h.hostname === 'web-1')?.peaks).toEqual({ cpu: 97, mem: 60, disk: 81 });
  });

  it('adds up the time at warning and critical from the level changes, and the level held all period without one', () => {
    const web = r.resources.find((h) => h.hostname === 'web-1');
    expect(web?.timeAt.cpu).toEqual({ warning: H, critical: 0.5 * H });
    expect(r.resources.find((h) => h.hostname === 'db-1')?.timeAt.disk).toEqual({ warning: 0, critical: 24 * H });
    expect(r.hostsAtLevel).toEqual(['db-1', 'web-1']);
  });

  it('counts error and critical logs by app, top apps first, leaving out apps with none', () => {
    expect(r.logs).toMatchObject({ error: 17, critical: 4 });
    expect(r.logs.top.map((a) => [a.app, a.error, a.critical])).toEqual([['api', 15, 1], ['worker', 2, 3]]);
  });

  it('counts the period\'s notifications by kind, and those suppressed', () => {
    expect(r.notifications).toEqual({
      total: 7, suppressed: 1,
      byKind: { 'host-down': 2, 'host-recovered': 1, 'host-flapping': 1, 'resource-warning': 1, 'resource-critical': 1, 'resource-ok': 1 },
    });
  });
});
