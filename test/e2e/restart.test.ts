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
import { beat as beatOf, entry, eventually, findMessage, host, logRecord, scanWhere, sendBatch, sendBeat } from './support/steps';
import { E2E_PARAMS, paramArgs } from './support/params';

const RUN = randomUUID().slice(0, 8);
const running: CloudProcess[] = [];
const targets: Target[] = [];
let dataDir: string;

async function start(options: { tick?: number; extraArgs?: string[] } = {}): Promise<{ cloud: CloudProcess; t: Target }> {
  const cloud = await startCloudProcess({ dataDir, tick: options.tick ?? 1, ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}) });
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
    // The cloud's first beat waits for ingest's cold start, which a loaded machine stretches past
    // `eventually`'s default 20 s (seen at a load above 20: the beat was stored, later).
    const before = await eventually(() => host(first.t, name), Boolean, 60_000);
    expect(before?.hostname, 'the beat was stored before the stop').toBe(name);
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
    if (process.env.DTS_VERBOSE) console.log(`burst: ${acknowledged.size} of ${total} acknowledged before the cloud went away; ${saved} saved at shutdown`);

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

  it('judges nothing at a clean stop: with the fleet still beating, the last pass finishes while ingest runs, and no host is declared dead', async () => {
    // A 1 s interval (dead 3 s after the last beat) and a deadline watch of 8 s: the last
    // diagnose invocation outlives the stop's start by more than a deadline.
    const first = await start({ extraArgs: paramArgs(E2E_PARAMS.restart) });
    const fleet = Array.from({ length: 20 }, (_, i) => `e2e-${RUN}-stop-${i}`);
    let beating = true;
    const beats = (async () => {
      while (beating) {
        await sendBatch(first.t, first.t.resources.heartbeatsQueueUrl, fleet.map((hostname) => entry('dts.HeartbeatMessage', beatOf({ hostname, interval: 1 }), 'protobuf')))
          .catch(() => undefined); // the cloud is going away
        await new Promise((r) => setTimeout(r, 400));
      }
    })();
    await eventually(() => scanWhere(first.t, first.t.resources.hostsTable, 'state', 'alive'), (items) => fleet.every((h) => items.some((i) => i.hostname === h)), 30_000, 250);
    await new Promise((r) => setTimeout(r, 2000));
    const code = await first.cloud.stop('SIGTERM');
    beating = false;
    await beats;
    expect(code).toBe(0);

    // Read what the stop left, before the restarted cloud runs a pass of its own.
    const second = await start({ tick: 3600 });
    const hosts = (await scanWhere(second.t, second.t.resources.hostsTable, 'state', 'dead')).filter((i) => fleet.includes(i.hostname as string));
    expect(hosts.map((h) => h.hostname)).toEqual([]);
    const downs = (await scanWhere(second.t, second.t.resources.notificationsTable, 'kind', 'host-down')).filter((n) => fleet.includes(n.hostname as string));
    expect(downs).toEqual([]);
  }, 120_000);
});
