import type { Context, ScheduledEvent } from 'aws-lambda';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { runDiagnosePass, type DiagnoseSummary, type DiagnoseDeps } from '../lib/app/diagnose/pass';
import { runFannedPass, workersFor } from '../lib/app/diagnose/fanout';
import { lambdaWorkers } from '../lib/adapters/lambda/workers';
import { watchDeadlines, type WatchSummary } from '../lib/app/diagnose/watch';
import { passMetrics } from '../lib/app/diagnose/metrics';
import { diagnosis } from '../lib/compose/diagnose';
import { clients, config, lifecycle } from './commons/deps';
import { publishMetrics } from './commons/metrics';
import { logger } from './commons/powertools';

let deps: DiagnoseDeps | undefined;
let lambda: LambdaClient | undefined;

/** Time kept back from the invocation's timeout, to finish the watch's last batch. */
const TIMEOUT_MARGIN_MS = 5000;

/**
 * Scheduled liveness pass, fanned out to worker invocations for a large fleet (docs/SEMANTICS.md,
 * "Diagnose fanned out"), then the deadline watch: until the next pass (DTS_WATCH_SECONDS),
 * it acts at each host's deadline (docs/SEMANTICS.md, "Detection at the deadline"). A host that
 * could not be judged fails the invocation, so it shows in the function's error metric; the
 * pass is idempotent, so EventBridge's retry, or two invocations overlapping, is harmless.
 * A notification not delivered yet does not fail it: the next pass retries it, and the
 * UnpublishedNotifications metrics (and their alarm) show it.
 */
export const handler = async (_event: ScheduledEvent, context: Context): Promise<DiagnoseSummary & { watch: WatchSummary }> => {
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
  const budgetEnd = started + context.getRemainingTimeInMillis() - TIMEOUT_MARGIN_MS;
  // A fleet too small for more than one worker is judged here, with no extra invocation.
  const workers = config.diagnose.workers > 1 ? workersFor(config.diagnose, await deps.stats.monitor()) : 1;
  const { summary, context: pass, upcoming } = workers > 1
    ? await runFannedPass(deps, lambdaWorkers(lambda ??= new LambdaClient({}), config.diagnose.workerFunction as string, workers))
    : await runDiagnosePass(deps);
  publishMetrics(passMetrics(summary, Date.now() - started));
  const watch = await watchDeadlines(deps, pass, upcoming, {
    passAt: summary.at, until: Math.min(summary.at + config.diagnose.watchMs, budgetEnd),
  });
  const errors = summary.errors + watch.errors;
  if (errors > 0) throw new Error(`diagnose could not judge ${errors} host(s); see the log`);
  return { ...summary, watch };
};
