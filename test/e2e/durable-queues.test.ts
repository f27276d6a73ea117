/**
 * An acknowledged send survives `kill -9` of the local cloud (the queue journal), a restart
 * restores large messages within SQS's limits, and bodies with any valid Unicode pass through as
 * AWS passes them. These tests kill and restart the cloud, so they run only against its own.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { EXTERNAL_ENDPOINT, REGION, resourcesFromOutput, targetAt, type Target } from './support/target';
import { beat, entry, eventually, findMessage, host, logRecord, scanWhere, sendBatch } from './support/steps';

const RUN = randomUUID().slice(0, 8);
const running: CloudProcess[] = [];
const targets: Target[] = [];
let dataDir: string;

async function start(extraArgs: string[] = []): Promise<{ cloud: CloudProcess; t: Target }> {
  const cloud = await startCloudProcess({ dataDir, tick: 3600, stage: 'durable', extraArgs: ['--quiet', ...extraArgs] });
  running.push(cloud);
  const t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
  targets.push(t);
  return { cloud, t };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-durable-'));
});
afterEach(async () => {
  targets.splice(0).forEach((t) => t.destroy());
  await Promise.all(running.splice(0).map((c) => c.stop('SIGKILL')));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(EXTERNAL_ENDPOINT !== undefined)('durable queues of the local cloud (its own process only)', () => {
  it('loses none of the acknowledged records and beats of a burst cut by kill -9, and stores none twice', async () => {
    const first = await start();
    const app = `e2e-${RUN}-kill9`;
    const records = 2000;
    const beats = 200;
    const acknowledgedLogs = new Set<string>();
    const acknowledgedBeats = new Set<string>();
    // Producers of their own, without retries: a send is acknowledged, or it failed.
    const sqs = new SQSClient({ endpoint: first.cloud.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    let nextLog = 0;
    let nextBeat = 0;
    let killed: Promise<number | null> | undefined;
    const maybeKill = (): void => {
      if (!killed && acknowledgedLogs.size >= records / 2) killed = first.cloud.stop('SIGKILL');
    };
    const logProducer = async (): Promise<void> => {
      while (nextLog < records) {
        const ids = Array.from({ length: Math.min(10, records - nextLog) }, () => `${RUN}-${nextLog++}`);
        try {
          const reply = await sqs.send(new SendMessageBatchCommand({
            QueueUrl: first.t.resources.logsQueueUrl,
            Entries: ids.map((id, i) => ({ Id: String(i), ...entry('dts.LogMessage', logRecord(app, id, id), i % 2 ? 'json' : 'protobuf') })),
          }));
          for (const ok of reply.Successful ?? []) acknowledgedLogs.add(ids[Number(ok.Id)] as string);
        } catch {
          return;
        }
        maybeKill();
      }
    };
    const beatProducer = async (): Promise<void> => {
      while (nextBeat < beats) {
        const names = Array.from({ length: Math.min(10, beats - nextBeat) }, () => `e2e-${RUN}-k9-${nextBeat++}`);
        try {
          const reply = await sqs.send(new SendMessageBatchCommand({
            QueueUrl: first.t.resources.heartbeatsQueueUrl,
            Entries: names.map((hostname, i) => ({ Id: String(i), ...entry('dts.HeartbeatMessage', beat({ hostname, interval: 3600 }), 'protobuf') })),
          }));
          for (const ok of reply.Successful ?? []) acknowledgedBeats.add(names[Number(ok.Id)] as string);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await Promise.all([logProducer(), logProducer(), beatProducer()]);
    sqs.destroy();
    expect(killed, 'kill -9 came during the burst').toBeDefined();
    await killed;
    expect(acknowledgedLogs.size).toBeGreaterThanOrEqual(records / 2);
    expect(acknowledgedLogs.size, 'the burst was cut').toBeLessThan(records);
    if (process.env.DTS_VERBOSE) console.log(`kill -9: ${acknowledgedLogs.size} of ${records} records and ${acknowledgedBeats.size} of ${beats} beats acknowledged`);

    const second = await start();
    const stored = await eventually(
      () => scanWhere(second.t, second.t.resources.logsTable, 'app', app),
      (items) => new Set(items.map((i) => i.id)).size >= acknowledgedLogs.size,
      90_000,
      500,
    );
    const ids = stored.map((i) => i.id as string);
    const lost = [...acknowledgedLogs].filter((id) => !ids.includes(id));
    expect(lost, 'acknowledged before kill -9 but not stored').toEqual([]);
    expect(ids.length, 'no row stored twice').toBe(new Set(ids).size);
    const hosts = await eventually(
      () => Promise.all([...acknowledgedBeats].map((name) => host(second.t, name))),
      (hs) => hs.every(Boolean),
      60_000,
      500,
    );
    expect(hosts.filter((h) => !h).length, 'acknowledged beats whose host is missing').toBe(0);
  }, 240_000);

  it('restarts with ten 150 KB messages in a DLQ, restored within the 1 MiB batch limit', async () => {
    const first = await start();
    const big = Array.from({ length: 10 }, (_, i) => `${RUN}-big-${i}-${'x'.repeat(150_000)}`);
    // Five to a batch: ten would be over SQS's 1 MiB batch limit, which is the point of the test.
    for (const half of [big.slice(0, 5), big.slice(5)]) await sendBatch(first.t, first.t.resources.logsDlqUrl, half.map((MessageBody) => ({ MessageBody })));
    expect(await first.cloud.stop('SIGINT')).toBe(0);
    expect(first.cloud.output()).toMatch(/stopped; \d+ queued message\(s\) saved/);

    const second = await start();
    expect(second.cloud.output()).toMatch(/\(\d+ message\(s\) restored from the last shutdown\)/);
    const seen = new Set<string>();
    await eventually(async () => {
      await findMessage(second.t, second.t.resources.logsDlqUrl, (m) => {
        if (m.Body && big.includes(m.Body)) seen.add(m.Body);
        return seen.size === big.length;
      }, 2000);
      return seen.size;
    }, (n) => n === big.length, 30_000);
    expect(seen.size).toBe(big.length);
    // And once more, from the journal this time: kill -9, restart.
    await second.cloud.stop('SIGKILL');
    const third = await start();
    const again = new Set<string>();
    await eventually(async () => {
      await findMessage(third.t, third.t.resources.logsDlqUrl, (m) => {
        if (m.Body && big.includes(m.Body)) again.add(m.Body);
        return again.size === big.length;
      }, 2000);
      return again.size;
    }, (n) => n === big.length, 30_000);
    expect(again.size).toBe(big.length);
    expect((await readdir(dataDir)).filter((f) => /unreadable|unrestored/.test(f))).toEqual([]);
  }, 120_000);

  it('passes emoji and every other valid Unicode body through, and stores them as sent', async () => {
    const { t } = await start();
    const text = `emoji 🚀🔥 ${RUN} déjà vu 你好 𝄞 \u{10FFFD}`;
    await sendBatch(t, t.resources.logsDlqUrl, [{ MessageBody: text }]);
    const echoed = await findMessage(t, t.resources.logsDlqUrl, (m) => m.Body === text);
    expect(echoed?.Body).toBe(text);
    const app = `e2e-${RUN}-emoji`;
    await sendBatch(t, t.resources.logsQueueUrl, [entry('dts.LogMessage', logRecord(app, `${RUN}-emoji`, text), 'json')]);
    const [row] = await eventually(() => scanWhere(t, t.resources.logsTable, 'app', app), (items) => items.length > 0);
    expect(row?.text).toBe(text);
  }, 60_000);
});
