import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import type { QuarantinePort } from '../../ports';

/** The message attribute that says why a message was quarantined. */
export const ERROR_ATTRIBUTE = 'dts-error';

/** SQS's largest message: body plus every attribute's name, type and value, in bytes. */
export const MAX_MESSAGE_BYTES = 1_048_576;
const MAX_REASON_BYTES = 1024;
const CUT = '…';

/**
 * The reason, cut so that the quarantined message still fits in SQS's limit: a poison body near
 * 1 MiB must reach its DLQ all the same. The cut keeps whole characters and ends with `…`;
 * when not even that fits, the reason is only in the function's log.
 */
export function fitReason(raw: string, body: string, attributes: Record<string, MessageAttributeValue> = {}): string {
  // SQS refuses characters outside XML's (controls, lone surrogates, U+FFFE/F); a reason may quote input.
  const reason = raw.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
  let used = Buffer.byteLength(body, 'utf8') + Buffer.byteLength(ERROR_ATTRIBUTE) + Buffer.byteLength('String');
  for (const [name, a] of Object.entries(attributes)) {
    used += Buffer.byteLength(name) + Buffer.byteLength(a.DataType ?? '') + Buffer.byteLength(a.StringValue ?? '') + (a.BinaryValue?.length ?? 0);
  }
  const room = Math.min(MAX_REASON_BYTES, MAX_MESSAGE_BYTES - used);
  if (Buffer.byteLength(reason) <= room) return reason;
  if (room <= Buffer.byteLength(CUT)) return '';
  let kept = '';
  for (const c of reason) {
    if (Buffer.byteLength(kept + c + CUT) > room) break;
    kept += c;
  }
  return kept + CUT;
}

/**
 * Moves a message that can never be decoded to its queue's DLQ at once, with the reason
 * attached, instead of letting SQS retry it maxReceiveCount times first.
 */
export class Quarantine implements QuarantinePort {
  constructor(
    private readonly sqs: SQSClient,
    private readonly dlqUrl: string,
  ) {}

  async send(body: string, reason: string, attributes: Record<string, MessageAttributeValue> = {}): Promise<void> {
    const fitted = fitReason(reason, body, attributes);
    await this.sqs.send(new SendMessageCommand({
      QueueUrl: this.dlqUrl,
      MessageBody: body,
      MessageAttributes: {
        ...attributes,
        // SQS refuses an empty attribute value; a body with no room left goes without one.
        ...(fitted ? { [ERROR_ATTRIBUTE]: { DataType: 'String', StringValue: fitted } } : {}),
      },
    }));
  }
}
