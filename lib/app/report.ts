import type { Metric } from '../domain/model';
import { daysBetween } from '../domain/model/days';
import { buildReport, type FleetReport, type ReportDetail } from '../domain/report/report';
import type { Thresholds } from '../domain/host/metrics';
import type { AlertPublisherPort, ChecksPort, CountsPort, HostsPort, NotificationsPort, ReportsPort } from '../ports';
import type { Log } from './log';
import { renderHtml, renderMarkdown, reportSubject } from '../domain/report/render';

/**
 * What a report reads and writes: small ports, so the factory can be fed a fleet of any size in
 * memory (the scale test) as well as by the DynamoDB stores.
 */
export interface ReportDeps {
  readonly hosts: Pick<HostsPort, 'list'>;
  readonly notifications: Pick<NotificationsPort, 'byTime'>;
  readonly stats: Pick<CountsPort, 'countsOn'>;
  readonly reports: Pick<ReportsPort, 'put' | 'markPublished' | 'detailLocation'>;
  readonly alerts: Pick<AlertPublisherPort, 'publishReport'>;
  /** The checks, when the deployment has a checks table: the report's checks section. */
  readonly checks?: Pick<ChecksPort, 'list'>;
  readonly scanSegments: number;
  readonly thresholds?: Readonly<Record<Metric, Thresholds>>;
  readonly log: Log;
  readonly now: () => number;
}

export interface ReportRun {
  readonly report: FleetReport;
  readonly detail: ReportDetail;
  readonly markdown: string;
  readonly html: string;
  /** Items the detail was stored in. */
  readonly parts: number;
}

/** Most notifications a report reads; past it, the report says its figures are partial (in the log). */
const NOTIFICATION_LIMIT = 250_000;

/**
 * Build the report for the `hours` before `until`, store it and publish it. Reads: one parallel
 * scan of the hosts, one Query per UTC day of notifications (byDay) and of app counters (byDay
 * on stats). The id is the period's end, so running it twice for one period stores one report.
 */
export async function runReport(d: ReportDeps, until: number, hours: number, publish = true): Promise<ReportRun> {
  const since = until - hours * 3_600_000;
  const days = daysBetween(since, until - 1);
  const [hosts, notifications, counts, checks] = await Promise.all([
    d.hosts.list(d.scanSegments),
    d.notifications.byTime(since, until, NOTIFICATION_LIMIT),
    Promise.all(days.map((day) => d.stats.countsOn(day))).then((all) => all.flat()),
    d.checks?.list(),
  ]);
  if (notifications.length >= NOTIFICATION_LIMIT) {
    d.log.warn('report read the most notifications it reads; outages and time at a level may be incomplete', { limit: NOTIFICATION_LIMIT });
  }
  const built = buildReport({
    since,
    until,
    generatedAt: d.now(),
    hosts,
    notifications,
    appCounts: counts.map((c) => ({ app: c.app, day: c.day, error: c.counts[40], critical: c.counts[50] })),
    ...(d.thresholds ? { thresholds: d.thresholds } : {}),
    ...(checks ? { checks } : {}),
  });
  for (const problem of built.problems) d.log.warn('report left out an item it could not read', { problem });
  const report: FleetReport = { ...built.report, detail: { ...built.report.detail, location: d.reports.detailLocation(built.report.id) } };
  const markdown = renderMarkdown(report);
  const html = renderHtml(report);
  const { publishedAt, parts } = await d.reports.put({ report, markdown, html, detail: built.detail });
  if (publish && publishedAt === undefined) {
    await d.alerts.publishReport(reportSubject(report), markdown, `report|${report.id}`);
    await d.reports.markPublished(report.id, d.now());
  }
  d.log.info('report written', {
    id: report.id, hosts: hosts.length, incidents: report.incidents.total, notifications: report.notifications.total, parts, unreadable: report.hosts.unreadable,
  });
  return { report, detail: built.detail, markdown, html, parts };
}
