/**
 * The part of Lambda's SQS event source mapping that decides the request counts: receive up to
 * 10 messages a call until the batch is full (batchSize) or the queue is drained, hand the batch
 * to the function, delete what succeeded with DeleteMessageBatch (10 a call). Long polling and
 * the batching window only change how often an empty receive happens, which the cost model
 * adds separately.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { lambdaSqsRecord } from '../../tools/local/event-source-mapping';

/** Lambda's shape of a received message, made as the local cloud's pollers make it. */
export type LambdaSqsRecord = SQSRecord;

const toRecord = (m: Message): SQSRecord => lambdaSqsRecord(m, 'arn:aws:sqs:us-east-1:000000000000:bench', 'us-east-1');

export interface PollStats {
  receives: number;
  emptyReceives: number;
  deletes: number;
  invocations: number;
  messages: number;
  failures: number;
}

/**
 * Drain `queueUrl` through `handle`, one record at a time within a batch (as Powertools'
 * BatchProcessor does), until `idleReceives` receives in a row come back empty.
 */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  batchSize: number,
  handle: (record: LambdaSqsRecord) => Promise<unknown>,
  options: {
    idleReceives?: number; waitSeconds?: number; concurrency?: number;
    /** Hands the whole batch to one call, as Lambda does; returns the ids of the failed messages. */
    handleBatch?: (records: LambdaSqsRecord[]) => Promise<ReadonlySet<string>>;
  } = {},
): Promise<PollStats> {
  const stats: PollStats = { receives: 0, emptyReceives: 0, deletes: 0, invocations: 0, messages: 0, failures: 0 };
  const idle = options.idleReceives ?? 2;
  const worker = async () => {
    let emptyInARow = 0;
    while (emptyInARow < idle) {
      const batch: Message[] = [];
      while (batch.length < batchSize) {
        const out = await sqs.send(new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
          WaitTimeSeconds: options.waitSeconds ?? 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp'],
        }));
        stats.receives++;
        const got = out.Messages ?? [];
        if (got.length === 0) {
          stats.emptyReceives++;
          break;
        }
        batch.push(...got);
      }
      if (batch.length === 0) {
        emptyInARow++;
        continue;
      }
      emptyInARow = 0;
      stats.invocations++;
      stats.messages += batch.length;
      const done: Message[] = [];
      if (options.handleBatch) {
        const failed = await options.handleBatch(batch.map(toRecord));
        for (const m of batch) {
          if (failed.has(m.MessageId as string)) stats.failures++;
          else done.push(m);
        }
      } else {
        for (const m of batch) {
          try {
            await handle(toRecord(m));
            done.push(m);
          } catch {
            stats.failures++;
          }
        }
      }
      for (let i = 0; i < done.length; i += 10) {
        const chunk = done.slice(i, i + 10);
        await sqs.send(new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle as string })),
        }));
        stats.deletes++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 1 }, worker));
  return stats;
}
