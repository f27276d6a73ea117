/**
 * Fault injection in the running local cloud (`npm start -- --faults`, and /_dts/faults while it
 * runs), seen by real functions: a killed worker's invocation fails as a crashed Lambda, its SQS
 * messages come back after their visibility timeout, and throttled writes are retried until
 * nothing is lost. The recorder fixture (fixtures/semantics-template.json) writes down every
 * record it gets; its queue has a 2 s visibility timeout and a DLQ after 2 receives.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { faults } from './support/faults';
import { EXTERNAL_ENDPOINT, resourcesFromOutput, targetAt, type Target } from './support/target';
import { entry, eventually, logRecord, scanWhere, sendBatch } from './support/steps';

const RUN = randomUUID().slice(0, 8);
const TEMPLATE = path.join(ROOT, 'test', 'e2e', 'fixtures', 'semantics-template.json');

interface Seen { requestId: string; record?: SQSRecord }

describe.skipIf(EXTERNAL_ENDPOINT !== undefined)('fault injection in the running local cloud (its own process only)', () => {
  let cloud: CloudProcess;
  let dataDir: string;
  let t: Target;
  let workQueueUrl: string;

  async function seen(id: string): Promise<Seen[]> {
    const { Items = [] } = await t.ddb.send(new QueryCommand({
      TableName: 'sem-seen', KeyConditionExpression: 'id = :id', ExpressionAttributeValues: { ':id': id }, ConsistentRead: true,
    }));
    return Items.map((i) => JSON.parse(i.json as string) as Seen);
  }
  const send = (body: string) => t.sqs.send(new SendMessageCommand({ QueueUrl: workQueueUrl, MessageBody: body }));

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-faults-'));
    // The schedule would write too; --tick 3600 keeps it out of the way.
    cloud = await startCloudProcess({ dataDir, inMemory: true, tick: 3600, extraArgs: ['--template', TEMPLATE, '--faults', 'sqs:SendMessage@sem-work=latency:1ms,count=1'] });
    t = targetAt(cloud.endpoint, {} as never);
    workQueueUrl = `${cloud.endpoint}/000000000000/sem-work`;
  }, 120_000);
  afterEach(async () => faults.clear(cloud.endpoint));
  afterAll(async () => {
    t?.destroy();
    if (cloud) expect(await cloud.stop('SIGINT')).toBe(0);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('takes --faults at start and prints them', () => {
    expect(cloud.output()).toMatch(/Faults injected \(change them at http:\/\/[\d.:]+\/_dts\/faults\)\n {2}f1 {2}sqs:SendMessage@sem-work=latency:1ms,count=1/);
  });

  it('kill-after: the write commits, the worker dies before the answer, and the message comes back to a fresh worker', async () => {
    const id = `${RUN}-kill-after`;
    await faults.add(cloud.endpoint, 'dynamodb:PutItem@sem-seen=kill-after,count=1,function=recorder');
    await send(`ok:${id}`);
    const records = await eventually(() => seen(id), (s) => s.length >= 2, 20_000);
    // The first write happened before the kill; the redelivery wrote again.
    expect(records.map((s) => s.record?.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(records[0]?.record?.messageId).toBe(records[1]?.record?.messageId);
    expect(new Set(records.map((s) => s.requestId)).size).toBe(2);
    expect(cloud.output()).toMatch(/fault f\d+ dynamodb:PutItem@sem-seen=kill-after,count=1,function=recorder: killed the worker of sem-recorder/);
    expect(cloud.output()).toMatch(/batch of 1 failed: environment killed \(fault f\d+: kill-after on dynamodb:PutItem sem-seen\)/);
  }, 40_000);

  it('kill-before: the write never happens, and the redelivery makes it', async () => {
    const id = `${RUN}-kill-before`;
    const [rule] = await faults.add(cloud.endpoint, 'dynamodb:PutItem@sem-seen=kill-before,count=1');
    await send(`ok:${id}`);
    const records = await eventually(() => seen(id), (s) => s.length >= 1, 20_000);
    expect(records.map((s) => s.record?.attributes.ApproximateReceiveCount)).toEqual(['2']);
    expect((await faults.list(cloud.endpoint)).find((r) => r.id === rule?.id)).toMatchObject({ injected: 1, active: false });
  }, 40_000);

  // 5xx rather than a throttle: the SDK backs off ~100 ms from a 5xx, ~500 ms from a throttle,
  // and the recorder's timeout is 1 s (throttles are in the stack test below and in
  // test/integration/local-faults.test.ts).
  it('a write that fails with a 5xx is retried by the function\'s own SDK, and the batch succeeds at once', async () => {
    const id = `${RUN}-5xx`;
    const [rule] = await faults.add(cloud.endpoint, 'dynamodb:PutItem@sem-seen=5xx,count=2');
    await send(`ok:${id}`);
    const records = await eventually(() => seen(id), (s) => s.length >= 1, 20_000);
    expect(records.map((s) => s.record?.attributes.ApproximateReceiveCount)).toEqual(['1']);
    expect((await faults.list(cloud.endpoint)).find((r) => r.id === rule?.id)).toMatchObject({ injected: 2 });
  }, 30_000);
});

describe.skipIf(EXTERNAL_ENDPOINT !== undefined)('the real stack with BatchWriteItem throttled and diagnose killed (its own process only)', () => {
  let cloud: CloudProcess;
  let dataDir: string;
  let t: Target;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-faults-stack-'));
    cloud = await startCloudProcess({
      dataDir, inMemory: true, tick: 1, stage: 'faults',
      extraArgs: ['--quiet', '--faults', [
        // Bounded so that the function's own retries absorb them (the SDK makes 5 attempts, the
        // store retries unprocessed items 8 times): a chunk that failed would come back only
        // after the queue's 180 s visibility timeout.
        'dynamodb:BatchWriteItem=throttle,rate=0.5,count=4',
        'dynamodb:BatchWriteItem=unprocessed,rate=0.5,count=7',
        // diagnose dies at its first DynamoDB call, four times: then it runs again.
        'dynamodb:*=kill-before,function=diagnose,count=4',
      ].join(';')],
    });
    t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
  }, 120_000);
  afterAll(async () => {
    t?.destroy();
    if (cloud) expect(await cloud.stop('SIGINT')).toBe(0);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('loses no log record, and duplicates none', async () => {
    const app = `e2e-${RUN}-throttled`;
    const ids = Array.from({ length: 300 }, (_, i) => `${RUN}-t-${i}`);
    await sendBatch(t, t.resources.logsQueueUrl, ids.map((id) => entry('dts.LogMessage', logRecord(app, id, id), 'protobuf')));
    const stored = await eventually(() => scanWhere(t, t.resources.logsTable, 'app', app), (items) => items.length >= ids.length, 150_000, 500);
    expect(new Set(stored.map((i) => i.id)).size).toBe(ids.length);
    expect(stored).toHaveLength(ids.length);
    const rules = (await faults.list(cloud.endpoint)).filter((r) => r.rule.startsWith('dynamodb:BatchWriteItem'));
    expect(rules.every((r) => r.injected > 0), JSON.stringify(rules)).toBe(true);
  }, 180_000);

  it('--tick speeds up diagnose only: the report keeps its cron', () => {
    expect(cloud.output()).toMatch(/diagnose ← every 1 s \(--tick; the template says rate\(1 minute\)\)/);
    expect(cloud.output()).toMatch(/report ← cron\(0 8 \* \* \? \*\) UTC/);
  });

  it('says when a schedule has not run for three periods, in the log and at /_dts/schedules, and when it runs again', async () => {
    const notRunning = /! schedule \S+ \(dts-faults-diagnose\) is NOT RUNNING: no successful run for 3 periods of 1 s/;
    await eventually(async () => cloud.output(), (out) => notRunning.test(out), 30_000, 200);
    expect(cloud.output()).toMatch(notRunning);
    expect(cloud.output()).toMatch(/batch|failed: environment killed \(fault f\d+: kill-before on dynamodb:/);
    await eventually(async () => cloud.output(), (out) => /schedule \S+ \(dts-faults-diagnose\) is running again/.test(out), 60_000, 500);
    const { schedules } = await (await fetch(`${cloud.endpoint}/_dts/schedules`)).json() as { schedules: Array<{ functions: string[]; state: string; lastSucceededAt?: string }> };
    const diagnose = schedules.find((s) => s.functions.includes('dts-faults-diagnose'));
    expect(diagnose).toMatchObject({ state: 'running', lastSucceededAt: expect.any(String) });
  }, 100_000);
});
