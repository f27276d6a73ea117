import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { cachedSilences, ingestHeartbeat, type HeartbeatIngest } from '../lib/service/ingest-heartbeats';
import { HostStore } from '../lib/store/hosts';
import { clients, config, delivery, lifecycle, limits, quarantineFor, silenceStore } from './commons/deps';
import { logFailures, logger } from './commons/powertools';

const processor = new BatchProcessor(EventType.SQS);

let deps: HeartbeatIngest | undefined;
function ingest(): HeartbeatIngest {
  if (deps) return deps;
  const silences = silenceStore();
  deps = {
    hosts: new HostStore(clients().ddb, config.resources.hostsTable),
    delivery: delivery(),
    quarantine: quarantineFor(config.resources.heartbeatsDlqUrl),
    levels: config.levels,
    limits,
    log: logger,
    skewThresholdMs: lifecycle.skewThresholdMs,
    ...(silences ? { silences: cachedSilences(() => silences.all(), lifecycle.silenceCacheMs) } : {}),
  };
  return deps;
}

/** SQS → hosts table. Each beat succeeds or fails on its own (ReportBatchItemFailures). */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, logFailures((record: SQSRecord) => ingestHeartbeat(ingest(), record)), processor, { context });
