import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sendWithRetry } from '../lib/channels/http';
import { SsmSecretStore } from '../lib/channels/secrets';
import { loadNotifyConfig } from '../lib/config/notify';
import { notify, publishedIn, UndeliverableMessage, type Notifier } from '../lib/service/notify';
import { ChannelStore } from '../lib/store/channels';
import { NotificationStore } from '../lib/store/notifications';
import { Quarantine } from '../lib/store/quarantine';
import { clients } from './commons/deps';
import { publishIfAny } from './commons/metrics';
import { logFailures, logger } from './commons/powertools';

const processor = new BatchProcessor(EventType.SQS);
const metrics = new Metrics({ namespace: 'dts', serviceName: 'notifier' });
const config = loadNotifyConfig();

let deps: { notifier: Notifier; quarantine: Quarantine | undefined } | undefined;
function notifier(): NonNullable<typeof deps> {
  if (deps) return deps;
  const c = clients();
  const dlq = process.env.DTS_NOTIFY_DLQ_URL;
  deps = {
    notifier: {
      channels: new ChannelStore(c.ddb, config.channelsTable, config.deliveryTtlDays),
      secrets: new SsmSecretStore(new SSMClient({ maxAttempts: 5 })),
      notifications: new NotificationStore(c.ddb, config.notificationsTable, 0),
      send: (req) => sendWithRetry(req, config.send),
      now: Date.now,
      log: logger,
      count: (metric) => metrics.addMetric(metric, MetricUnit.Count, 1),
    },
    quarantine: dlq ? new Quarantine(c.sqs, dlq) : undefined,
  };
  return deps;
}

/**
 * Alerts topic → notifier queue → every matching channel. A channel that failed in a way worth
 * retrying fails the message, which SQS brings back after the queue's visibility timeout; the
 * channels it already reached are skipped then. A message that is not a dts notification goes
 * to the DLQ at once, with its reason.
 */
async function handle(record: SQSRecord): Promise<void> {
  const d = notifier();
  try {
    const outcome = await notify(d.notifier, publishedIn(record.body));
    const retry = outcome.failed.filter((f) => f.retryable);
    if (retry.length > 0) throw new Error(`not delivered to ${retry.map((f) => `${f.channel} (${f.error})`).join(', ')}; SQS brings it back`);
  } catch (e) {
    if (!(e instanceof UndeliverableMessage) || !d.quarantine) throw e;
    logger.warn('quarantined a message', { messageId: record.messageId, reason: e.message });
    await d.quarantine.send(record.body, `${e.message} (message ${record.messageId})`);
  }
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  try {
    return await processPartialResponse(event, logFailures(handle), processor, { context });
  } finally {
    publishIfAny(metrics);
  }
};
