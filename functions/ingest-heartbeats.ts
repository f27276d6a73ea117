import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { cachedSilences, ingestHeartbeat, type HeartbeatIngest } from '../lib/app/ingest/heartbeats';
import { beatDeadline, isCanary, settleWatermark } from '../lib/app/ingest/watermark';
import { HostStore } from '../lib/adapters/dynamodb/hosts';
import { StatsStore } from '../lib/adapters/dynamodb/stats';
import { SqsHeartbeatQueue } from '../lib/adapters/sqs/heartbeat-queue';
import { clients, config, delivery, lifecycle, limits, quarantineFor, silenceStore } from './commons/deps';
import { logFailures, logger } from './commons/powertools';

const processor = new BatchProcessor(EventType.SQS);

let deps: (HeartbeatIngest & { stats: StatsStore; queue: SqsHeartbeatQueue }) | undefined;
function ingest(): HeartbeatIngest & { stats: StatsStore; queue: SqsHeartbeatQueue } {
  if (deps) return deps;
  const silences = silenceStore();
  deps = {
    hosts: new HostStore(clients().ddb, config.resources.hostsTable),
    stats: new StatsStore(clients().ddb, config.resources.statsTable),
    queue: new SqsHeartbeatQueue(clients().sqs, config.resources.heartbeatsQueueUrl),
    delivery: delivery(),
    quarantine: quarantineFor(config.resources.heartbeatsDlqUrl),
    levels: config.levels,
    limits,
    log: logger,
    skewThresholdMs: lifecycle.skewThresholdMs,
    liveness: { rule: config.liveness, flap: lifecycle.flap },
    ...(silences ? { silences: cachedSilences(() => silences.all(), lifecycle.silenceCacheMs) } : {}),
  };
  return deps;
}

/**
 * SQS → hosts table. Each beat succeeds or fails on its own (ReportBatchItemFailures). Diagnose's
 * canaries are stored last, once every beat they came with is (lib/app/ingest/watermark.ts).
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const canaries = event.Records.filter(isCanary);
  const beats = event.Records.filter((r) => !isCanary(r));
  const deadline = beatDeadline(context.getRemainingTimeInMillis());
  const store = (record: SQSRecord) => Promise.race([ingestHeartbeat(ingest(), record), deadline.expired]);
  const response = beats.length > 0
    ? await processPartialResponse({ Records: beats }, logFailures(store), processor, { context }).finally(() => deadline.cancel())
    : { batchItemFailures: [] };
  deadline.cancel();
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const canariesFailed = await settleWatermark({ ...ingest(), ...config.ingest, now: Date.now }, beats, failed, canaries);
  return { batchItemFailures: [...response.batchItemFailures, ...canariesFailed.map((itemIdentifier) => ({ itemIdentifier }))] };
};
