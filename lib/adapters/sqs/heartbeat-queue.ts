import { ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueGauge } from '../../domain/fleet/watermark';
import { CANARY_TYPE, TYPE_ATTRIBUTE } from '../../wire/attributes';
import type { HeartbeatQueue } from '../../ports';

/** The heartbeats queue on SQS, as diagnose reads it: its depth, and canaries sent through it. */
export class SqsHeartbeatQueue implements HeartbeatQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly url: string,
    private readonly now: () => number = Date.now,
  ) {}

  async gauge(): Promise<QueueGauge> {
    const at = this.now();
    const out = await this.sqs.send(new GetQueueAttributesCommand({
      QueueUrl: this.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }));
    const a = out.Attributes ?? {};
    const count = (name: string) => Number(a[name as keyof typeof a] ?? 0) || 0;
    return {
      pending: count('ApproximateNumberOfMessages') + count('ApproximateNumberOfMessagesNotVisible') + count('ApproximateNumberOfMessagesDelayed'),
      at,
    };
  }

  /** Failed beats, handed out again after their own delay (ChangeMessageVisibility, 10 a request). */
  async retryLater(receipts: ReadonlyArray<{ readonly receiptHandle: string; readonly seconds: number }>): Promise<void> {
    for (let i = 0; i < receipts.length; i += 10) {
      const out = await this.sqs.send(new ChangeMessageVisibilityBatchCommand({
        QueueUrl: this.url,
        Entries: receipts.slice(i, i + 10).map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle, VisibilityTimeout: r.seconds })),
      }));
      if ((out.Failed ?? []).length > 0) throw new Error(`ChangeMessageVisibility refused ${out.Failed?.length}: ${out.Failed?.[0]?.Message ?? out.Failed?.[0]?.Code}`);
    }
  }

  async sendCanary(at: number): Promise<void> {
    await this.sqs.send(new SendMessageCommand({
      QueueUrl: this.url,
      MessageBody: String(at),
      MessageAttributes: { [TYPE_ATTRIBUTE]: { DataType: 'String', StringValue: CANARY_TYPE } },
    }));
  }
}
