import { describe, expect, it } from 'vitest';
import type { Host, HostState, Notification } from '../../lib/domain/model';
import { notification } from '../../lib/domain/notification/notifications';
import { buildReport, reportId } from '../../lib/domain/report/report';
import { renderHtml, renderMarkdown } from '../../lib/domain/report/render';

const H = 3_600_000;
const MIN = 60_000;
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
const down = (h: string, at: number, lastBeat: number, suppressed?: string): Notification =>
  ({ ...notification(h, 'host-down', 'critical', at, '', { lastBeat: iso(lastBeat) }), ...(suppressed ? { suppressed } : {}) });
const recovered = (h: string, at: number, outageStart: number): Notification =>
  notification(h, 'host-recovered', 'info', at, '', { outageStart: iso(outageStart) });

describe('buildReport', () => {
  const hosts = [
    host('web-1', 'alive', { dailyPeaks: { '2026-11-24': { cpu: 97, mem: 60 }, '2026-11-25': { cpu: 88, disk: 81 }, '2026-11-20': { cpu: 100 } } }),
    host('web-2', 'dead', { stateSince: SINCE + 20 * H, outageStart: SINCE + 20 * H - 180_000, levels: { cpu: 'ok', mem: 'ok', disk: 'warning' } }),
    host('db-1', 'dead', { stateSince: SINCE - 5 * H, outageStart: SINCE - 5 * H - 180_000, levels: { cpu: 'ok', mem: 'ok', disk: 'critical' } }),
    host('gone-1', 'left', { stateSince: SINCE + 6 * H, levels: { cpu: 'ok', mem: 'critical', disk: 'ok' } }),
    host('late-1', 'alive', { firstSeen: SINCE + 12 * H, stateSince: SINCE + 12 * H, dailyPeaks: { '2026-11-25': { disk: 85 } }, labels: { 'dts.disk.warning': '90', 'dts.disk.critical': '95' } }),
    host('old-1', 'retired'),
  ];
  const notifications: Notification[] = [
    down('web-1', SINCE + 2 * H, SINCE + 2 * H - 180_000),
    recovered('web-1', SINCE + 3 * H, SINCE + 2 * H - 180_000),
    down('web-2', SINCE + 20 * H, SINCE + 20 * H - 180_000),
    { ...notification('web-1', 'host-flapping', 'warning', SINCE + 4 * H, ''), suppressed: 'silence:s1' },
    level('web-1', SINCE + 10 * H, 'cpu', 'ok', 'warning'),
    level('web-1', SINCE + 11 * H, 'cpu', 'warning', 'critical'),
    level('web-1', SINCE + 11.5 * H, 'cpu', 'critical', 'ok'),
    notification('gone-1', 'host-left', 'info', SINCE + 6 * H, ''),
    notification('late-1', 'host-up', 'info', SINCE + 12 * H, ''),
    notification('web-1', 'host-up', 'info', SINCE - 1, ''),
  ];
  const { report: r, detail, problems } = buildReport({
    since: SINCE, until: UNTIL, generatedAt: UNTIL + 5_000, hosts, notifications,
    appCounts: [
      { app: 'api', day: '2026-11-24', error: 10, critical: 1 },
      { app: 'api', day: '2026-11-25', error: 5, critical: 0 },
      { app: 'worker', day: '2026-11-24', error: 2, critical: 3 },
      { app: 'quiet', day: '2026-11-24', error: 0, critical: 0 },
    ],
  });
  const row = (h: string) => detail.hosts.find((x) => x.hostname === h);

  it('is identified by the end of its period, to the minute', () => {
    expect(r.id).toBe('2026-11-25T08:00Z');
    expect(reportId(UNTIL + 59_999)).toBe('2026-11-25T08:00Z');
    expect(problems).toEqual([]);
  });

  it('counts hosts by state and names only those down now, longest down first', () => {
    expect(r.hosts).toEqual({
      total: 6, byState: { alive: 2, new: 0, dead: 2, left: 1, retired: 1 }, unreadable: 0,
      downNow: [{ hostname: 'db-1', since: SINCE - 5 * H - 180_000 }, { hostname: 'web-2', since: SINCE + 20 * H - 180_000 }],
    });
  });

  it('lists every outage of the period as an incident: ended, begun and lasting, and begun before the period', () => {
    expect(detail.incidents.map((i) => [i.kind, i.hostnames, i.start, i.end, i.durationMs, i.downtimeMs])).toEqual([
      ['outage', ['db-1'], SINCE - 5 * H - 180_000, undefined, 29 * H + 180_000, 29 * H + 180_000],
      ['outage', ['web-1'], SINCE + 2 * H - 180_000, SINCE + 3 * H, H + 180_000, H + 180_000],
      ['outage', ['web-2'], SINCE + 20 * H - 180_000, undefined, 4 * H + 180_000, 4 * H + 180_000],
    ]);
    expect(r.incidents).toMatchObject({ total: 3, storms: 0, outages: 3, downtimeMs: 34 * H + 540_000 });
  });

  it('availability: time up over time expected up, from first seen and until a goodbye or retirement', () => {
    expect(row('web-1')).toMatchObject({ availability: 95.62, expectedMs: 24 * H, downMs: 63 * MIN });
    expect(row('web-2')).toMatchObject({ availability: 83.12, downMs: 4 * H + 3 * MIN });
    expect(row('db-1')).toMatchObject({ availability: 0, downMs: 24 * H });
    expect(row('gone-1')).toMatchObject({ availability: 100, expectedMs: 6 * H, downMs: 0 });
    expect(row('late-1')).toMatchObject({ availability: 100, expectedMs: 12 * H });
    expect(row('old-1')).toMatchObject({ availability: undefined, expectedMs: 0 });
    const expected = (24 + 24 + 24 + 6 + 12) * H;
    const downMs = (63 + 243 + 24 * 60) * MIN;
    expect(r.availability).toMatchObject({ expectedMs: expected, downMs, belowTarget: 3, target: 99.9 });
    expect(r.availability.fleet).toBe(Math.floor(((expected - downMs) / expected) * 10_000) / 100);
    expect(r.availability.worst.map((w) => w.hostname)).toEqual(['db-1', 'web-2', 'web-1']);
  });

  it('takes resource peaks from the days the period touches only, and marks those past the host\'s thresholds', () => {
    expect(row('web-1')?.peaks).toEqual({ cpu: 97, mem: 60, disk: 81 });
    expect(row('web-1')?.over).toEqual({ cpu: 'critical', disk: 'warning' });
    // 85% is past the default 80, not past this host's own 90.
    expect(row('late-1')?.over).toEqual({});
    expect(r.resources.peakedOver).toBe(1);
    expect(r.resources.peaks.map((p) => p.hostname)).toEqual(['web-1', 'late-1']);
  });

  it('adds up time at warning and critical while the host is up: it stops when the host dies or leaves', () => {
    expect(row('web-1')?.timeAt).toEqual({ cpu: { warning: H, critical: 0.5 * H } });
    // Dead all period: its last disk level does not count.
    expect(row('db-1')?.timeAt).toEqual({});
    // Warning until its outage began, not to the end of the period.
    expect(row('web-2')?.timeAt).toEqual({ disk: { warning: 20 * H - 3 * MIN, critical: 0 } });
    // Critical until its goodbye.
    expect(row('gone-1')?.timeAt).toEqual({ mem: { warning: 0, critical: 6 * H } });
    expect(r.resources.atLevel).toBe(3);
    expect(r.resources.timeAt.map((t) => t.hostname)).toEqual(['web-2', 'gone-1', 'web-1']);
  });

  it('counts error and critical logs by app, top apps first, leaving out apps with none', () => {
    expect(r.logs).toMatchObject({ error: 17, critical: 4, apps: 3 });
    expect(r.logs.top.map((a) => [a.app, a.error, a.critical])).toEqual([['api', 15, 1], ['worker', 2, 3]]);
    expect(detail.apps.map((a) => a.app)).toEqual(['api', 'worker', 'quiet']);
  });

  it('counts the period\'s notifications by kind, and those suppressed', () => {
    expect(r.notifications).toEqual({
      total: 9, suppressed: 1,
      byKind: { 'host-down': 2, 'host-recovered': 1, 'host-flapping': 1, 'resource-warning': 1, 'resource-critical': 1, 'resource-ok': 1, 'host-left': 1, 'host-up': 1 },
    });
  });
});

describe('buildReport: storms', () => {
  const rack = (i: number) => host(`s-${i}`, i < 3 ? 'alive' : 'dead', { labels: { rack: 'r9' }, ...(i < 3 ? {} : { outageStart: SINCE + 5 * H - 180_000, stateSince: SINCE + 5 * H }) });
  const hosts = [1, 2, 3, 4, 5].map((i) => rack(i - 1)).concat(host('solo', 'alive'));
  const notifications: Notification[] = [
    notification('@fleet', 'fleet-storm', 'critical', SINCE + 5 * H, '', { scope: 'rack=r9', count: '5' }, 'rack=r9'),
    ...[0, 1, 2, 3, 4].map((i) => down(`s-${i}`, SINCE + 5 * H + i * 1000, SINCE + 5 * H - 180_000, 'storm:rack=r9')),
    ...[0, 1, 2].map((i) => recovered(`s-${i}`, SINCE + 6 * H + i * MIN, SINCE + 5 * H - 180_000)),
    down('solo', SINCE + 7 * H, SINCE + 7 * H - 180_000),
    recovered('solo', SINCE + 8 * H, SINCE + 7 * H - 180_000),
  ];
  const { report: r, detail } = buildReport({ since: SINCE, until: UNTIL, generatedAt: UNTIL, hosts, notifications, appCounts: [] });

  it('shows a storm as one incident with its hosts, its wall-clock length and its host downtime', () => {
    expect(detail.incidents).toHaveLength(2);
    const storm = detail.incidents[0];
    expect(storm).toEqual({
      kind: 'storm', scope: 'rack=r9', hosts: 5, hostnames: ['s-0', 's-1', 's-2', 's-3', 's-4'],
      start: SINCE + 5 * H - 180_000, end: undefined, durationMs: 19 * H + 180_000,
      downtimeMs: 3 * (H + 180_000) + 3 * MIN + 2 * (19 * H + 180_000),
    });
    expect(detail.incidents[1]).toMatchObject({ kind: 'outage', hostnames: ['solo'], durationMs: H + 180_000 });
    expect(r.incidents).toMatchObject({ total: 2, storms: 1, outages: 6 });
  });

  it('keeps the summary bounded: at most `top` rows per section and `top` names per storm', () => {
    const many = Array.from({ length: 300 }, (_, i) => host(`h-${String(i).padStart(3, '0')}`, i % 3 === 0 ? 'dead' : 'alive', {
      outageStart: SINCE + H, stateSince: SINCE + H, dailyPeaks: { '2026-11-25': { cpu: i % 101 } }, levels: { cpu: 'warning', mem: 'ok', disk: 'ok' },
    }));
    const storm = many.filter((_, i) => i % 3 === 0).map((h) => down(h.hostname, SINCE + H + 1, SINCE + H, 'storm:fleet'));
    const apps = Array.from({ length: 50 }, (_, i) => ({ app: `app-${i}`, day: '2026-11-25', error: i + 1, critical: 0 }));
    const b = buildReport({
      since: SINCE, until: UNTIL, generatedAt: UNTIL, hosts: many, appCounts: apps, top: 5,
      notifications: [notification('@fleet', 'fleet-storm', 'critical', SINCE + H + 1, '', { scope: 'fleet' }, 'fleet'), ...storm],
    });
    const r5 = b.report;
    expect(r5.hosts.downNow).toHaveLength(5);
    expect(r5.availability.worst).toHaveLength(5);
    expect(r5.resources.timeAt).toHaveLength(5);
    expect(r5.resources.peaks.map((p) => p.peaks.cpu)).toEqual([100, 100, 99, 99, 98]);
    expect(r5.logs.top.map((a) => a.app)).toEqual(['app-49', 'app-48', 'app-47', 'app-46', 'app-45']);
    expect(r5.incidents.top).toHaveLength(1);
    expect(r5.incidents.top[0]).toMatchObject({ kind: 'storm', hosts: 100 });
    expect(r5.incidents.top[0]?.hostnames).toHaveLength(5);
    expect(b.detail.incidents[0]?.hostnames).toHaveLength(100);
    expect(b.detail.hosts).toHaveLength(300);
    expect(r5.detail).toEqual({ hosts: 300, incidents: 1, apps: 50 });
  });
});

describe('buildReport: a stored item it cannot read', () => {
  it('leaves the item out, counts it and names it, and reports on the rest', () => {
    const bad = { ...host('bad', 'alive'), state: 'zombie' } as unknown as Host;
    const odd = { ...host('odd\uD800', 'alive'), levels: undefined, labels: undefined, dailyPeaks: { '2026-11-25': null } } as unknown as Host;
    const { report, detail, problems } = buildReport({
      since: SINCE, until: UNTIL, generatedAt: UNTIL, hosts: [host('ok-1', 'alive'), bad, odd], appCounts: [],
      notifications: [{ ...level('odd\uD800', SINCE + H, 'cpu', 'ok', 'warning'), details: undefined } as unknown as Notification],
    });
    expect(report.hosts).toMatchObject({ total: 2, unreadable: 1 });
    expect(problems).toEqual(['host "bad": unknown state "zombie"']);
    expect(detail.hosts.map((h) => h.hostname)).toEqual(['odd\uD800', 'ok-1']);
  });
});

describe('a report never shows 100% while anything was down (issue 24, item 9)', () => {
  // 500 hosts up all day, one of them down for 1m 24s: 84 s in 500 days of host-time, which
  // rounds to 100.00% and must be shown as 99.99%.
  const hosts = Array.from({ length: 500 }, (_, i) => host(`web-${i}`, 'alive'));
  const outageStart = SINCE + 2 * H - 60_000;
  const notifications = [down('web-0', SINCE + 2 * H, outageStart), recovered('web-0', outageStart + 84_000, outageStart)];
  const { report: r, detail } = buildReport({ since: SINCE, until: UNTIL, generatedAt: UNTIL, hosts, notifications, appCounts: [] });

  it('in its figures: the fleet and the host below 100, the others at 100', () => {
    expect(r.availability.downMs).toBe(84_000);
    expect(r.availability.fleet).toBe(99.99);
    expect(detail.hosts.find((h) => h.hostname === 'web-0')?.availability).toBeLessThan(100);
    expect(detail.hosts.find((h) => h.hostname === 'web-1')?.availability).toBe(100);
  });

  it('in Markdown, HTML and JSON', () => {
    const markdown = renderMarkdown(r);
    expect(markdown).toMatch(/Fleet: 99\.99% of the time hosts were expected up/);
    expect(markdown).not.toMatch(/\b100%/);
    expect(renderHtml(r)).not.toMatch(/\b100%/);
    expect(JSON.stringify(r)).not.toMatch(/"fleet":100\b/);
  });
});
