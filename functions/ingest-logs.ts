import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DEFAULT_RESERVE_MS, ingestLogMessages, type LogIngest } from '../lib/app/ingest/logs';
import { logIngestDeps } from '../lib/compose';
import { root } from './commons/deps';
import { logFailures, logger, mirrorRecord } from './commons/powertools';

const processor = new BatchProcessor(EventType.SQS);
let deps: LogIngest | undefined;

/**
 * SQS → logs table and daily counters. The messages of an invocation are stored together, in
 * shared BatchWriteItem calls; each still succeeds or fails on its own, and Powertools turns
 * the failures into the partial batch response. Messages not finished before the time budget
 * runs out are among those failures: they come back, instead of the invocation timing out.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const budget = { remainingMs: () => context.getRemainingTimeInMillis(), reserveMs: DEFAULT_RESERVE_MS };
  const { failures } = await ingestLogMessages(deps ??= logIngestDeps(root(logger), mirrorRecord), event.Records, budget);
  return processPartialResponse(event, logFailures(async (record: SQSRecord) => {
    if (failures.has(record.messageId)) throw failures.get(record.messageId);
  }), processor, { context });
};
