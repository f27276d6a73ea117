import { runReport } from '../../service/report';
import { renderHtml, renderMarkdown } from '../../service/render-report';
import { AlertPublisher } from '../../store/alerts';
import { HostStore } from '../../store/hosts';
import { NotificationStore } from '../../store/notifications';
import { ReportStore } from '../../store/reports';
import { StatsStore } from '../../store/stats';
import type { Log } from '../../service/log';
import type { Context } from '../context';
import { notFound, usage } from '../errors';
import { lifecycleTable } from './lifecycle-tables';

export interface ReportOptions {
  now?: boolean;
  format: string;
  hours?: number;
  publish?: boolean;
  json?: boolean;
}

/**
 * `dts report` prints the latest stored report; `--now` makes one for the hours up to now
 * (stored and published, as the scheduled function does). `--format md|html|json`.
 */
export async function reportCommand(ctx: Context, o: ReportOptions): Promise<number> {
  const format = o.json ? 'json' : o.format;
  if (!['md', 'html', 'json'].includes(format)) throw usage(`--format must be md, html or json, got ${JSON.stringify(o.format)}`);
  const settings = ctx.config.lifecycle;
  const { backend, clients, table } = await lifecycleTable(ctx, 'reports', o.now ? ['notificationsTable', 'statsTable', 'alertsTopicArn'] : []);
  const reports = new ReportStore(clients.ddb, table, settings.reportTtlDays);

  if (o.now) {
    const log: Log = { debug() {}, info() {}, warn: (m) => ctx.io.err(`warning: ${m}\n`), error: (m) => ctx.io.err(`error: ${m}\n`) };
    const run = await runReport({
      hosts: new HostStore(clients.ddb, backend.require('hostsTable')),
      notifications: new NotificationStore(clients.ddb, backend.require('notificationsTable'), ctx.config.notifications.ttlDays),
      stats: new StatsStore(clients.ddb, backend.require('statsTable')),
      reports,
      alerts: new AlertPublisher(clients.sns, backend.require('alertsTopicArn')),
      scanSegments: ctx.config.diagnose.scanSegments,
      log,
      now: Date.now,
    }, Date.now(), o.hours ?? settings.reportHours, o.publish !== false);
    ctx.io.out(format === 'json' ? JSON.stringify(run.report, null, 2) + '\n' : format === 'html' ? run.html : run.markdown + '\n');
    return 0;
  }

  const [latest] = await reports.latest(1);
  if (!latest) throw notFound('no report yet: the first runs at the scheduled time (default 08:00 UTC), or make one with `dts report --now`');
  if (format === 'json') ctx.io.out(JSON.stringify(latest.report, null, 2) + '\n');
  else if (format === 'html') ctx.io.out(latest.html ?? renderHtml(latest.report));
  else ctx.io.out((latest.markdown ?? renderMarkdown(latest.report)) + '\n');
  return 0;
}
