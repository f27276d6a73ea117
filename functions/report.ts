import type { Context, ScheduledEvent } from 'aws-lambda';
import { runReport, type ReportDeps } from '../lib/app/report';
import { reportDeps } from '../lib/compose';
import { config, root } from './commons/deps';
import { logger } from './commons/powertools';

let deps: ReportDeps | undefined;

/**
 * Scheduled fleet report. The period ends at the event's scheduled time, not at the moment the
 * function runs, so EventBridge's retry of one schedule rewrites the same report.
 */
export const handler = async (event: ScheduledEvent, context: Context): Promise<{ id: string; incidents: number; parts: number }> => {
  logger.addContext(context);
  deps ??= reportDeps(root(logger));
  const scheduled = Date.parse(event.time);
  const until = Number.isFinite(scheduled) ? scheduled : Date.now();
  const { report, parts } = await runReport(deps, until, config.lifecycle.reportHours);
  return { id: report.id, incidents: report.incidents.total, parts };
};
