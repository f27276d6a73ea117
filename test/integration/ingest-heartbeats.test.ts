import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBody } from '../../lib/wire/codec';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/events';
import { drain, hostItem, notificationsOf } from '../support/then';

let cloud: TestCloud;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
const ctx = () => lambdaContext('ingestHeartbeats');

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env);
  ({ handler } = await import('../../functions/ingest-heartbeats'));
});
afterAll(async () => cloud?.stop());

const NOW = Date.now();

function beat(hostname: string, o: { at?: number; disk?: number; cpu?: number; goodbye?: boolean; interval?: number } = {}): string {
  return encodeBody('dts.HeartbeatMessage', {
    hostname,
    timestamp: (o.at ?? NOW) / 1000,
    interval: o.interval ?? 60,
    cpu: { percent: o.cpu ?? 12.5, cores: 4, load1: 0.5 },
    mem: { percent: 40, total: 8e9, used: 3.2e9, available: 4.8e9 },
    disk: { percent: o.disk ?? 50, total: 1e11, used: 5e10, mount: '/' },
    labels: { role: 'web' },
    agent: { name: 'dts-agent', version: '0.1.0' },
    uptime: 3600,
    goodbye: o.goodbye ?? false,
  });
}

describe('ingest heartbeats', () => {
  it('stores a beat with the queue time as lastBeat, the host time as sentAt, and their skew', async () => {
    const hostAhead = NOW + 2_500;
    const result = await handler(sqsEvent([sqsRecord(beat('web-1', { at: hostAhead }), { sentAt: NOW })]), ctx());

    expect(result.batchItemFailures).toEqual([]);
    const item = await hostItem(cloud, 'web-1');
    expect(item).toMatchObject({
      hostname: 'web-1', state: 'new', lastBeat: NOW, sentAt: hostAhead, skewMs: 2_500, interval: 60,
      labels: { role: 'web' }, agent: { name: 'dts-agent', version: '0.1.0' }, uptime: 3600,
    });
    expect(item?.cpuLevel).toBeUndefined();
    expect(item?.disk).toMatchObject({ percent: 50, mount: '/' });
  });

  it('accepts the protobuf JSON mapping of a beat', async () => {
    const json = JSON.stringify({ hostname: 'json-1', timestamp: NOW / 1000, interval: 30, mem: { percent: 10 } });
    const result = await handler(sqsEvent([sqsRecord(json, { sentAt: NOW })]), ctx());

    expect(result.batchItemFailures).toEqual([]);
    expect(await hostItem(cloud, 'json-1')).toMatchObject({ lastBeat: NOW, interval: 30, mem: { percent: 10 } });
  });

  it('stores a redelivered beat once and changes nothing the second time', async () => {
    const record = sqsRecord(beat('web-2'), { sentAt: NOW, messageId: 'm-redelivered' });
    await handler(sqsEvent([record]), ctx());
    const first = await hostItem(cloud, 'web-2');

    const again = await handler(sqsEvent([{ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } }]), ctx());

    expect(again.batchItemFailures).toEqual([]);
    expect(await hostItem(cloud, 'web-2')).toEqual(first);
  });

  it('never moves lastBeat backwards when beats arrive out of order', async () => {
    const newer = sqsRecord(beat('web-3', { at: NOW, cpu: 70 }), { sentAt: NOW });
    const older = sqsRecord(beat('web-3', { at: NOW - 60_000, cpu: 10 }), { sentAt: NOW - 60_000 });
    await handler(sqsEvent([newer]), ctx());

    const result = await handler(sqsEvent([older]), ctx());

    expect(result.batchItemFailures).toEqual([]);
    const item = await hostItem(cloud, 'web-3');
    expect(item).toMatchObject({ lastBeat: NOW, cpu: { percent: 70 } });
  });

  it('quarantines a poison message in the DLQ with its reason and stores the other nine', async () => {
    const records = Array.from({ length: 10 }, (_, i) =>
      i === 4 ? sqsRecord('this is not protobuf!', { messageId: 'poison-1' }) : sqsRecord(beat(`batch-${i}`), { sentAt: NOW }));

    const result = await handler(sqsEvent(records), ctx());

    expect(result.batchItemFailures).toEqual([]);
    for (let i = 0; i < 10; i++) {
      if (i === 4) continue;
      expect(await hostItem(cloud, `batch-${i}`)).toMatchObject({ lastBeat: NOW });
    }
    const dlq = await drain(cloud, cloud.names.heartbeatsDlqUrl);
    const poison = dlq.find((m) => m.Body === 'this is not protobuf!');
    expect(poison?.MessageAttributes?.['dts-error']?.StringValue).toMatch(/body: neither base64 protobuf nor a JSON object.*poison-1/);
  });

  it('quarantines a beat that decodes but is invalid, naming the field', async () => {
    const bad = encodeBody('dts.HeartbeatMessage', { hostname: 'bad-1', timestamp: NOW / 1000, disk: { percent: 140 } });
    await handler(sqsEvent([sqsRecord(bad, { messageId: 'bad-disk' })]), ctx());

    expect(await hostItem(cloud, 'bad-1')).toBeUndefined();
    const dlq = await drain(cloud, cloud.names.heartbeatsDlqUrl);
    expect(dlq.map((m) => m.MessageAttributes?.['dts-error']?.StringValue)).toContainEqual(expect.stringMatching(/^disk\.percent: 140 is not a percent/));
  });

  it('sends a beat whose write the table refuses to the DLQ at once, with the refusal; the others are stored', async () => {
    // A stored item the update cannot apply to: the engine rejects this one write.
    await cloud.clients.ddb.send(new PutCommand({ TableName: cloud.names.hostsTable, Item: { hostname: 'broken-1', cpuStreak: 'not-a-number', lastBeat: 1 } }));
    const ok = sqsRecord(beat('fine-1', { cpu: 90 }), { sentAt: NOW });
    const broken = sqsRecord(beat('broken-1', { cpu: 90 }), { sentAt: NOW, messageId: 'broken' });

    const result = await handler(sqsEvent([ok, broken]), ctx());

    // A ValidationException is a verdict, not a hiccup: retrying five times would change nothing.
    expect(result.batchItemFailures).toEqual([]);
    expect(await hostItem(cloud, 'fine-1')).toMatchObject({ lastBeat: NOW, cpuStreak: 1 });
    const dlq = await drain(cloud, cloud.names.heartbeatsDlqUrl);
    expect(dlq.find((m) => m.MessageAttributes?.['dts-error']?.StringValue?.includes('(message broken)'))?.MessageAttributes?.['dts-error']?.StringValue)
      .toMatch(/^store: refused: ValidationException: /);
  });

  it('notifies a resource level change once, and not on the beats that follow', async () => {
    for (const [i, disk] of [50, 93, 94, 93].entries()) {
      await handler(sqsEvent([sqsRecord(beat('disk-1', { disk }), { sentAt: NOW + i * 1000 })]), ctx());
    }

    const item = await hostItem(cloud, 'disk-1');
    expect(item).toMatchObject({ diskLevel: 'critical', cpuLevel: 'ok', memLevel: 'ok' });
    const ns = await notificationsOf(cloud, 'disk-1');
    expect(ns.map((n) => [n.kind, n.severity, n.at])).toEqual([['resource-critical', 'critical', NOW + 1000]]);
    expect(ns[0]?.publishedAt).toBeTypeOf('number');
  });

  it('clears a level only below its threshold minus the margin, and says so once', async () => {
    for (const [i, disk] of [85, 77, 74, 60].entries()) {
      await handler(sqsEvent([sqsRecord(beat('disk-2', { disk }), { sentAt: NOW + i * 1000 })]), ctx());
    }

    const ns = await notificationsOf(cloud, 'disk-2');
    expect(ns.map((n) => [n.kind, n.at])).toEqual([['resource-warning', NOW], ['resource-ok', NOW + 2000]]);
  });

  it('publishes level changes on the alerts topic with filterable attributes', async () => {
    await handler(sqsEvent([sqsRecord(beat('disk-3', { disk: 99 }), { sentAt: NOW })]), ctx());

    const published = await drain(cloud, cloud.names.alertsQueueUrl);
    const envelope = published.map((m) => JSON.parse(m.Body as string)).find((b) => b.MessageAttributes?.hostname?.Value === 'disk-3');
    expect(envelope?.Subject).toMatch(/^\[dts critical\] disk-3 disk rose to critical/);
    expect(envelope?.MessageAttributes).toMatchObject({ severity: { Value: 'critical' }, kind: { Value: 'resource-critical' } });
  });

  it('counts cpu only after sustained high beats', async () => {
    for (const [i, cpu] of [97, 97].entries()) {
      await handler(sqsEvent([sqsRecord(beat('cpu-1', { cpu }), { sentAt: NOW + i * 1000 })]), ctx());
    }
    expect(await hostItem(cloud, 'cpu-1')).toMatchObject({ cpuStreak: 2 });
    expect(await notificationsOf(cloud, 'cpu-1')).toEqual([]);

    await handler(sqsEvent([sqsRecord(beat('cpu-1', { cpu: 97 }), { sentAt: NOW + 2000 })]), ctx());

    expect(await hostItem(cloud, 'cpu-1')).toMatchObject({ cpuStreak: 3, cpuLevel: 'critical' });
    expect((await notificationsOf(cloud, 'cpu-1')).map((n) => n.kind)).toEqual(['resource-critical']);
  });

  it('moves a host that says goodbye to left, with one notification', async () => {
    await handler(sqsEvent([sqsRecord(beat('bye-1'), { sentAt: NOW })]), ctx());
    await handler(sqsEvent([sqsRecord(beat('bye-1', { goodbye: true }), { sentAt: NOW + 1000 })]), ctx());

    expect(await hostItem(cloud, 'bye-1')).toMatchObject({ state: 'left', stateSince: NOW + 1000 });
    expect((await notificationsOf(cloud, 'bye-1')).map((n) => n.kind)).toEqual(['host-left']);
  });
});
