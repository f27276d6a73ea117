import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';

/** The message attribute that says why a message was quarantined. */
export const ERROR_ATTRIBUTE = 'dts-error';

/**
 * Moves a message that can never be decoded to its queue's DLQ at once, with the reason
 * attached, instead of letting SQS retry it maxReceiveCount times first.
 */
export class Quarantine {
  constructor(
    private readonly sqs: SQSClient,
    private readonly dlqUrl: string,
  ) {}

  async send(body: string, reason: string, attributes: Record<string, MessageAttributeValue> = {}): Promise<void> {
    await this.sqs.send(new SendMessageCommand({
      QueueUrl: this.dlqUrl,
      MessageBody: body,
      MessageAttributes: {
        ...attributes,
        [ERROR_ATTRIBUTE]: { DataType: 'String', StringValue: reason.slice(0, 1024) },
      },
    }));
  }
}
