/**
 * A relay's HeartbeatBatch through the real ingest function and engines: one write per beat,
 * judged on the relay's receive time bounded by SentTimestamp, and an invalid beat quarantined
 * alone while its neighbours are stored.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBody } from '../../lib/wire/codec';
import { decodeBody } from '../../lib/wire/codec';
import { loadConfig } from '../../lib/config';
import { BATCH_HOST_CONCURRENCY, ingestHeartbeatBatch } from '../../lib/app/ingest/heartbeats';
import { silentLog } from '../../lib/app/log';
import { AlertPublisher } from '../../lib/adapters/sns/alerts';
import { createClients } from '../../lib/adapters/clients';
import { HostStore } from '../../lib/adapters/dynamodb/hosts';
import { NotificationStore } from '../../lib/adapters/dynamodb/notifications';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
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

  it('writes a full flush BATCH_HOST_CONCURRENCY hosts at a time, one host\'s beats in order', async () => {
    // The real store on the engine, watched: how many writes are in flight, and in what order each host's go.
    class WatchedStore extends HostStore {
      inFlight = 0;
      maxInFlight = 0;
      readonly order: number[] = [];
      override async recordBeat(...args: Parameters<HostStore['recordBeat']>): ReturnType<HostStore['recordBeat']> {
        this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
        if (args[0].hostname === 'rb-full-busy') this.order.push(args[0].receivedAt);
        try {
          return await super.recordBeat(...args);
        } finally {
          this.inFlight--;
        }
      }
    }
    const base = { region: cloud.env.AWS_REGION ?? 'us-east-1', credentials: cloud.credentials };
    const clients = createClients({ ...base, endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB });
    const hosts = new WatchedStore(clients.ddb, cloud.names.hostsTable);
    const config = loadConfig({ ...process.env, ...cloud.env });
    const deps = {
      hosts, quarantine: undefined, levels: config.levels, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 }, log: silentLog,
      delivery: { notifications: new NotificationStore(clients.ddb, cloud.names.notificationsTable, 90), alerts: new AlertPublisher(clients.sns, cloud.names.alertsTopicArn), now: Date.now },
    };
    const n = 3 * BATCH_HOST_CONCURRENCY;
    const busy = [SENT - 3_000, SENT - 2_000, SENT - 1_000].map((at) => relayed('rb-full-busy', at));
    const beats = [...Array.from({ length: n }, (_, i) => relayed(`rb-full-${i}`, SENT - 5_000 + i)), ...busy];
    const body = batch(beats);
    const decoded = decodeBody('dts.HeartbeatBatch', body);
    if (!decoded.ok) throw new Error(decoded.error.reason);
    const record = sqsRecord(body, { sentAt: SENT, type: 'dts.HeartbeatBatch' });
    expect(await ingestHeartbeatBatch(deps, record, decoded.value)).toBe('stored');

    expect(hosts.maxInFlight).toBeLessThanOrEqual(BATCH_HOST_CONCURRENCY);
    expect(hosts.maxInFlight).toBeGreaterThan(16);
    expect(hosts.order).toEqual([SENT - 3_000, SENT - 2_000, SENT - 1_000]);
    for (const i of [0, n - 1]) expect(await hostItem(cloud, `rb-full-${i}`)).toMatchObject({ lastBeat: SENT - 5_000 + i });
    expect(await hostItem(cloud, 'rb-full-busy')).toMatchObject({ lastBeat: SENT - 1_000 });
  });

  it('a redelivered batch moves nothing: the writes are conditional on the receive time', async () => {
    const record = sqsRecord(batch([relayed('rb-again', SENT - 1_000)]), { sentAt: SENT, type: 'dts.HeartbeatBatch' });
    await handler(sqsEvent([record]), ctx());
    const first = await hostItem(cloud, 'rb-again');
    await handler(sqsEvent([record]), ctx());
    expect(await hostItem(cloud, 'rb-again')).toEqual(first);
  });
});
