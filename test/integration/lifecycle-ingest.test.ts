import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBody } from '../../lib/wire/codec';
import { tableName, World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/events';
import { drain, hostItem, notificationsOf } from '../support/then';

/** Clock skew, daily peaks and alert attributes, through the heartbeats handler and the real stores. */
let cloud: TestCloud;
let ingest: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env, { DTS_SILENCES_TABLE: tableName(cloud, 'silences'), DTS_SKEW_THRESHOLD: '30' });
  ({ handler: ingest } = await import('../../functions/ingest-heartbeats'));
});
afterAll(async () => cloud?.stop());

const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);

async function beat(hostname: string, receivedAt: number, o: { skewMs?: number; cpu?: number; disk?: number; labels?: Record<string, string> } = {}) {
  const body = encodeBody('dts.HeartbeatMessage', {
    hostname, timestamp: (receivedAt + (o.skewMs ?? 0)) / 1000, interval: 60, labels: o.labels ?? {},
    cpu: { percent: o.cpu ?? 10 }, disk: { percent: o.disk ?? 50 },
  });
  const out = await ingest(sqsEvent([sqsRecord(body, { sentAt: receivedAt })]), lambdaContext('ingestHeartbeats'));
  expect(out.batchItemFailures).toEqual([]);
}

describe('clock skew', () => {
  it('warns once when a clock goes beyond 30 s, stays quiet while it stays there, and says when it is back', async () => {
    await beat('skew-1', T0, { skewMs: 30_000 });
    await beat('skew-1', T0 + 60_000, { skewMs: 45_000 });
    await beat('skew-1', T0 + 120_000, { skewMs: 50_000 });
    await beat('skew-1', T0 + 180_000, { skewMs: 200 });

    const kinds = (await notificationsOf(cloud, 'skew-1')).map((n) => [n.kind, n.at]);
    expect(kinds).toEqual([['clock-skew', T0 + 60_000], ['clock-ok', T0 + 180_000]]);
    expect(await hostItem(cloud, 'skew-1')).toMatchObject({ skewMs: 200 });
  });
});

describe('daily peaks in the beat\'s own write', () => {
  it('keeps the highest whole percent per resource and UTC day on the host item', async () => {
    await beat('peak-1', T0, { cpu: 12.4, disk: 60 });
    await beat('peak-1', T0 + 60_000, { cpu: 71.6, disk: 58 });
    await beat('peak-1', T0 + 120_000, { cpu: 33, disk: 59 });
    const item = await hostItem(cloud, 'peak-1');
    expect([...(item?.seen_cpu_20261121 as Set<number>)].sort((a, b) => a - b)).toEqual([12, 33, 72]);

    const w = new World(cloud, T0);
    expect((await w.hosts.get('peak-1'))?.dailyPeaks).toEqual({ '2026-11-21': { cpu: 72, disk: 60 } });
  });

  it('a beat in steady state is one DynamoDB request: no read, not of the silences either', async () => {
    const w = new World(cloud, T0);
    await w.beat('steady-1', { interval: 60 });
    const sent: string[] = [];
    cloud.clients.ddb.middlewareStack.add((next) => async (args) => {
      sent.push((args.input as { TableName?: string }).TableName ?? '?');
      return next(args);
    }, { step: 'initialize', name: 'countRequests' });
    try {
      w.now += 60_000;
      await w.beat('steady-1', { interval: 60 });
    } finally {
      cloud.clients.ddb.middlewareStack.remove('countRequests');
    }
    expect(sent).toEqual([cloud.names.hostsTable]);
  });
});

describe('what goes out on the alerts topic', () => {
  it('carries severity, kind, hostname and the host\'s labels as attributes, and a subject to act on', async () => {
    await drain(cloud, cloud.names.alertsQueueUrl);
    await beat('attr-1', T0, { disk: 50, labels: { role: 'db', rack: 'r9', 'dts.disk.critical': '95' } });
    await beat('attr-1', T0 + 60_000, { disk: 91, labels: { role: 'db', rack: 'r9', 'dts.disk.critical': '95' } });

    const messages = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => JSON.parse(m.Body as string))
      .filter((p) => p.MessageAttributes?.hostname?.Value === 'attr-1');
    expect(messages).toHaveLength(1);
    const [m] = messages;
    expect(m.Subject).toBe('[dts warning] attr-1 disk rose to warning: 91.0% (warning 80%, critical 95%)');
    expect(Object.fromEntries(Object.entries(m.MessageAttributes as Record<string, { Value: string }>).map(([k, v]) => [k, v.Value]))).toMatchObject({
      severity: 'warning', kind: 'resource-warning', hostname: 'attr-1', 'label.role': 'db', 'label.rack': 'r9',
    });
    expect(m.MessageAttributes['label.dts.disk.critical']).toBeUndefined();
    expect(m.Message).toContain('labels:   role=db rack=r9 dts.disk.critical=95');
  });
});
