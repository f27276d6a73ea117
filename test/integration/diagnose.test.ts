import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DiagnoseSummary } from '../../lib/app/diagnose/pass';
import { MONITOR_KEY } from '../../lib/adapters/dynamodb/keys';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { encodeBody } from '../../lib/wire/codec';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaContext, scheduledEvent, sqsEvent, sqsRecord } from '../support/events';
import { drain, hostItem, notificationsOf } from '../support/then';

let cloud: TestCloud;
let ingest: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let diagnose: (event: ScheduledEvent, context: Context) => Promise<DiagnoseSummary>;


beforeAll(async () => {
  cloud = await startTestCloud();
  // One pass per run: the deadline watch is tested in diagnose-deadlines.test.ts.
  // No storms here: the hosts of these tests die at made-up times seconds apart, which a storm
  // (deaths within a minute of each other, whichever pass declared them) would group.
  Object.assign(process.env, cloud.env, { DTS_LAG_WAIT_SECONDS: '1', DTS_SCAN_SEGMENTS: '3', DTS_WATCH_SECONDS: '0', DTS_STORM_MIN_HOSTS: '1000' });
  ({ handler: ingest } = await import('../../functions/ingest-heartbeats'));
  ({ handler: diagnose } = await import('../../functions/diagnose'));
});
afterAll(async () => cloud?.stop());
// Each test starts with a monitor that ran a moment ago and is healthy.
beforeEach(async () => {
  await cloud.clients.ddb.send(new DeleteCommand({ TableName: cloud.names.statsTable, Key: MONITOR_KEY }));
});

/** A beat the queue accepted `ago` ms before now, from a host declaring `interval` seconds. */
async function beatReceived(hostname: string, ago: number, interval = 60) {
  const at = Date.now() - ago;
  const body = encodeBody('dts.HeartbeatMessage', { hostname, timestamp: at / 1000, interval });
  const result = await ingest(sqsEvent([sqsRecord(body, { sentAt: at })]), lambdaContext('ingestHeartbeats'));
  expect(result.batchItemFailures).toEqual([]);
  return at;
}

const run = () => diagnose(scheduledEvent(), lambdaContext('diagnose', 50_000));
const monitorItem = async () => (await cloud.clients.ddb.send(new GetCommand({ TableName: cloud.names.statsTable, Key: MONITOR_KEY }))).Item ?? {};

/** Ingest takes whatever waits on the heartbeats queue, as the event source mapping would; returns how many messages. */
async function consumeQueue(): Promise<number> {
  let taken = 0;
  for (;;) {
    const out = await cloud.clients.sqs.send(new ReceiveMessageCommand({
      QueueUrl: cloud.names.heartbeatsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'],
    }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) return taken;
    const records = messages.map((m) => ({
      ...sqsRecord(m.Body ?? '', { messageId: m.MessageId, sentAt: Number(m.Attributes?.SentTimestamp), type: m.MessageAttributes?.['dts-type']?.StringValue }),
      receiptHandle: m.ReceiptHandle ?? '',
    }));
    const result = await ingest(sqsEvent(records), lambdaContext('ingestHeartbeats'));
    expect(result.batchItemFailures).toEqual([]);
    await cloud.clients.sqs.send(new DeleteMessageBatchCommand({
      QueueUrl: cloud.names.heartbeatsQueueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
    }));
    taken += messages.length;
  }
}
const kinds = async (hostname: string) => (await notificationsOf(cloud, hostname)).map((n) => n.kind);

describe('diagnose', () => {
  it('brings a new host up, then declares it dead once its deadline passes, exactly once', async () => {
    await beatReceived('d-1', 1_000, 60);
    await run();
    expect(await hostItem(cloud, 'd-1')).toMatchObject({ state: 'alive' });

    // Its last beat is now 181 s old against a 60 s × 3 deadline.
    await cloud.clients.ddb.send(new UpdateCommand({
      TableName: cloud.names.hostsTable, Key: { hostname: 'd-1' },
      UpdateExpression: 'SET lastBeat = :old', ExpressionAttributeValues: { ':old': Date.now() - 181_000 },
    }));
    const summary = await run();
    await run();

    expect(summary.transitions['host-down']).toBe(1);
    expect(await hostItem(cloud, 'd-1')).toMatchObject({ state: 'dead' });
    expect(await kinds('d-1')).toEqual(['host-up', 'host-down']);
  });

  it('leaves a host alive one interval × tolerance minus a little after its last beat', async () => {
    await beatReceived('d-2', 170_000, 60);
    await run();
    expect(await hostItem(cloud, 'd-2')).toMatchObject({ state: 'alive' });
  });

  it('holds each host to its own interval', async () => {
    await beatReceived('fast-1', 10_000, 2);
    await beatReceived('slow-1', 10_000, 600);
    await run();
    expect((await hostItem(cloud, 'fast-1'))?.state).toBe('dead');
    expect((await hostItem(cloud, 'slow-1'))?.state).toBe('alive');
  });

  it('writes one notification when two runs overlap', async () => {
    await beatReceived('race-1', 400_000, 60);

    const [a, b] = await Promise.all([run(), run()]);

    expect((a.transitions['host-down'] ?? 0) + (b.transitions['host-down'] ?? 0)).toBe(1);
    expect(await kinds('race-1')).toEqual(['host-down']);
  });

  it('recovers a dead host when its beats resume, recording how long it was down', async () => {
    const last = await beatReceived('rec-1', 300_000, 60);
    await run();
    expect((await hostItem(cloud, 'rec-1'))?.state).toBe('dead');

    const back = await beatReceived('rec-1', 0, 60);
    await beatReceived('rec-1', -1, 60);
    await run();

    expect(await hostItem(cloud, 'rec-1')).toMatchObject({ state: 'alive', stateSince: back });
    const recovered = (await notificationsOf(cloud, 'rec-1')).find((n) => n.kind === 'host-recovered');
    expect(recovered).toMatchObject({ at: back, details: { downtimeSeconds: String(Math.round((back - last) / 1000)) } });
  });

  it('does not count the silence after a goodbye as an outage', async () => {
    await beatReceived('bye-2', 500_000, 60);
    const goodbye = encodeBody('dts.HeartbeatMessage', { hostname: 'bye-2', timestamp: (Date.now() - 400_000) / 1000, goodbye: true });
    await ingest(sqsEvent([sqsRecord(goodbye, { sentAt: Date.now() - 400_000 })]), lambdaContext('ingestHeartbeats'));

    await run();

    expect((await hostItem(cloud, 'bye-2'))?.state).toBe('left');
    expect(await kinds('bye-2')).toEqual(['host-left']);
  });

  it('publishes each new notification on the alerts topic', async () => {
    await drain(cloud, cloud.names.alertsQueueUrl);
    await beatReceived('pub-1', 400_000, 60);

    await run();

    const published = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => JSON.parse(m.Body as string));
    const down = published.filter((p) => p.MessageAttributes?.hostname?.Value === 'pub-1');
    expect(down.map((p) => p.MessageAttributes.kind.Value)).toEqual(['host-down']);
    expect(down[0]?.Subject).toMatch(/^\[dts critical\] pub-1 is down/);
  });

  it('holds a death while a beat that disproves it waits on the queue, says why once, and never declares it', async () => {
    await beatReceived('lag-1', 400_000, 60);
    // lag-1's next beat, and others, wait on the queue: nobody consumes it yet.
    await cloud.clients.sqs.send(new SendMessageBatchCommand({
      QueueUrl: cloud.names.heartbeatsQueueUrl,
      Entries: Array.from({ length: 10 }, (_, j) => ({ Id: `b${j}`, MessageBody: encodeBody('dts.HeartbeatMessage', { hostname: j === 0 ? 'lag-1' : `q-${j}`, timestamp: Date.now() / 1000 }) })),
    }));

    const first = await run();
    const second = await run();

    // Its deadline passed 220 s ago, but the beat that proves it alive is not stored yet.
    expect(first.degraded[0]).toMatch(/^ingest is behind: \d+ message\(s\) wait on the heartbeats queue and a canary sent at .* is not stored yet/);
    expect(second.degraded).toHaveLength(1);
    expect((await hostItem(cloud, 'lag-1'))?.state).toBe('new');
    expect(await kinds('@monitor')).toEqual(['monitor-degraded']);

    // Ingest catches up: the beats, then the canaries the passes sent.
    expect(await consumeQueue()).toBeGreaterThanOrEqual(12);
    const caughtUp = await run();

    expect(caughtUp.degraded).toEqual([]);
    expect((await hostItem(cloud, 'lag-1'))?.state).toBe('alive');
    expect(await kinds('lag-1')).toEqual(['host-up']);
    expect(await kinds('@monitor')).toEqual(['monitor-degraded', 'monitor-ok']);
  });

  it('trusts a busy queue that ingest keeps up with: its canary comes back, and a real death is declared', async () => {
    await beatReceived('big-1', 400_000, 60);
    await cloud.clients.sqs.send(new SendMessageBatchCommand({
      QueueUrl: cloud.names.heartbeatsQueueUrl,
      Entries: Array.from({ length: 10 }, (_, j) => ({ Id: `b${j}`, MessageBody: encodeBody('dts.HeartbeatMessage', { hostname: `r-${j}`, timestamp: Date.now() / 1000 }) })),
    }));

    // The pass finds the queue busy and sends a canary; ingest takes the queue a moment later.
    const passing = run();
    await new Promise((r) => setTimeout(r, 300));
    await consumeQueue();
    const pass = await passing;

    expect(pass.degraded).toEqual([]);
    expect((await hostItem(cloud, 'big-1'))?.state).toBe('dead');
    expect(Number((await monitorItem()).canaryAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('after its own outage, trusts no silence for one pass', async () => {
    await beatReceived('gap-1', 400_000, 60);
    await cloud.clients.ddb.send(new UpdateCommand({
      TableName: cloud.names.statsTable, Key: MONITOR_KEY,
      UpdateExpression: 'SET lastRun = :t', ExpressionAttributeValues: { ':t': Date.now() - 600_000 },
    }));

    const first = await run();
    expect(first.degraded[0]).toMatch(/^diagnose last ran 10m/);
    expect((await hostItem(cloud, 'gap-1'))?.state).toBe('new');

    const second = await run();
    expect(second.degraded).toEqual([]);
    expect((await hostItem(cloud, 'gap-1'))?.state).toBe('dead');
  });
});
