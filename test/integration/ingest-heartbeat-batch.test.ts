/**
 * A relay's HeartbeatBatch through the real ingest function and engines: one write per beat,
 * judged on the relay's receive time bounded by SentTimestamp, and an invalid beat quarantined
 * alone while its neighbours are stored.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBody } from '../../lib/wire/codec';
import { decodeBody } from '../../lib/wire/codec';
import { startTestCloud, type TestCloud } from '../support/cloud';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/events';
import { drain, hostItem } from '../support/then';

let cloud: TestCloud;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
const ctx = () => lambdaContext('ingestHeartbeats');

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env);
  ({ handler } = await import('../../functions/ingest-heartbeats'));
});
afterAll(async () => cloud?.stop());

const SENT = Date.now();
const relayed = (hostname: string, receivedAt: number, extra: Record<string, unknown> = {}) => ({
  beat: { hostname, interval: 60, cpu: { percent: 10 }, ...extra }, receivedAt: receivedAt / 1000,
});
const batch = (beats: unknown[]) => encodeBody('dts.HeartbeatBatch', { beats, relay: 'relay-1' } as never);

describe('ingest a relay\'s HeartbeatBatch', () => {
  it('stores each beat on its own, judged on the relay\'s receive time', async () => {
    const body = batch([relayed('rb-1', SENT - 8_000), relayed('rb-2', SENT - 2_000), relayed('rb-3', SENT - 500)]);
    const result = await handler(sqsEvent([sqsRecord(body, { sentAt: SENT, type: 'dts.HeartbeatBatch' })]), ctx());

    expect(result.batchItemFailures).toEqual([]);
    expect(await hostItem(cloud, 'rb-1')).toMatchObject({ lastBeat: SENT - 8_000, cpu: { percent: 10 } });
    expect(await hostItem(cloud, 'rb-2')).toMatchObject({ lastBeat: SENT - 2_000 });
    expect(await hostItem(cloud, 'rb-3')).toMatchObject({ lastBeat: SENT - 500 });
  });

  it('never dates a beat after SQS accepted the batch: a relay clock ahead counts as SentTimestamp', async () => {
    const body = batch([relayed('rb-ahead', SENT + 3_600_000)]);
    await handler(sqsEvent([sqsRecord(body, { sentAt: SENT, type: 'dts.HeartbeatBatch' })]), ctx());
    expect(await hostItem(cloud, 'rb-ahead')).toMatchObject({ lastBeat: SENT });
  });

  it('quarantines only the bad beats (a clock far behind, an invalid figure), as single beats with their reason', async () => {
    const body = batch([
      relayed('rb-good-1', SENT - 1_000),
      relayed('rb-late', SENT - 3_600_000),
      relayed('rb-bad', SENT - 1_000, { disk: { percent: 140 } }),
      relayed('rb-good-2', SENT - 1_000),
    ]);
    const result = await handler(sqsEvent([sqsRecord(body, { sentAt: SENT, type: 'dts.HeartbeatBatch', messageId: 'relay-batch-1' })]), ctx());

    expect(result.batchItemFailures).toEqual([]);
    expect(await hostItem(cloud, 'rb-good-1')).toMatchObject({ lastBeat: SENT - 1_000 });
    expect(await hostItem(cloud, 'rb-good-2')).toMatchObject({ lastBeat: SENT - 1_000 });
    expect(await hostItem(cloud, 'rb-late')).toBeUndefined();
    expect(await hostItem(cloud, 'rb-bad')).toBeUndefined();
    const dlq = await drain(cloud, cloud.names.heartbeatsDlqUrl);
    const reasons = dlq.map((m) => m.MessageAttributes?.['dts-error']?.StringValue ?? '');
    expect(reasons).toContainEqual(expect.stringMatching(/^beats\[1\]\.receivedAt: 3600 s before SQS accepted.*relay-batch-1#1/));
    expect(reasons).toContainEqual(expect.stringMatching(/^beats\[2\]\.disk\.percent: 140 is not a percent.*relay-batch-1#2/));
    // Each quarantined beat is a HeartbeatMessage of its own, which can be read (or redriven) alone.
    const alone = dlq.find((m) => /relay-batch-1#2/.test(m.MessageAttributes?.['dts-error']?.StringValue ?? ''));
    expect(alone?.MessageAttributes?.['dts-type']?.StringValue).toBe('dts.HeartbeatMessage');
    const decoded = decodeBody('dts.HeartbeatMessage', alone?.Body ?? '');
    expect(decoded.ok && decoded.value.hostname).toBe('rb-bad');
  });

  it('a redelivered batch moves nothing: the writes are conditional on the receive time', async () => {
    const record = sqsRecord(batch([relayed('rb-again', SENT - 1_000)]), { sentAt: SENT, type: 'dts.HeartbeatBatch' });
    await handler(sqsEvent([record]), ctx());
    const first = await hostItem(cloud, 'rb-again');
    await handler(sqsEvent([record]), ctx());
    expect(await hostItem(cloud, 'rb-again')).toEqual(first);
  });
});
