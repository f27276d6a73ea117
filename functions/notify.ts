import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { notifyMessage } from '../lib/app/notify';
import { notifierDeps } from '../lib/compose';
import { loadNotifyConfig } from '../lib/config/notify';
import { root } from './commons/deps';
import { publishIfAny } from './commons/metrics';
import { logFailures, logger } from './commons/powertools';

const processor = new BatchProcessor(EventType.SQS);
const metrics = new Metrics({ namespace: 'dts', serviceName: 'notifier' });
const settings = loadNotifyConfig();
let deps: ReturnType<typeof notifierDeps> | undefined;

/** Alerts topic → notifier queue → every matching channel (lib/app/notify.ts, notifyMessage). */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  const d = deps ??= notifierDeps(root(logger), settings, new SSMClient({ maxAttempts: 5 }), (metric) => metrics.addMetric(metric, MetricUnit.Count, 1));
  try {
    return await processPartialResponse(event, logFailures((record: SQSRecord) => notifyMessage(d.notifier, d.quarantine, record)), processor, { context });
  } finally {
    publishIfAny(metrics);
  }
};
