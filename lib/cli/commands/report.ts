import { runReport } from '../../service/report';
import { renderHtml, renderMarkdown } from '../../service/render-report';
import { reporting } from '../../service/reporting';
import { ReportStore } from '../../store/reports';
import type { Context } from '../context';
import { notFound, usage } from '../errors';
import { stderrLog } from '../log';
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
  if (o.now) {
    const run = await runReport(reporting(clients, {
      hostsTable: backend.require('hostsTable'),
      notificationsTable: backend.require('notificationsTable'),
      statsTable: backend.require('statsTable'),
      reportsTable: table,
      alertsTopicArn: backend.require('alertsTopicArn'),
    }, ctx.config, stderrLog(ctx)), Date.now(), o.hours ?? settings.reportHours, o.publish !== false);
    ctx.io.out(format === 'json' ? JSON.stringify(run.report, null, 2) + '\n' : format === 'html' ? run.html : run.markdown + '\n');
    return 0;
  }

  const [latest] = await new ReportStore(clients.ddb, table, settings.reportTtlDays).latest(1);
  if (!latest) throw notFound('no report yet: the first runs at the scheduled time (default 08:00 UTC), or make one with `dts report --now`');
  if (format === 'json') ctx.io.out(JSON.stringify(latest.report, null, 2) + '\n');
  else if (format === 'html') ctx.io.out(latest.html ?? renderHtml(latest.report));
  else ctx.io.out((latest.markdown ?? renderMarkdown(latest.report)) + '\n');
  return 0;
}
