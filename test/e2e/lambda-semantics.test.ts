/**
 * The local runtime invokes functions as Lambda does. A test-only stack (fixtures/
 * semantics-template.json, run with `--template`) has one queue with a 2 s visibility timeout and
 * a DLQ after 2 receives, a recorder function with a 1 s timeout, and a weekday cron rule; the
 * recorder writes down every event it gets, and the tests read that back through DynamoDB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ScheduledEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSchedule } from '../../tools/local/schedule';
import { ROOT, startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { EXTERNAL_ENDPOINT, targetAt, type Target } from './support/target';
import { eventually, findMessage } from './support/steps';

const RUN = randomUUID().slice(0, 8);
const TEMPLATE = path.join(ROOT, 'test', 'e2e', 'fixtures', 'semantics-template.json');

interface Seen {
  functionName: string;
  requestId: string;
  remainingMs: number;
  region: string;
  queueUrl: string;
  execArgv: string[];
  batch?: string[];
  record?: SQSRecord;
  event?: ScheduledEvent;
}

let cloud: CloudProcess;
let dataDir: string;
let t: Target;
let workQueueUrl: string;
let dlqUrl: string;

/** Everything the recorder wrote down for one id, oldest first. */
async function seen(id: string): Promise<Seen[]> {
  const { Items = [] } = await t.ddb.send(new QueryCommand({
    TableName: 'sem-seen', KeyConditionExpression: 'id = :id', ExpressionAttributeValues: { ':id': id }, ConsistentRead: true,
  }));
  return Items.map((i) => JSON.parse(i.json as string) as Seen);
}

async function sendTogether(bodies: string[]): Promise<void> {
  const reply = await t.sqs.send(new SendMessageBatchCommand({
    QueueUrl: workQueueUrl,
    Entries: bodies.map((body, i) => ({
      Id: String(i), MessageBody: body,
      MessageAttributes: { origin: { DataType: 'String', StringValue: 'e2e' }, n: { DataType: 'Number', StringValue: String(i) } },
    })),
  }));
  expect(reply.Failed ?? []).toEqual([]);
}

describe.skipIf(EXTERNAL_ENDPOINT !== undefined)('Lambda semantics of the local runtime (its own process only)', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-semantics-'));
    cloud = await startCloudProcess({ dataDir, inMemory: true, tick: 1, extraArgs: ['--template', TEMPLATE] });
    t = targetAt(cloud.endpoint, {} as never);
    workQueueUrl = `${cloud.endpoint}/000000000000/sem-work`;
    dlqUrl = `${cloud.endpoint}/000000000000/sem-work-dlq`;
  }, 120_000);

  afterAll(async () => {
    t?.destroy();
    if (cloud) expect(await cloud.stop('SIGINT')).toBe(0);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reports at start-up every property it cannot honour', () => {
    const out = cloud.output();
    expect(out).toMatch(/TimeToLiveSpecification: dynalite has no TTL.* — SeenTable\n/);
    expect(out).toMatch(/AWS::SQS::QueuePolicy: queue policies are not enforced locally — WorkQueuePolicy\n/);
    // The fixture's runtime is nodejs22.x: on any other Node, the difference is a notice too.
    const runtimeNotice = /Runtime: nodejs22\.x in the cloud; here the function runs on this machine's Node [\d.]+ — RecorderFunction\n/;
    if (process.versions.node.startsWith('22.')) expect(out).not.toMatch(runtimeNotice);
    else expect(out).toMatch(runtimeNotice);
    expect(out).toMatch(/sem-recorder ← every 1 s \(--tick; the template says cron\(0 12 \? \* MON-FRI \*\)\)/);
  });

  it('delivers a real SQSEvent, with the resolved environment and a Lambda context', async () => {
    const id = `${RUN}-shape`;
    const before = Date.now();
    await sendTogether([`ok:${id}`]);
    const [first] = await eventually(() => seen(id), (s) => s.length > 0);
    const record = first?.record as SQSRecord;
    expect(record.body).toBe(`ok:${id}`);
    expect(record.eventSource).toBe('aws:sqs');
    expect(record.eventSourceARN).toBe('arn:aws:sqs:us-east-1:000000000000:sem-work');
    expect(record.awsRegion).toBe('us-east-1');
    expect(record.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.receiptHandle).toBeTruthy();
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(record.messageAttributes.origin).toEqual({ stringValue: 'e2e', dataType: 'String', stringListValues: [], binaryListValues: [] });
    expect(record.messageAttributes.n?.dataType).toBe('Number');
    expect(first?.functionName).toBe('sem-recorder');
    expect(first?.region).toBe('us-east-1');
    expect(first?.queueUrl).toBe(workQueueUrl);
    expect(first?.remainingMs).toBeGreaterThan(0);
    expect(first?.remainingMs).toBeLessThanOrEqual(1000);
    // Plain node, as in Lambda: the cloud runs under tsx, its environments run bundles without it.
    expect(first?.execArgv.join(' ')).not.toMatch(/tsx/);
  });

  it('deletes only the successes of a batch with reported failures; the failure reaches the DLQ after maxReceiveCount', async () => {
    const ids = ['a', 'b', 'c'].map((x) => `${RUN}-partial-${x}`);
    await sendTogether([`ok:${ids[0]}`, `fail:${ids[1]}`, `ok:${ids[2]}`]);
    const dead = await findMessage(t, dlqUrl, (m) => m.Body === `fail:${ids[1]}`, 20_000);
    expect(dead, 'the reported failure is in the DLQ').toBeDefined();
    const [a, b, c] = await Promise.all(ids.map(seen));
    expect(a?.[0]?.batch, 'the three came in one batch').toEqual(expect.arrayContaining([`ok:${ids[0]}`, `fail:${ids[1]}`, `ok:${ids[2]}`]));
    expect(a).toHaveLength(1);
    expect(c).toHaveLength(1);
    expect(b?.map((s) => s.record?.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
  }, 40_000);

  it('fails the whole batch when the function throws', async () => {
    const ok = `${RUN}-thrown-ok`;
    const boom = `${RUN}-thrown-boom`;
    await sendTogether([`ok:${ok}`, `throw:${boom}`]);
    expect(await findMessage(t, dlqUrl, (m) => m.Body === `ok:${ok}`, 20_000), 'its batch mate failed with it').toBeDefined();
    const okSeen = await seen(ok);
    expect(okSeen.map((s) => s.record?.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
  }, 40_000);

  it('abandons an invocation that outlives its Timeout, and the batch fails', async () => {
    const id = `${RUN}-slow`;
    await sendTogether([`sleep:${id}`]);
    expect(await findMessage(t, dlqUrl, (m) => m.Body === `sleep:${id}`, 20_000)).toBeDefined();
    expect(cloud.output()).toMatch(/Task timed out after 1\.00 seconds/);
    expect(await seen(id)).toHaveLength(2);
  }, 40_000);

  it('invokes the schedule with a Scheduled Event (here every --tick)', async () => {
    const events = await eventually(() => seen('scheduled'), (s) => s.length >= 2, 10_000);
    expect(events.length).toBeGreaterThanOrEqual(2);
    const event = events[0]?.event as ScheduledEvent;
    expect(event['detail-type']).toBe('Scheduled Event');
    expect(event.source).toBe('aws.events');
    expect(event.resources).toEqual(['arn:aws:events:us-east-1:000000000000:rule/local-local-WeekdayNoon']);
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

describe('schedule expressions (EventBridge rate and cron, UTC)', () => {
  const at = (iso: string): number => Date.parse(iso);
  const next = (expression: string, after: string): string => new Date(parseSchedule(expression).next(at(after))).toISOString();

  it('reads rate(...) as a fixed period', () => {
    expect(next('rate(1 minute)', '2026-01-01T00:00:00.000Z')).toBe('2026-01-01T00:01:00.000Z');
    expect(next('rate(5 minutes)', '2026-01-01T00:00:00.000Z')).toBe('2026-01-01T00:05:00.000Z');
    expect(next('rate(2 hours)', '2026-01-01T00:00:00.000Z')).toBe('2026-01-01T02:00:00.000Z');
    expect(() => parseSchedule('rate(1 minutes)')).toThrow(/1 minute/);
    expect(() => parseSchedule('every minute')).toThrow(/rate\(\.\.\.\) or cron/);
  });

  it('reads AWS cron: six fields, ? and day-of-week 1 = Sunday, in UTC', () => {
    // 2026-01-02 is a Friday.
    expect(next('cron(0 12 ? * MON-FRI *)', '2026-01-02T12:00:00.000Z')).toBe('2026-01-05T12:00:00.000Z');
    expect(next('cron(0 8 ? * 2 *)', '2026-01-02T00:00:00.000Z')).toBe('2026-01-05T08:00:00.000Z');
    expect(next('cron(0 8 ? * 1 *)', '2026-01-02T00:00:00.000Z')).toBe('2026-01-04T08:00:00.000Z');
    expect(next('cron(15 10 1 * ? *)', '2026-01-02T00:00:00.000Z')).toBe('2026-02-01T10:15:00.000Z');
    expect(next('cron(0/15 * * * ? *)', '2026-01-02T00:07:00.000Z')).toBe('2026-01-02T00:15:00.000Z');
    expect(next('cron(0 0 1 1 ? 2028)', '2026-01-02T00:00:00.000Z')).toBe('2028-01-01T00:00:00.000Z');
    expect(() => parseSchedule('cron(0 12 * * *)')).toThrow(/6 fields/);
    expect(() => parseSchedule('cron(0 12 1 * 2 *)')).toThrow(/must be \?/);
  });
});
