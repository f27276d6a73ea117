import type { Notification } from '../model';
import { buildReport, type FleetReport } from '../rules/report';
import type { AlertPublisher } from '../store/alerts';
import type { HostStore } from '../store/hosts';
import { daysBetween } from '../model/days';
import type { NotificationStore } from '../store/notifications';
import type { ReportStore } from '../store/reports';
import type { StatsStore } from '../store/stats';
import type { Log } from './log';
import { renderHtml, renderMarkdown, reportSubject } from './render-report';

export interface Reporting {
  readonly hosts: HostStore;
  readonly notifications: NotificationStore;
  readonly stats: StatsStore;
  readonly reports: ReportStore;
  readonly alerts: AlertPublisher;
  readonly scanSegments: number;
  readonly log: Log;
  readonly now: () => number;
}

export interface ReportRun {
  readonly report: FleetReport;
  readonly markdown: string;
  readonly html: string;
}

/** Most notifications a report reads; a fleet with more in a day has a bigger problem than this. */
const NOTIFICATION_LIMIT = 50_000;

/**
 * Build the report for the `hours` before `until`, store it and publish it. Reads: one parallel
 * scan of the hosts, one Query per UTC day of notifications (byDay) and of app counters (byDay
 * on stats). The id is the period's end, so running it twice for one period stores one report.
 */
export async function runReport(d: Reporting, until: number, hours: number, publish = true): Promise<ReportRun> {
  const since = until - hours * 3_600_000;
  const days = daysBetween(since, until - 1);
  const [hosts, notifications, counts] = await Promise.all([
    d.hosts.list(d.scanSegments),
    d.notifications.byTime(since, until, NOTIFICATION_LIMIT) as Promise<Notification[]>,
    Promise.all(days.map((day) => d.stats.countsOn(day))).then((all) => all.flat()),
  ]);
  const report = buildReport({
    since,
    until,
    generatedAt: d.now(),
    hosts,
    notifications,
    appCounts: counts.map((c) => ({ app: c.app, day: c.day, error: c.counts[40], critical: c.counts[50] })),
  });
  const markdown = renderMarkdown(report);
  const html = renderHtml(report);
  const { publishedAt } = await d.reports.put({ report, markdown, html });
  if (publish && publishedAt === undefined) {
    await d.alerts.publishReport(reportSubject(report), markdown, `report|${report.id}`);
    await d.reports.markPublished(report.id, d.now());
  }
  d.log.info('report written', { id: report.id, hosts: hosts.length, outages: report.outages.length, notifications: report.notifications.total });
  return { report, markdown, html };
}
