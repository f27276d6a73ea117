import { LambdaClient } from '@aws-sdk/client-lambda';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ingestHeartbeat } from '../lib/app/ingest/heartbeats';
import { ingestHeartbeatDelivery } from '../lib/app/ingest/watermark';
import { heartbeatIngestDeps } from '../lib/compose';
import { config, root } from './commons/deps';
import { logFailures, logger } from './commons/powertools';

const processor = new BatchProcessor(EventType.SQS);
let deps: ReturnType<typeof heartbeatIngestDeps> | undefined;

/**
 * SQS → hosts table. Each beat succeeds or fails on its own (ReportBatchItemFailures). Diagnose's
 * canaries are stored last, once every beat they came with is (lib/app/ingest/watermark.ts).
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const d = deps ??= heartbeatIngestDeps(root(logger), new LambdaClient({}));
  return ingestHeartbeatDelivery(
    { ...d, ...config.ingest, now: Date.now },
    event.Records,
    context.getRemainingTimeInMillis(),
    (record) => ingestHeartbeat(d, record),
    (beats, store) => processPartialResponse({ Records: beats }, logFailures<SQSRecord, unknown>(store), processor, { context }),
  ) as Promise<SQSBatchResponse>;
};
