import type { Context, ScheduledEvent } from 'aws-lambda';
import { runDiagnose, type DiagnoseSummary, type Diagnosis } from '../lib/service/diagnose';
import { diagnosis } from '../lib/service/diagnosis';
import { clients, config, lifecycle } from './commons/deps';
import { logger } from './commons/powertools';

let deps: Diagnosis | undefined;

/**
 * Scheduled liveness pass. A host that could not be judged fails the invocation, so it shows
 * in the function's error metric; the pass is idempotent, so EventBridge's retry is harmless.
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
  const summary = await runDiagnose(deps);
  if (summary.errors > 0) throw new Error(`diagnose could not judge ${summary.errors} host(s); see the log`);
  return summary;
};
