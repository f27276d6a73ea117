/**
 * One SendMessageBatch call and its retries: entries that failed on the service's side and
 * whole calls that were throttled or lost are tried again with capped exponential backoff and
 * full jitter; entries the service refused as malformed are not.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type MessageType } from '../wire/codec';
import { TYPE_ATTRIBUTE } from '../wire/attributes';

export interface OutgoingMessage {
  readonly type: MessageType;
  /** base64 protobuf. */
  readonly body: string;
  /** What SQS counts: body plus attributes. */
  readonly size: number;
  /** The encoded records a LogBatch carries, kept so a batch that could not be sent can be requeued. */
  readonly records: readonly Uint8Array[];
}

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface SendOutcome {
  readonly sent: OutgoingMessage[];
  /** Refused by SQS as the sender's fault; retrying would not help. */
  readonly rejected: { message: OutgoingMessage; reason: string }[];
  /** Still unsent after every attempt, or after an error that retrying cannot fix. */
  readonly unsent: OutgoingMessage[];
  readonly error?: Error;
}

export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Errors no retry can fix: a wrong queue, wrong credentials or a request we built wrong. */
const PERMANENT = new Set([
  'AWS.SimpleQueueService.NonExistentQueue',
  'QueueDoesNotExist',
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'CredentialsProviderError',
  'InvalidAddress',
  'BatchRequestTooLong',
  'TooManyEntriesInBatchRequest',
  'BatchEntryIdsNotDistinct',
  'InvalidBatchEntryId',
  'EmptyBatchRequest',
]);

export function isPermanent(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return PERMANENT.has(e.name ?? '') || PERMANENT.has(e.Code ?? '');
}

export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

export async function sendWithRetry(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
  policy: RetryPolicy,
  wait: Sleep = sleep,
): Promise<SendOutcome> {
  const sent: OutgoingMessage[] = [];
  const rejected: { message: OutgoingMessage; reason: string }[] = [];
  let pending = [...messages];
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < policy.maxAttempts && pending.length > 0; attempt++) {
    if (attempt > 0) await wait(backoffDelay(attempt, policy));
    try {
      const out = await sqs.send(new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: pending.map((m, i) => ({
          Id: `m${i}`,
          MessageBody: m.body,
          MessageAttributes: { [TYPE_ATTRIBUTE]: { DataType: 'String', StringValue: m.type } },
        })),
      }));
      const retry: OutgoingMessage[] = [];
      for (const ok of out.Successful ?? []) sent.push(pending[Number(ok.Id?.slice(1))] as OutgoingMessage);
      for (const f of out.Failed ?? []) {
        const message = pending[Number(f.Id?.slice(1))] as OutgoingMessage;
        const reason = `${f.Code ?? 'Failed'}: ${f.Message ?? 'no reason given'}`;
        if (f.SenderFault) rejected.push({ message, reason });
        else {
          retry.push(message);
          lastError = new Error(reason);
        }
      }
      pending = retry;
    } catch (e) {
      lastError = e as Error;
      if (isPermanent(e)) break;
    }
  }
  return { sent, rejected, unsent: pending, ...(pending.length > 0 && lastError ? { error: lastError } : {}) };
}
