import { runReport } from '../../app/report';
import { renderHtml, renderMarkdown } from '../../domain/report/render';
import { reportDeps, reportStore } from '../../compose';
import type { Context } from '../context';
import { notFound, usage } from '../errors';
import { stderrLog } from '../log';

export interface ReportOptions {
  now?: boolean;
  format: string;
  hours?: number;
  publish?: boolean;
  json?: boolean;
  detail?: boolean;
}

/**
 * `dts report` prints the latest stored report; `--now` makes one for the hours up to now
 * (stored and published, as the scheduled function does). `--format md|html|json`. The report
 * holds the fleet's figures and the worst rows; `--detail` prints every row of it, one JSON
 * object a line, with its `section` (hosts, incidents, apps).
 */
export async function reportCommand(ctx: Context, o: ReportOptions): Promise<number> {
  const format = o.json ? 'json' : o.format;
  if (!['md', 'html', 'json'].includes(format)) throw usage(`--format must be md, html or json, got ${JSON.stringify(o.format)}`);
  const settings = ctx.config.lifecycle;
  const root = await ctx.root(['hostsTable', 'reportsTable', ...(o.now ? ['notificationsTable', 'statsTable', 'alertsTopicArn'] as const : [])], { log: stderrLog(ctx) });
  if (o.now) {
    const run = await runReport(reportDeps(root), Date.now(), o.hours ?? settings.reportHours, o.publish !== false);
    if (o.detail) {
      for (const section of ['hosts', 'incidents', 'apps', 'checks'] as const) for (const row of run.detail[section] ?? []) ctx.io.out(JSON.stringify({ section, ...row }) + '\n');
    } else ctx.io.out(format === 'json' ? JSON.stringify(run.report, null, 2) + '\n' : format === 'html' ? run.html : run.markdown + '\n');
    return 0;
  }

  const store = reportStore(root);
  const [latest] = await store.latest(1);
  if (!latest) throw notFound('no report yet: the first runs at the scheduled time (default 08:00 UTC), or make one with `dts report --now`');
  if (o.detail) {
    for await (const part of store.detail(latest.report.id, latest.parts)) {
      for (const row of part.rows) ctx.io.out(JSON.stringify({ section: part.section, ...row }) + '\n');
    }
    return 0;
  }
  if (format === 'json') ctx.io.out(JSON.stringify(latest.report, null, 2) + '\n');
  else if (format === 'html') ctx.io.out(latest.html ?? renderHtml(latest.report));
  else ctx.io.out((latest.markdown ?? renderMarkdown(latest.report)) + '\n');
  return 0;
}
