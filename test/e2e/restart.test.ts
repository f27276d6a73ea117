/**
 * What survives a restart of the local cloud on the same data directory: the tables (dynalite on
 * disk) and every queued message (the queue snapshot written at a clean shutdown). These tests
 * stop and start the cloud, so they run only against the suite's own local cloud.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { EXTERNAL_ENDPOINT, REGION, resourcesFromOutput, targetAt, type Target } from './support/target';
import { entry, eventually, findMessage, host, logRecord, scanWhere, sendBatch, sendBeat } from './support/steps';

const RUN = randomUUID().slice(0, 8);
const running: CloudProcess[] = [];
const targets: Target[] = [];
let dataDir: string;

async function start(): Promise<{ cloud: CloudProcess; t: Target }> {
  const cloud = await startCloudProcess({ dataDir, tick: 1 });
  running.push(cloud);
  const t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
  targets.push(t);
  return { cloud, t };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-restart-'));
});

afterEach(async () => {
  targets.splice(0).forEach((t) => t.destroy());
  await Promise.all(running.splice(0).map((c) => c.stop('SIGKILL')));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(EXTERNAL_ENDPOINT !== undefined)('restart of the local cloud (its own process only)', () => {
  it('keeps tables and queued messages across a restart on the same data directory', async () => {
    const first = await start();
    const name = `e2e-${RUN}-kept`;
    const poison = `poison kept across restarts ${RUN}`;
    await sendBeat(first.t, { hostname: name, interval: 3600 });
    await sendBatch(first.t, first.t.resources.heartbeatsQueueUrl, [{ MessageBody: poison }]);
    const before = await eventually(() => host(first.t, name), Boolean);
    expect(before?.hostname).toBe(name);
    // The poison message sits in the DLQ, which nothing consumes.
    expect(await findMessage(first.t, first.t.resources.heartbeatsDlqUrl, (m) => m.Body === poison)).toBeDefined();
    expect(await first.cloud.stop('SIGINT')).toBe(0);
    expect(first.cloud.output()).toMatch(/stopped; [1-9]\d* queued message\(s\) saved/);

    const second = await start();
    expect(second.cloud.output()).toMatch(/existing data kept/);
    const after = await host(second.t, name);
    expect(after?.hostname).toBe(name);
    expect(after?.lastBeat).toBe(before?.lastBeat);
    const restored = await findMessage(second.t, second.t.resources.heartbeatsDlqUrl, (m) => m.Body === poison);
    expect(restored, 'the DLQ message survived the restart').toBeDefined();
    expect(restored?.MessageAttributes?.['dts-error']?.StringValue).toBeDefined();
  }, 90_000);

  it('loses none of a burst of 1,000 messages when SIGTERM arrives in the middle of it', async () => {
    const first = await start();
    const app = `e2e-${RUN}-burst`;
    const total = 1000;
    const acknowledged = new Set<string>();
    // A producer of its own, without retries: a send either is acknowledged or fails.
    const sqs = new SQSClient({ endpoint: first.cloud.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    let next = 0;
    let signalled: Promise<number | null> | undefined;
    const producer = async (): Promise<void> => {
      while (next < total) {
        const ids = Array.from({ length: Math.min(10, total - next) }, () => `${RUN}-${next++}`);
        try {
          const reply = await sqs.send(new SendMessageBatchCommand({
            QueueUrl: first.t.resources.logsQueueUrl,
            Entries: ids.map((id, i) => ({ Id: String(i), ...entry('dts.LogMessage', logRecord(app, id, id), i % 2 ? 'json' : 'protobuf') })),
          }));
          for (const ok of reply.Successful ?? []) acknowledged.add(ids[Number(ok.Id)] as string);
        } catch {
          return; // The cloud is going away: this batch was not acknowledged.
        }
        if (acknowledged.size >= total / 2 && !signalled) signalled = first.cloud.stop('SIGTERM');
        // About 1,000 messages a second: the shutdown overlaps the rest of the burst.
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await Promise.all([producer(), producer()]);
    sqs.destroy();
    expect(signalled, 'SIGTERM was sent during the burst').toBeDefined();
    expect(await signalled).toBe(0);
    const saved = Number(/stopped; (\d+) queued message\(s\) saved/.exec(first.cloud.output())?.[1]);
    expect(acknowledged.size).toBeGreaterThanOrEqual(total / 2);
    console.log(`burst: ${acknowledged.size} of ${total} acknowledged before the cloud went away; ${saved} saved at shutdown`);

    const second = await start();
    expect(second.cloud.output()).toMatch(saved > 0 ? /message\(s\) restored/ : /ready in/);
    const stored = await eventually(
      () => scanWhere(second.t, second.t.resources.logsTable, 'app', app),
      (items) => items.length >= acknowledged.size,
      60_000,
      500,
    );
    const ids = new Set(stored.map((i) => i.id as string));
    const lost = [...acknowledged].filter((id) => !ids.has(id));
    expect(lost, `acknowledged before SIGTERM but not stored (${saved} were saved at shutdown)`).toEqual([]);
    expect(ids.size).toBeLessThanOrEqual(total);
  }, 180_000);
});
