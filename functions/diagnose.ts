import type { Context, ScheduledEvent } from 'aws-lambda';
import { runDiagnose, type DiagnoseSummary, type Diagnosis } from '../lib/service/diagnose';
import { passMetrics } from '../lib/service/diagnose-metrics';
import { diagnosis } from '../lib/service/diagnosis';
import { clients, config, lifecycle } from './commons/deps';
import { publishMetrics } from './commons/metrics';
import { logger } from './commons/powertools';

let deps: Diagnosis | undefined;

/**
 * Scheduled liveness pass. A host that could not be judged fails the invocation, so it shows
 * in the function's error metric; the pass is idempotent, so EventBridge's retry is harmless.
 * A notification not delivered yet does not fail it: the next pass retries it, and the
 * UnpublishedNotifications metrics (and their alarm) show it.
 */
export const handler = async (_event: ScheduledEvent, context: Context): Promise<DiagnoseSummary> => {
  logger.addContext(context);
  deps ??= diagnosis(clients(), {
    hostsTable: config.resources.hostsTable,
    statsTable: config.resources.statsTable,
    notificationsTable: config.resources.notificationsTable,
    alertsTopicArn: config.resources.alertsTopicArn,
    heartbeatsQueueUrl: config.resources.heartbeatsQueueUrl,
    silencesTable: lifecycle.silencesTable,
  }, config, logger);
  const started = Date.now();
  const summary = await runDiagnose(deps);
  publishMetrics(passMetrics(summary, Date.now() - started));
  if (summary.errors > 0) throw new Error(`diagnose could not judge ${summary.errors} host(s); see the log`);
  return summary;
};
