import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueGauge } from '../rules/watermark';
import { CANARY_TYPE, TYPE_ATTRIBUTE } from '../wire/codec';

/** The heartbeats queue on SQS, as diagnose reads it: its depth, and canaries sent through it. */
export class SqsHeartbeatQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly url: string,
    private readonly now: () => number = Date.now,
  ) {}

  async gauge(): Promise<QueueGauge> {
    const at = this.now();
    const out = await this.sqs.send(new GetQueueAttributesCommand({
      QueueUrl: this.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed', 'VisibilityTimeout'],
    }));
    const a = out.Attributes ?? {};
    const count = (name: string) => Number(a[name as keyof typeof a] ?? 0) || 0;
    return {
      pending: count('ApproximateNumberOfMessages') + count('ApproximateNumberOfMessagesNotVisible') + count('ApproximateNumberOfMessagesDelayed'),
      visibilityTimeoutMs: (Number(a.VisibilityTimeout) || 30) * 1000,
      at,
    };
  }

  async sendCanary(at: number): Promise<void> {
    await this.sqs.send(new SendMessageCommand({
      QueueUrl: this.url,
      MessageBody: String(at),
      MessageAttributes: { [TYPE_ATTRIBUTE]: { DataType: 'String', StringValue: CANARY_TYPE } },
    }));
  }
}
