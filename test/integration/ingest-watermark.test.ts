/**
 * The ingest watermark's two ends through the real SDK: the marks ingest writes in the monitor
 * item (conditional writes that never move backwards), and the reading diagnose makes of the
 * heartbeats queue (an empty queue, or a canary that ingest stores or does not).
 */
import { PurgeQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { establishWatermark, isCanary, settleWatermark } from '../../lib/app/ingest/watermark';
import { createClients } from '../../lib/adapters/clients';
import { SqsHeartbeatQueue } from '../../lib/adapters/sqs/heartbeat-queue';
import { MONITOR_KEY } from '../../lib/adapters/dynamodb/keys';
import { StatsStore } from '../../lib/adapters/dynamodb/stats';
import { encodeBody } from '../../lib/wire/codec';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { sqsRecord } from '../support/events';
import { Faults } from '../support/faults';
import { drain } from '../support/then';

let cloud: TestCloud;
let stats: StatsStore;
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, withinMs: number): Promise<T> {
  const until = Date.now() + withinMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  cloud = await startTestCloud();
  stats = new StatsStore(cloud.clients.ddb, cloud.names.statsTable);
});
afterAll(async () => cloud?.stop());
beforeEach(async () => {
  await cloud.clients.ddb.send(new DeleteCommand({ TableName: cloud.names.statsTable, Key: MONITOR_KEY }));
  await cloud.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: cloud.names.heartbeatsQueueUrl }));
});

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const beatRecord = (sentAt: number, id = `b-${sentAt}`) => sqsRecord(encodeBody('dts.HeartbeatMessage', { hostname: 'w-1', timestamp: sentAt / 1000 }), { sentAt, messageId: id });
const canaryRecord = (sentAt: number, stamp = sentAt) => sqsRecord(String(stamp), { sentAt, messageId: `c-${sentAt}`, type: 'dts.Canary' });

describe('the marks ingest keeps', () => {
  it('a canary is recorded after its batch, and an older one never moves the marks back', async () => {
    const settle = { stats, visibilityTimeoutMs: 180_000, retryBaseMs: 5000, now: () => T0, log: silent };
    expect(isCanary(canaryRecord(T0))).toBe(true);
    expect(isCanary(beatRecord(T0))).toBe(false);
    expect(await settleWatermark(settle, [beatRecord(T0 - 10)], new Set(), [canaryRecord(T0 - 5), canaryRecord(T0 - 1)])).toEqual([]);
    expect((await stats.monitor()).ingest).toEqual({ ingestedThrough: T0 - 1, canaryAt: T0 - 1 });
    await settleWatermark(settle, [], new Set(), [canaryRecord(T0 - 500)]);
    expect((await stats.monitor()).ingest).toEqual({ ingestedThrough: T0 - 1, canaryAt: T0 - 1 });
  });

  it('a stamp far ahead of SQS\'s own time is not diagnose\'s, and vouches for nothing', async () => {
    await settleWatermark({ stats, visibilityTimeoutMs: 180_000, retryBaseMs: 5000, now: () => T0, log: silent }, [], new Set(), [canaryRecord(T0, T0 + 3_600_000)]);
    expect((await stats.monitor()).ingest).toEqual({ ingestedThrough: T0, canaryAt: 0 });
  });

  it('beats that failed hold the watermark from the earliest of them, a relay\'s batch from its earliest stamp, until the hold expires', async () => {
    const settle = (now: number) => ({ stats, visibilityTimeoutMs: 180_000, retryBaseMs: 5000, now: () => now, log: silent });
    const relayed = sqsRecord(encodeBody('dts.HeartbeatBatch', {
      beats: [{ beat: { hostname: 'r-1', timestamp: (T0 - 9000) / 1000 }, receivedAt: (T0 - 9000) / 1000 }, { beat: { hostname: 'r-2', timestamp: (T0 - 4000) / 1000 }, receivedAt: (T0 - 4000) / 1000 }],
    }), { sentAt: T0 - 2000, messageId: 'relay-1', type: 'dts.HeartbeatBatch' });
    const failed = beatRecord(T0 - 3000, 'direct-1');
    await settleWatermark(settle(T0), [failed, relayed, beatRecord(T0 - 100, 'ok-1')], new Set(['direct-1', 'relay-1']), [canaryRecord(T0 - 50)]);
    // Records with no receipt handle cannot be sent back sooner: they wait for the visibility timeout.
    expect((await stats.monitor()).ingest).toEqual({ ingestedThrough: T0 - 50, canaryAt: T0 - 50, holdFrom: T0 - 9000, holdUntil: T0 + 180_000 });

    // A later failure keeps the earlier start while the hold lasts; its end only moves later.
    await settleWatermark(settle(T0 + 60_000), [beatRecord(T0 + 59_000, 'late-1')], new Set(['late-1']), []);
    expect((await stats.monitor()).ingest).toMatchObject({ holdFrom: T0 - 9000, holdUntil: T0 + 240_000 });
    // A canary sent after the failed beats came back is stored: the hold is over, and a new
    // failure starts a new one.
    await settleWatermark(settle(T0 + 250_000), [], new Set(), [canaryRecord(T0 + 245_000)]);
    await settleWatermark(settle(T0 + 600_000), [beatRecord(T0 + 599_000, 'later-1')], new Set(['later-1']), []);
    expect((await stats.monitor()).ingest).toMatchObject({ holdFrom: T0 + 599_000, holdUntil: T0 + 780_000 });
  });

  it('failed beats are handed out again after a short delay, and the hold lasts just that long', async () => {
    const queue = new SqsHeartbeatQueue(cloud.clients.sqs, cloud.names.heartbeatsQueueUrl);
    await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: cloud.names.heartbeatsQueueUrl, MessageBody: encodeBody('dts.HeartbeatMessage', { hostname: 'f-1' }) }));
    const [taken] = (await cloud.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: cloud.names.heartbeatsQueueUrl, VisibilityTimeout: 300, MessageSystemAttributeNames: ['All'] }))).Messages ?? [];
    const now = Date.now();
    const record = { ...sqsRecord(taken?.Body ?? '', { sentAt: Number(taken?.Attributes?.SentTimestamp), messageId: taken?.MessageId ?? 'm' }), receiptHandle: taken?.ReceiptHandle ?? '' };
    await settleWatermark({ stats, queue, visibilityTimeoutMs: 180_000, retryBaseMs: 1000, now: () => now, log: silent }, [record], new Set([record.messageId]), []);
    expect((await stats.monitor()).ingest).toEqual({ holdFrom: Number(taken?.Attributes?.SentTimestamp), holdUntil: now + 1000 });
    // Taken with a visibility of 300 s, it is back on the queue a second later.
    const again = await eventually(async () => (await cloud.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: cloud.names.heartbeatsQueueUrl, WaitTimeSeconds: 1 }))).Messages ?? [], (m) => m.length > 0, 5000);
    expect(again[0]?.MessageId).toBe(taken?.MessageId);
  });

  it('when the marks cannot be written, the batch\'s canaries fail too: SQS hands them out again', async () => {
    const faults = new Faults();
    const broken = faults.attach(createClients({ endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB, region: 'us-east-1', credentials: cloud.credentials }));
    faults.fail({ service: 'dynamodb', table: cloud.names.statsTable }, 'throttling');
    const failing = new StatsStore(broken.ddb, cloud.names.statsTable);
    const out = await settleWatermark({ stats: failing, visibilityTimeoutMs: 180_000, retryBaseMs: 5000, now: () => T0, log: silent }, [beatRecord(T0 - 10, 'x-1')], new Set(['x-1']), [canaryRecord(T0 - 5)]);
    expect(out).toEqual([`c-${T0 - 5}`]);
    expect((await stats.monitor()).ingest).toEqual({});
  });
});

describe('the watermark diagnose reads', () => {
  const queue = () => new SqsHeartbeatQueue(cloud.clients.sqs, cloud.names.heartbeatsQueueUrl);

  it('an empty queue vouches for now, and sends no canary', async () => {
    const before = Date.now();
    const w = await establishWatermark({ queue: queue(), stats, lagWaitMs: 1000, now: Date.now });
    expect(w.reasons).toEqual([]);
    expect(w.through).toBeGreaterThanOrEqual(before);
    expect(await drain(cloud, cloud.names.heartbeatsQueueUrl)).toEqual([]);
  });

  it('a queue nobody takes from: the canary is sent, not stored in time, and the reason says so', async () => {
    await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: cloud.names.heartbeatsQueueUrl, MessageBody: encodeBody('dts.HeartbeatMessage', { hostname: 'w-2' }) }));
    const w = await establishWatermark({ queue: queue(), stats, lagWaitMs: 300, now: Date.now, pollMs: 50 });
    expect(w.through).toBe(0);
    expect(w.reasons).toEqual([expect.stringMatching(/^ingest is behind: 1 message\(s\) wait/)]);
    const waiting = await drain(cloud, cloud.names.heartbeatsQueueUrl);
    expect(waiting.filter((m) => m.MessageAttributes?.['dts-type']?.StringValue === 'dts.Canary')).toHaveLength(1);
  });
});
