/**
 * A rack storm through the local cloud of `npm start` (issue 26, part 3): diagnose on a fast tick
 * with its deadline watch and group wait, an SNS subscriber watching what is published. A rack of
 * 24 hosts among 40 others stops, its last beats spread over a few seconds, then beats again. Every
 * dead host is named by some message, each side of the storm takes at most 3 messages, every
 * incident a page opened is closed, and no recovery is sent for a down that was never sent.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationKind, Severity } from '../../lib/domain/model';
import { incidentAction } from '../../lib/domain/notification/incidents';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { beat, entry, eventually, sleep } from './support/steps';
import { REGION, resourcesFromOutput, targetAt, type Target } from './support/target';
import { E2E_PARAMS, paramArgs } from './support/params';

const RUN = randomUUID().slice(0, 8);
const RACK = `r7-${RUN}`;
const rack = Array.from({ length: 24 }, (_, i) => `${RACK}-${String(i).padStart(2, '0')}`);
const others = Array.from({ length: 40 }, (_, i) => `calm-${RUN}-${String(i).padStart(2, '0')}`);
/** The rack's hosts declare 10 s: dead 30 s after their last beat (room for a busy machine). */
const INTERVAL = 10;

let cloud: CloudProcess;
let dataDir: string;
let t: Target;
let sns: SNSClient;
let observerUrl: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-storm-'));
  cloud = await startCloudProcess({
    dataDir, inMemory: true, tick: 10, stage: 'storm',
    // A pass every 10 s, each watching the deadlines until the next, holding deaths 8 s to group them.
    extraArgs: [...(process.env.DTS_E2E_VERBOSE ? [] : ['--quiet']), ...paramArgs(E2E_PARAMS.storm)],
  });
  t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
  const topic = /export DTS_ALERTS_TOPIC_ARN=(\S+)/.exec(cloud.output())?.[1];
  if (!topic) throw new Error('the local cloud did not print DTS_ALERTS_TOPIC_ARN');
  sns = new SNSClient({ endpoint: cloud.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  observerUrl = (await t.sqs.send(new CreateQueueCommand({ QueueName: `storm-observer-${RUN}` }))).QueueUrl as string;
  await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: `arn:aws:sqs:${REGION}:000000000000:storm-observer-${RUN}` }));
}, 180_000);

afterAll(async () => {
  t?.destroy();
  sns?.destroy();
  if (process.env.DTS_E2E_DUMP) (await import('node:fs')).writeFileSync(process.env.DTS_E2E_DUMP, cloud.output());
  if (cloud) await cloud.stop('SIGINT');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Published { kind: NotificationKind; severity: Severity; hostname: string; id: string; incident: string; text: string }
const received: Published[] = [];

/** What the subscriber has received so far (each message once: SNS may publish a repeat, with the same id). */
async function receive(): Promise<Published[]> {
  for (;;) {
    const out = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: observerUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!out.Messages?.length) break;
    for (const m of out.Messages) {
      const body = JSON.parse(m.Body as string) as { Message: string; MessageAttributes: Record<string, { Value: string }> };
      const a = body.MessageAttributes;
      const id = a.id?.Value as string;
      if (received.some((r) => r.id === id)) continue;
      received.push({
        kind: a.kind?.Value as NotificationKind, severity: a.severity?.Value as Severity, hostname: a.hostname?.Value as string, id,
        incident: /^incident:\s+(\S+)$/m.exec(body.Message)?.[1] ?? '', text: body.Message,
      });
    }
    await t.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: observerUrl, Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
  }
  return received;
}

async function beatAll(hostnames: readonly string[], labels: (h: string) => Record<string, string>, interval = INTERVAL): Promise<void> {
  for (let i = 0; i < hostnames.length; i += 10) {
    await t.sqs.send(new SendMessageBatchCommand({
      QueueUrl: t.resources.heartbeatsQueueUrl,
      Entries: hostnames.slice(i, i + 10).map((hostname, j) => ({ Id: String(j), ...entry('dts.HeartbeatMessage', { ...beat({ hostname, interval }), labels: labels(hostname) }, 'protobuf') })),
    }));
  }
}

const rackLabels = () => ({ rack: RACK });
const calmLabels = (h: string) => ({ rack: `calm-${RUN}-${Number(h.slice(-2)) % 4}` });
/** Messages about the rack: its hosts, and its storm's notices. */
const aboutRack = (all: readonly Published[]) => all.filter((p) => rack.includes(p.hostname) || (p.hostname === '@fleet' && p.text.includes(`rack=${RACK}`)));

describe('a rack storm in the local cloud', () => {
  it('names every dead host, in at most 3 messages each way, and closes every incident it opened', async () => {
    // The others beat throughout, declaring a longer interval, so that a busy machine does not kill them.
    let calm = true;
    const calmBeats = (async () => {
      while (calm) {
        await beatAll(others, calmLabels, 60);
        await sleep(INTERVAL * 1000);
      }
    })();
    try {
      // The rack beats for a while, then stops: its last beats sent 8 at a time, 1 s apart.
      for (let round = 0; round < 3; round++) {
        await beatAll(rack, rackLabels);
        await sleep(INTERVAL * 1000);
      }
      for (let i = 0; i < rack.length; i += 8) {
        await beatAll(rack.slice(i, i + 8), rackLabels);
        await sleep(1000);
      }
      // Every rack host named by some message at the subscriber (its own page, or a storm's).
      const named = (all: readonly Published[]) => rack.filter((h) => aboutRack(all).some((p) => p.hostname === h || new RegExp(`\\b${h}\\b`).test(p.text)));
      const down = await eventually(receive, (all) => named(all).length === rack.length, 150_000, 1000);
      // Whatever passes were still to come: nothing more about the rack while it stays down.
      await sleep(15_000);
      const downSide = aboutRack(await receive()).filter((p) => p.kind !== 'host-up');
      expect(named(down), `every dead host is named; received: ${down.map((p) => `${p.kind} ${p.hostname}`).join(', ')}`).toHaveLength(rack.length);
      expect(downSide.length, downSide.map((p) => p.text.split('\n')[0]).join('\n')).toBeLessThanOrEqual(3);
      expect(downSide.filter((p) => p.kind === 'fleet-storm').length, 'the rack is a storm').toBeGreaterThanOrEqual(1);

      // The rack comes back, and beats until the end.
      let back = true;
      const rackBeats = (async () => {
        while (back) {
          await beatAll(rack, rackLabels);
          await sleep(INTERVAL * 1000);
        }
      })();
      // Every incident a message opened is closed by a message with its key.
      const unclosed = (all: readonly Published[]) => {
        const mine = aboutRack(all);
        const closed = new Set(mine.filter((p) => incidentAction(p) === 'close').map((p) => p.incident));
        return [...new Set(mine.filter((p) => incidentAction(p) === 'open').map((p) => p.incident))].filter((i) => !closed.has(i));
      };
      try {
        await eventually(receive, (all) => unclosed(all).length === 0, 180_000, 1000);
        await sleep(15_000);
      } finally {
        back = false;
        await rackBeats;
      }
      const all = aboutRack(await receive()).filter((p) => p.kind !== 'host-up');
      expect(unclosed(all)).toEqual([]);
      // The recovery side: at most 3 messages for the storm (its progress, its end, and the own
      // recoveries of hosts paged alone).
      const upSide = all.slice(downSide.length).filter((p) => p.kind === 'fleet-storm-recovering' || p.kind === 'fleet-storm-over' || p.kind === 'host-recovered');
      expect(upSide.length, upSide.map((p) => p.text.split('\n')[0]).join('\n')).toBeLessThanOrEqual(3);
      // No recovery for a down that was never sent.
      const pagedAlone = new Set(all.filter((p) => p.kind === 'host-down').map((p) => p.hostname));
      expect(all.filter((p) => p.kind === 'host-recovered' && !pagedAlone.has(p.hostname)).map((p) => p.hostname)).toEqual([]);
    } finally {
      calm = false;
      await calmBeats;
    }
  }, 480_000);
});
