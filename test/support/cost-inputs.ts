/**
 * Round prices and counts for the cost model's tests, so that their expected figures can be
 * recomputed by hand (test/unit/cost-model.test.ts, test/unit/cost-fanout.test.ts).
 */
import type { MeasuredInputs, Prices } from '../../tools/cost/model';

export const ROUND_PRICES: Prices = {
  aws: {
    sqs: { standardRequestsPerMillion: 0.4, billingChunkBytes: 65_536 },
    dynamodb: {
      onDemandWriteRequestUnitsPerMillion: 0.625, onDemandReadRequestUnitsPerMillion: 0.125,
      provisionedWcuHour: 0.00065, provisionedRcuHour: 0.00013, storageGbMonth: 0.25,
    },
    lambda: { requestsPerMillion: 0.2, arm64GbSecond: 0.0000133334 },
    sns: { publishesPerMillion: 0.5 },
    cloudwatch: { logsIngestionPerGb: 0.5, customMetricMonth: 0.3, standardAlarmMonth: 0.1, putMetricDataPer1000: 0.01 },
  },
  alternatives: [],
};

/** Counts as a bench would report them, rounded; each test sets the host item's size it prices. */
export const ROUND_COUNTS: Omit<MeasuredInputs, 'hostItemBytes'> = {
  source: 'by hand', date: '2026-11-25',
  heartbeat: { sqsSendRequestsPerBeat: 1, bodyBytes: 300, ddbWriteRequestsPerBeat: 1, ddbWriteUnitsPerBeat: 1, messagesPerInvocation: 100 },
  logs: {
    recordBytes: 200, ddbWriteUnitsPerRecordTable: 1, ddbWriteUnitsPerRecordIndex: 1, ddbWriteRequestsPerMessageCounters: 2,
    recordsPerFullMessage: 500, batchWriteCallsPerRecordBurst: 0.04, batchWriteCallsPerRecordTrickle: 1, messagesPerInvocation: 10,
  },
  cpuMicrosPerBeat: 100,
};
