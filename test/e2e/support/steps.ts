/**
 * Given / when / then steps of the end-to-end suite. They talk to the system only through AWS
 * APIs: SQS to send, DynamoDB to read.
 */
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { encodeBody, type MessageType } from '../../../lib/wire/codec';
import { TYPE_ATTRIBUTE } from '../../../lib/wire/attributes';
import type { Target } from './target';

export type Encoding = 'protobuf' | 'json';

export interface BeatInput {
  readonly hostname: string;
  readonly interval?: number;
  readonly cpu?: number;
  readonly goodbye?: boolean;
}

/** An SQS message entry: base64 protobuf or protobuf JSON, with its dts-type attribute. */
export function entry(type: MessageType, message: Record<string, unknown>, encoding: Encoding): { MessageBody: string; MessageAttributes: Record<string, { DataType: string; StringValue: string }> } {
  const body = encoding === 'json' ? JSON.stringify(message) : encodeBody(type, message as never);
  return { MessageBody: body, MessageAttributes: { [TYPE_ATTRIBUTE]: { DataType: 'String', StringValue: type } } };
}

export function beat(input: BeatInput): Record<string, unknown> {
  return {
    hostname: input.hostname,
    timestamp: Date.now() / 1000,
    interval: input.interval ?? 60,
    cpu: { percent: input.cpu ?? 10 },
    mem: { percent: 20 },
    disk: { percent: 30 },
    ...(input.goodbye ? { goodbye: true } : {}),
  };
}

export function logRecord(app: string, id: string, text: string, level = 20): Record<string, unknown> {
  return { app, hostname: 'e2e-host', timestamp: Date.now() / 1000, level, text, id };
}

export async function sendBeat(t: Target, input: BeatInput, encoding: Encoding = 'protobuf'): Promise<string> {
  const reply = await t.sqs.send(new SendMessageCommand({ QueueUrl: t.resources.heartbeatsQueueUrl, ...entry('dts.HeartbeatMessage', beat(input), encoding) }));
  return reply.MessageId as string;
}

export async function sendBatch(t: Target, queueUrl: string, entries: Array<{ MessageBody: string; MessageAttributes?: Record<string, { DataType: string; StringValue: string }> }>): Promise<void> {
  for (let i = 0; i < entries.length; i += 10) {
    const reply = await t.sqs.send(new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: entries.slice(i, i + 10).map((e, j) => ({ Id: String(j), ...e })),
    }));
    if ((reply.Failed ?? []).length > 0) throw new Error(`SendMessageBatch failed: ${JSON.stringify(reply.Failed)}`);
  }
}

export interface HostItem {
  readonly hostname: string;
  readonly state: string;
  readonly lastBeat: number;
  readonly [key: string]: unknown;
}

export async function host(t: Target, hostname: string): Promise<HostItem | undefined> {
  const { Item } = await t.ddb.send(new GetCommand({ TableName: t.resources.hostsTable, Key: { hostname }, ConsistentRead: true }));
  return Item as HostItem | undefined;
}

/** Every item of a table that matches `attribute = value`, through a paginated Scan. */
export async function scanWhere(t: Target, table: string, attribute: string, value: string, prefix = false): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const reply = await t.ddb.send(new ScanCommand({
      TableName: table,
      FilterExpression: prefix ? 'begins_with(#a, :v)' : '#a = :v',
      ExpressionAttributeNames: { '#a': attribute },
      ExpressionAttributeValues: { ':v': value },
      ExclusiveStartKey: start,
    }));
    items.push(...(reply.Items ?? []));
    start = reply.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function notificationsOf(t: Target, hostname: string): Promise<Array<{ kind: string; [key: string]: unknown }>> {
  const { Items = [] } = await t.ddb.send(new QueryCommand({
    TableName: t.resources.notificationsTable,
    KeyConditionExpression: 'hostname = :h',
    ExpressionAttributeValues: { ':h': hostname },
    ConsistentRead: true,
  }));
  return Items as Array<{ kind: string }>;
}

/** Receives from a queue until a message matches; other messages become visible again at once. */
export async function findMessage(t: Target, queueUrl: string, match: (m: Message) => boolean, timeoutMs = 20_000): Promise<Message | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const { Messages = [] } = await t.sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 1,
      MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'],
    }));
    const found = Messages.find(match);
    if (found) return found;
  }
  return undefined;
}

/**
 * Asks until the answer is acceptable, and returns it. When the time is up it throws, showing the
 * last answer: a wait that runs out is a failure, never a silent delay (one that returned its last
 * answer instead once cost a file a minute on every run, unseen, because its caller did not look).
 */
export async function eventually<T>(ask: () => Promise<T>, ok: (t: T) => boolean, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const answer = await ask();
    if (ok(answer)) return answer;
    if (Date.now() > until) throw new Error(`still not so after ${timeoutMs} ms; the last answer was ${describe(answer)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** An answer, short enough for a failure's message. */
function describe(answer: unknown): string {
  let text: string;
  try {
    text = typeof answer === 'string' ? answer : JSON.stringify(answer) ?? String(answer);
  } catch {
    text = String(answer);
  }
  return text.length > 2000 ? `${text.slice(0, 1000)} … ${text.slice(-1000)}` : text;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
