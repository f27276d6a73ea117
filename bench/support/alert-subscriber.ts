/**
 * What a pager sees: a queue of the local cloud's SQS subscribed to the alerts topic, read as
 * fast as notifications come, each kept with the time it was received. A message that SQS hands
 * over twice (same SNS MessageId) is the subscriber's own redelivery and is kept once; the same
 * notification id under two SNS MessageIds is dts publishing twice, which fleet-verdict.ts counts.
 */
import { SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface ReceivedAlert {
  /** When the subscriber received it, in ms. */
  readonly receivedAt: number;
  readonly snsMessageId: string;
  /** The notification's own id (the `id` attribute). */
  readonly id: string;
  readonly kind: string;
  readonly hostname: string;
  readonly subject: string;
  readonly message: string;
}

export interface AlertSubscriber {
  readonly alerts: ReceivedAlert[];
  /** Resolves once `seen` holds for what was received, or after `maxMs`; says which. */
  waitFor(seen: (alerts: readonly ReceivedAlert[]) => boolean, maxMs: number): Promise<boolean>;
  /** Reads until the queue has been empty for `quietMs` (at most `maxMs`), then unsubscribes by deleting the queue. */
  stop(o?: { quietMs?: number; maxMs?: number }): Promise<ReceivedAlert[]>;
}

interface Envelope {
  MessageId?: string;
  Subject?: string;
  Message?: string;
  MessageAttributes?: Record<string, { Value?: string }>;
}

export async function subscribeToAlerts(sqs: SQSClient, sns: SNSClient, topicArn: string, name: string): Promise<AlertSubscriber> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '120' } }));
  const queueUrl = QueueUrl as string;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn, Attributes: { RawMessageDelivery: 'false' } }));

  const alerts: ReceivedAlert[] = [];
  const seen = new Set<string>();
  let stopping = false;
  let quietSince = Date.now();
  const receiveOnce = async (): Promise<number> => {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const receivedAt = Date.now();
    const messages = out.Messages ?? [];
    for (const m of messages) {
      const e = JSON.parse(m.Body ?? '{}') as Envelope;
      const snsMessageId = e.MessageId ?? m.MessageId ?? '';
      if (seen.has(snsMessageId)) continue;
      seen.add(snsMessageId);
      const attr = (k: string) => e.MessageAttributes?.[k]?.Value ?? '';
      alerts.push({ receivedAt, snsMessageId, id: attr('id'), kind: attr('kind'), hostname: attr('hostname'), subject: e.Subject ?? '', message: e.Message ?? '' });
    }
    if (messages.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    }
    return messages.length;
  };
  const loop = (async () => {
    while (!stopping) {
      try {
        if ((await receiveOnce()) > 0) quietSince = Date.now();
      } catch {
        // The cloud is busy or restarting; the message stays queued and the next receive gets it.
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();

  return {
    alerts,
    async waitFor(seen, maxMs) {
      const until = Date.now() + maxMs;
      while (!seen(alerts) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      return seen(alerts);
    },
    async stop({ quietMs = 3000, maxMs = 30_000 } = {}) {
      const until = Date.now() + maxMs;
      quietSince = Math.max(quietSince, Date.now() - quietMs / 2);
      while (Date.now() - quietSince < quietMs && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      stopping = true;
      await loop;
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
      return alerts;
    },
  };
}
