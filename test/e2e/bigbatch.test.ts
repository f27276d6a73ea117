/**
 * #10 repro 8 through the local cloud: sixteen LogBatches sent together, more than one
 * invocation can store in its time. The cloud runs with a 6 s ingest timeout, and for the first
 * 8 s of the run DynamoDB answers each BatchGetItem of the logs function after 3.5 s (injected
 * latency: a table that has slowed down). The first unit of 100 records then takes 3.5 s, so the
 * time budget (6 s less a quarter) may start no other after it, on any machine: it must send the
 * rest back as batch item failures before the timeout. They come back after the (lowered)
 * visibility timeout, to a table at its normal speed, and are finished without a record being
 * counted twice. Without the budget the invocation starts a second round of units inside the slow
 * spell and times out (tried: this test then fails). The cause of repro 8's empty store, reading
 * every message and asking for every record before the first write, is in docs/SEMANTICS.md.
 *
 * The full size (16 × 10,000 records, the template's own timeout) is `npm run bench:bigbatch`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { EXTERNAL_ENDPOINT, resourcesFromOutput, targetAt, type Target } from './support/target';
import { entry, eventually, findMessage, scanWhere } from './support/steps';
import { E2E_PARAMS, paramArgs } from './support/params';

const RUN = randomUUID().slice(0, 8);
const MESSAGES = 16;
const PER_BATCH = 150;
let cloud: CloudProcess | undefined;
let dataDir: string | undefined;
let t: Target;
let statsTable: string;

beforeAll(async () => {
  if (EXTERNAL_ENDPOINT) return;
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-bigbatch-'));
  cloud = await startCloudProcess({
    dataDir, inMemory: true, tick: 60,
    extraArgs: [
      // A short timeout, and a visibility timeout just above it so what is sent back returns soon
      // (the template keeps 6×, as AWS advises; the local poller has no throttling retries).
      ...paramArgs(E2E_PARAMS.bigbatch),
    ],
  });
  t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
  statsTable = /export DTS_STATS_TABLE=(\S+)/.exec(cloud.output())?.[1] as string;
}, 120_000);

afterAll(async () => {
  t?.destroy();
  if (cloud) expect(await cloud.stop('SIGINT')).toBe(0);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(EXTERNAL_ENDPOINT)('#10 repro 8: sixteen LogBatches at once, more than one invocation can store in its time', () => {
  it('stores and counts every record once; what an invocation could not finish came back before its timeout, and nothing reached the DLQ', async () => {
    const app = `h8-${RUN}`;
    const now = Date.now() / 1000;
    const slow = await fetch(`${t.endpoint}/_dts/faults`, { method: 'POST', body: 'dynamodb:BatchGetItem=latency:3500ms,for=8s,function=ingestLogs' });
    expect(slow.ok).toBe(true);
    await Promise.all(Array.from({ length: MESSAGES }, (_, b) => t.sqs.send(new SendMessageCommand({
      QueueUrl: t.resources.logsQueueUrl,
      ...entry('dts.LogBatch', {
        records: Array.from({ length: PER_BATCH }, (_, i) => ({ app, hostname: `h8-${b}`, timestamp: now, level: 20, text: `r${b}-${i}`, id: `${b}-${i}` })),
      }, 'protobuf'),
    }))));
    const counted = async () => Number((await scanWhere(t, statsTable, 'pk', `APP#${app}`))[0]?.l20 ?? 0);
    const queued = async () => {
      const { Attributes = {} } = await t.sqs.send(new GetQueueAttributesCommand({
        QueueUrl: t.resources.logsQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }));
      return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    };
    await eventually(queued, (n) => n === 0, 90_000, 500);

    const said = cloud?.output() ?? '';
    const tail = said.split('\n').filter((l) => l.startsWith('[ingestLogs]')).slice(-10).join('\n');
    expect(said, 'no invocation timed out').not.toMatch(/Task timed out/);
    expect(said, 'the budget sent messages back for lack of time').toMatch(/OutOfTimeError/);
    expect(await counted(), `records counted; the function said:\n${tail}`).toBe(MESSAGES * PER_BATCH);
    expect((await scanWhere(t, t.resources.logsTable, 'app', app)).length).toBe(MESSAGES * PER_BATCH);
    expect(await findMessage(t, t.resources.logsDlqUrl, () => true, 2_000), 'nothing in the DLQ').toBeUndefined();
  }, 150_000);
});
