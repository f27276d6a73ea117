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

/**
 * Put items in chunks of 25, retrying whatever DynamoDB hands back as unprocessed with
 * exponential backoff. Returns the number of BatchWriteItem calls made.
 */
export async function batchPut(
  ddb: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<number> {
  let calls = 0;
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT) chunks.push(items.slice(i, i + BATCH_WRITE_LIMIT));
  await Promise.all(chunks.map(async (chunk) => {
    let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= retry.attempts) throw new UnprocessedItemsError(table, pending.length);
      if (attempt > 0) await sleep(Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt));
      calls++;
      const out = await ddb.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }));
  return calls;
}
