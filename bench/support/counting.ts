/**
 * Request counting: a middleware on the AWS clients the bench hands to the code under test.
 * It observes each request (and asks DynamoDB for its consumed capacity); it changes no
 * behaviour, so this is measurement, not a mock.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Clients } from '../../lib/adapters/clients';

interface ConsumedCapacity {
  TableName?: string;
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export class Tally {
  /** Requests by "Service.Command", and for DynamoDB "DynamoDB.Command@table". */
  readonly requests = new Map<string, number>();
  /** Capacity units DynamoDB reported, by "DynamoDB.Command@table". */
  readonly capacity = new Map<string, number>();
  /** Requests whose response carried no ConsumedCapacity (the engine does not report it). */
  capacityMissing = 0;
  /** Entries carried by batch requests (SendMessageBatch entries, BatchWriteItem puts…), by "Service.Command". */
  readonly entries = new Map<string, number>();
  /** Request payload bytes of SQS sends, for the 64 KiB billing chunks. */
  readonly sqsSendChunks = { requests: 0, chunks: 0 };

  count(key: string): number {
    return this.requests.get(key) ?? 0;
  }

  units(prefix: string): number {
    let total = 0;
    for (const [k, v] of this.capacity) if (k.startsWith(prefix)) total += v;
    return total;
  }

  /** Requests whose key starts with `prefix`, summed. */
  sum(prefix: string): number {
    let total = 0;
    for (const [k, v] of this.requests) if (k.startsWith(prefix)) total += v;
    return total;
  }

  reset(): void {
    this.requests.clear();
    this.capacity.clear();
    this.entries.clear();
    this.capacityMissing = 0;
    this.sqsSendChunks.requests = 0;
    this.sqsSendChunks.chunks = 0;
  }

  snapshot(): { requests: Record<string, number>; capacity: Record<string, number>; entries: Record<string, number>; capacityMissing: number } {
    return {
      requests: Object.fromEntries([...this.requests].sort()),
      capacity: Object.fromEntries([...this.capacity].sort()),
      entries: Object.fromEntries([...this.entries].sort()),
      capacityMissing: this.capacityMissing,
    };
  }
}

const CAPACITY_COMMANDS = new Set([
  'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'GetItemCommand', 'QueryCommand', 'ScanCommand',
  'BatchWriteItemCommand', 'BatchGetItemCommand',
]);

type Stack = DynamoDBDocumentClient['middlewareStack'] | SQSClient['middlewareStack'] | SNSClient['middlewareStack'];

const KB64 = 64 * 1024;

function bytesOf(input: Record<string, unknown>): number {
  // What SQS bills on: the body plus message attributes, per entry, summed over the request.
  const entries = (input.Entries as Record<string, unknown>[] | undefined) ?? [input];
  let total = 0;
  for (const e of entries) {
    total += Buffer.byteLength(String(e.MessageBody ?? ''));
    for (const [name, v] of Object.entries((e.MessageAttributes as Record<string, { DataType?: string; StringValue?: string }> | undefined) ?? {})) {
      total += Buffer.byteLength(name) + Buffer.byteLength(v.DataType ?? '') + Buffer.byteLength(v.StringValue ?? '');
    }
  }
  return total;
}

/** DynamoDB requests are counted per table: "@hosts" for the table "dts-test-hosts". */
function tableOf(input: Record<string, unknown>): string {
  const name = (input.TableName as string | undefined) ?? Object.keys((input.RequestItems as Record<string, unknown> | undefined) ?? {})[0];
  return name ? `@${name.split('-').pop()}` : '';
}

function attach(stack: Stack, service: string, tally: Tally): void {
  (stack as SQSClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? 'unknown';
      const input = args.input as Record<string, unknown>;
      const key = `${service}.${command.replace(/Command$/, '')}${tableOf(input)}`;
      const askCapacity = service === 'DynamoDB' && CAPACITY_COMMANDS.has(command);
      if (askCapacity && input.ReturnConsumedCapacity === undefined) input.ReturnConsumedCapacity = 'TOTAL';
      tally.requests.set(key, (tally.requests.get(key) ?? 0) + 1);
      if (Array.isArray(input.Entries)) tally.entries.set(key, (tally.entries.get(key) ?? 0) + input.Entries.length);
      if (command === 'BatchWriteItemCommand') {
        const n = Object.values(input.RequestItems as Record<string, unknown[]>).reduce((a, r) => a + r.length, 0);
        tally.entries.set(key, (tally.entries.get(key) ?? 0) + n);
      }
      if (command === 'SendMessageCommand' || command === 'SendMessageBatchCommand') {
        tally.sqsSendChunks.requests++;
        tally.sqsSendChunks.chunks += Math.max(1, Math.ceil(bytesOf(input) / KB64));
      }
      const out = await next(args);
      if (askCapacity) {
        const raw = (out.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
        const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
        if (list.length === 0) tally.capacityMissing++;
        for (const c of list) {
          const k = key;
          tally.capacity.set(k, (tally.capacity.get(k) ?? 0) + (c.CapacityUnits ?? 0));
        }
      }
      return out;
    },
    { step: 'initialize', name: 'dtsBenchTally', priority: 'high' },
  );
}

/** Count every request the given clients make, into `tally`. Returns the same clients. */
export function counted(clients: Clients, tally: Tally): Clients {
  attach(clients.ddb.middlewareStack, 'DynamoDB', tally);
  attach(clients.sqs.middlewareStack, 'SQS', tally);
  attach(clients.sns.middlewareStack, 'SNS', tally);
  return clients;
}
