/**
 * An SQS event source mapping, as Lambda runs one: a poller that gathers up to BatchSize messages
 * for at most MaximumBatchingWindowInSeconds, invokes the function with a real SQSEvent, and then
 * deletes what succeeded. A thrown error or a timeout fails the whole batch; with
 * ReportBatchItemFailures only the reported messages fail. Failed messages are not touched: they
 * come back when their visibility timeout ends, and SQS (fauxqs) moves them to the DLQ after the
 * queue's maxReceiveCount, exactly as in AWS.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { QueuePlan, SqsMappingPlan } from './template/plan';
import { RESTORED_ATTRIBUTE, type RestoredOrigin } from './queue-snapshot';

export interface MappingDeps {
  readonly sqs: SQSClient;
  readonly invoke: (functionName: string, event: SQSEvent) => Promise<unknown>;
  readonly log: (line: string) => void;
  readonly region: string;
}

export interface BatchOutcome {
  readonly received: number;
  readonly deleted: number;
  readonly failed: number;
  /** How long the invocation took, from the call to its answer (or its failure). */
  readonly durationMs: number;
  readonly error?: string;
}

/** Seconds a receive call waits when the queue is empty; also bounds how long stop() takes. */
const IDLE_WAIT_SECONDS = 1;

export class SqsEventSourceMapping {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Called after every batch (tests and the start-up summary read it). */
  onBatch: ((outcome: BatchOutcome) => void) | undefined;

  constructor(
    readonly mapping: SqsMappingPlan,
    readonly queue: QueuePlan,
    private readonly deps: MappingDeps,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops receiving; resolves when the batch in flight (if any) has finished and been settled. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const batch = await this.gather();
        if (batch.length === 0) continue;
        // Not `onBatch?.(await …)`: an optional call would skip evaluating its argument.
        const outcome = await this.process(batch);
        this.onBatch?.(outcome);
      } catch (e) {
        if (!this.running) break;
        this.deps.log(`poller ${this.queue.name}: ${(e as Error).message}; retrying in 1 s`);
        await sleep(1000);
      }
    }
  }

  /** Waits for a first message, then fills the batch until BatchSize or the batching window ends. */
  private async gather(): Promise<Message[]> {
    const { batchSize, batchingWindowSeconds } = this.mapping;
    const batch = await this.receive(Math.min(10, batchSize), IDLE_WAIT_SECONDS);
    if (batch.length === 0) return batch;
    const windowEnds = Date.now() + batchingWindowSeconds * 1000;
    while (batch.length < batchSize) {
      const more = await this.receive(Math.min(10, batchSize - batch.length), 0);
      batch.push(...more);
      if (more.length > 0) continue;
      const left = windowEnds - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(50, left));
    }
    return batch;
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const reply = await this.deps.sqs.send(new ReceiveMessageCommand({
      QueueUrl: this.queue.url,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }));
    return reply.Messages ?? [];
  }

  private async process(messages: Message[]): Promise<BatchOutcome> {
    const records = messages.map((m) => this.record(m));
    const event: SQSEvent = { Records: records };
    let failedIds: Set<string>;
    let error: string | undefined;
    const started = Date.now();
    try {
      const result = await this.deps.invoke(this.mapping.functionName, event);
      failedIds = this.mapping.reportBatchItemFailures ? failuresIn(result, records) : new Set();
    } catch (e) {
      error = (e as Error).message;
      this.deps.log(`${this.mapping.functionName}: batch of ${records.length} failed: ${error}`);
      failedIds = new Set(records.map((r) => r.messageId));
    }
    const durationMs = Date.now() - started;
    const succeeded = messages.filter((_, i) => !failedIds.has((records[i] as SQSRecord).messageId));
    await this.delete(succeeded);
    return { received: messages.length, deleted: succeeded.length, failed: messages.length - succeeded.length, durationMs, ...(error ? { error } : {}) };
  }

  private async delete(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      const reply = await this.deps.sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: this.queue.url,
        Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
      }));
      for (const f of reply.Failed ?? []) this.deps.log(`poller ${this.queue.name}: could not delete a message: ${f.Message ?? f.Code ?? ''}`);
    }
  }

  private record(message: Message): SQSRecord {
    return lambdaSqsRecord(message, this.queue.arn, this.deps.region);
  }
}

/**
 * Lambda's shape of a received SQS message. A message restored from a queue snapshot gets back
 * the identity and times it had before the restart, and its restore attribute is hidden.
 */
export function lambdaSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = { ...(message.Attributes ?? {}) } as Record<string, string>;
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  let messageId = message.MessageId ?? '';
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (name === RESTORED_ATTRIBUTE && value.StringValue) {
      // A message restored from a snapshot keeps the identity and times it had before the restart.
      const origin = JSON.parse(value.StringValue) as RestoredOrigin;
      messageId = origin.messageId;
      attributes.SentTimestamp = String(origin.sentTimestamp);
      attributes.ApproximateReceiveCount = String(origin.receiveCount + Number(attributes.ApproximateReceiveCount ?? 1));
      if (origin.firstReceiveTimestamp) attributes.ApproximateFirstReceiveTimestamp = String(origin.firstReceiveTimestamp);
      continue;
    }
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    };
  }
  return {
    messageId,
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: attributes as unknown as SQSRecord['attributes'],
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * The messages a ReportBatchItemFailures response fails. As in Lambda, a response that is not a
 * valid SQSBatchResponse, or that names a message not in the batch, fails the whole batch.
 */
export function failuresIn(result: unknown, records: readonly SQSRecord[]): Set<string> {
  const all = new Set(records.map((r) => r.messageId));
  if (result === null || result === undefined) return new Set();
  if (typeof result !== 'object') return all;
  const failures = (result as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const failed = new Set<string>();
  for (const f of failures) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !all.has(id)) return all;
    failed.add(id);
  }
  return failed;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
