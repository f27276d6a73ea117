import type { Context, ScheduledEvent } from 'aws-lambda';
import { runReport, type Reporting } from '../lib/service/report';
import { HostStore } from '../lib/store/hosts';
import { ReportStore } from '../lib/store/reports';
import { StatsStore } from '../lib/store/stats';
import { clients, config, delivery, lifecycle } from './commons/deps';
import { logger } from './commons/powertools';
import { ConfigError } from '../lib/config';

let deps: Reporting | undefined;
function reporting(): Reporting {
  const c = clients();
  const d = delivery(c);
  if (!lifecycle.reportsTable) throw new ConfigError('DTS_REPORTS_TABLE', 'is required but not set');
  deps ??= {
    hosts: new HostStore(c.ddb, config.resources.hostsTable),
    notifications: d.notifications,
    stats: new StatsStore(c.ddb, config.resources.statsTable),
    reports: new ReportStore(c.ddb, lifecycle.reportsTable, lifecycle.reportTtlDays),
    alerts: d.alerts,
    scanSegments: config.diagnose.scanSegments,
    log: logger,
    now: Date.now,
  };
  return deps;
}

/**
 * Scheduled fleet report. The period ends at the event's scheduled time, not at the moment the
 * function runs, so EventBridge's retry of one schedule rewrites the same report.
 */
export const handler = async (event: ScheduledEvent, context: Context): Promise<{ id: string; outages: number }> => {
  logger.addContext(context);
  const scheduled = Date.parse(event.time);
  const until = Number.isFinite(scheduled) ? scheduled : Date.now();
  const { report } = await runReport(reporting(), until, lifecycle.reportHours);
  return { id: report.id, outages: report.outages.length };
};
