import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isPoison } from '../../domain/ingest/refusal';
import { OutOfTimeError } from '../../ports';

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

/** Calls in flight at once: enough to fill the SDK's sockets, few enough to stop in time. */
export const DEFAULT_CONCURRENCY = 16;

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
  /** Indexes, in the input, of the items this failure covers. */
  readonly indexes: readonly number[];
  readonly error: unknown;
  /** True when the table refused this one item for its content: no retry can store it. */
  readonly poison: boolean;
}

export interface BatchOptions {
  readonly retry?: RetryPolicy;
  readonly concurrency?: number;
  /** False once no new call may start (the caller's time budget); the rest fail OutOfTime. */
  readonly mayStart?: () => boolean;
}

/**
 * Put items in chunks of 25, retrying whatever DynamoDB hands back as unprocessed with
 * exponential backoff. A chunk that fails transiently is reported with the items it held, so the
 * caller can fail exactly what they belong to; the other chunks are written. A chunk refused for
 * its content (a ValidationException, a value the SDK cannot marshal) is split in halves until
 * the refused items stand alone: each is reported as poison, and its neighbours are written.
 */
export async function batchPutEach(
  ddb: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  options: BatchOptions | RetryPolicy = {},
): Promise<{ calls: number; failed: ChunkFailure[] }> {
  const o: BatchOptions = 'attempts' in options ? { retry: options } : options;
  const retry = o.retry ?? DEFAULT_RETRY;
  let calls = 0;
  const failed: ChunkFailure[] = [];
  const chunks: number[][] = [];
  for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT) {
    chunks.push(Array.from({ length: Math.min(BATCH_WRITE_LIMIT, items.length - i) }, (_, j) => i + j));
  }

  const put = async (indexes: readonly number[]): Promise<void> => {
    let pending = indexes.map((i) => ({ PutRequest: { Item: items[i] as Record<string, unknown> } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= retry.attempts) throw new UnprocessedItemsError(table, pending.length);
      if (attempt > 0) await sleep(Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt));
      calls++;
      const out = await ddb.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  };

  const write = async (indexes: readonly number[]): Promise<void> => {
    try {
      await put(indexes);
    } catch (error) {
      if (!isPoison(error)) {
        failed.push({ indexes, error, poison: false });
      } else if (indexes.length === 1) {
        failed.push({ indexes, error, poison: true });
      } else {
        const half = Math.ceil(indexes.length / 2);
        await Promise.all([write(indexes.slice(0, half)), write(indexes.slice(half))]);
      }
    }
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      const indexes = chunks[next++] as number[];
      if (o.mayStart && !o.mayStart()) {
        failed.push({ indexes, error: new OutOfTimeError(indexes.length), poison: false });
        continue;
      }
      await write(indexes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? DEFAULT_CONCURRENCY, chunks.length) }, worker));
  return { calls, failed };
}
