import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { DiagnoseDeps } from '../lib/app/diagnose/pass';
import { runScheduledDiagnose } from '../lib/app/diagnose/scheduled';
import { diagnoseDeps, diagnoseWorkers } from '../lib/compose';
import { config, root } from './commons/deps';
import { publishMetrics } from './commons/metrics';
import { logger } from './commons/powertools';

let deps: DiagnoseDeps | undefined;
let lambda: LambdaClient | undefined;

/** Time kept back from the invocation's timeout, to finish the watch's last batch. */
const TIMEOUT_MARGIN_MS = 5000;

/**
 * Each minute: the liveness pass, then the deadline watch until the next (lib/app/diagnose/scheduled.ts).
 * Ingest also starts it for a new host with a short deadline (`source: dts.arrival`).
 */
export const handler = async (event: ScheduledEvent | { source: 'dts.arrival'; reason?: string }, context: Context) => {
  logger.addContext(context);
  if (event.source === 'dts.arrival') logger.debug('pass started by ingest', { reason: 'reason' in event ? event.reason : undefined });
  deps ??= diagnoseDeps(root(logger));
  return runScheduledDiagnose(deps, {
    fanout: config.diagnose,
    workers: (count) => diagnoseWorkers(config, lambda ??= new LambdaClient({}), count),
    budgetEnd: Date.now() + context.getRemainingTimeInMillis() - TIMEOUT_MARGIN_MS,
    publish: publishMetrics,
  });
};
