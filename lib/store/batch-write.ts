import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** DynamoDB takes at most 25 puts in one BatchWriteItem. */
export const BATCH_WRITE_LIMIT = 25;

export interface RetryPolicy {
  /** Attempts per chunk, the first included. */
  readonly attempts: number;
  /** Base delay in ms; each retry waits a random time up to base × 2^retry ("full jitter"). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 25, maxDelayMs: 2_000 };

export class UnprocessedItemsError extends Error {
  constructor(
    readonly table: string,
    readonly remaining: number,
  ) {
    super(`${remaining} items still unprocessed by ${table} after retries (throttled)`);
    this.name = 'UnprocessedItemsError';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ChunkFailure {
  /** Indexes, in the input, of the items this chunk held. */
  readonly indexes: readonly number[];
  readonly error: unknown;
}

/**
 * Put items in chunks of 25, retrying whatever DynamoDB hands back as unprocessed with
 * exponential backoff. A chunk that still fails is reported with the items it held, so the
 * caller can fail exactly what they belong to; the other chunks are written.
 */
export async function batchPutEach(
  ddb: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<{ calls: number; failed: ChunkFailure[] }> {
  let calls = 0;
  const failed: ChunkFailure[] = [];
  const chunks: number[][] = [];
  for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT) {
    chunks.push(Array.from({ length: Math.min(BATCH_WRITE_LIMIT, items.length - i) }, (_, j) => i + j));
  }
  await Promise.all(chunks.map(async (indexes) => {
    let pending = indexes.map((i) => ({ PutRequest: { Item: items[i] as Record<string, unknown> } }));
    try {
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= retry.attempts) throw new UnprocessedItemsError(table, pending.length);
        if (attempt > 0) await sleep(Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt));
        calls++;
        const out = await ddb.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    } catch (error) {
      failed.push({ indexes, error });
    }
  }));
  return { calls, failed };
}
