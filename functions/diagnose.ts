import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { runDiagnose, type DiagnoseSummary, type Diagnosis } from '../lib/service/diagnose';
import { HostStore } from '../lib/store/hosts';
import { StatsStore } from '../lib/store/stats';
import { clients, config, delivery, lifecycle, silenceStore } from './commons/deps';
import { logger } from './commons/powertools';

let deps: Diagnosis | undefined;
function diagnosis(): Diagnosis {
  const c = clients();
  deps ??= {
    hosts: new HostStore(c.ddb, config.resources.hostsTable),
    stats: new StatsStore(c.ddb, config.resources.statsTable),
    delivery: delivery(c),
    backlog: async () => {
      const out = await c.sqs.send(new GetQueueAttributesCommand({
        QueueUrl: config.resources.heartbeatsQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }));
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
    },
    rule: config.liveness,
    scanSegments: config.diagnose.scanSegments,
    backlogThreshold: config.diagnose.backlogThreshold,
    log: logger,
    silences: silenceStore(c),
    flap: lifecycle.flap,
    storm: lifecycle.storm,
  };
  return deps;
}

/**
 * Scheduled liveness pass. A host that could not be judged fails the invocation, so it shows
 * in the function's error metric; the pass is idempotent, so EventBridge's retry is harmless.
 */
export const handler = async (_event: ScheduledEvent, context: Context): Promise<DiagnoseSummary> => {
  logger.addContext(context);
  const summary = await runDiagnose(diagnosis());
  if (summary.errors > 0) throw new Error(`diagnose could not judge ${summary.errors} host(s); see the log`);
  return summary;
};
