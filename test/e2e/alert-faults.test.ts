/**
 * The alert path under injected faults, through the local cloud as `npm start` runs it: the real
 * functions on their schedule and queues, faults injected by the edge (docs/LOCAL.md, "Fault
 * injection"). Each cell fails one step (the state write, the notification write, the publish;
 * a table or the topic unavailable, throttling, the diagnose worker killed between two steps)
 * while three hosts die and one's disk rises to critical. When the fault is gone, every
 * transition is recorded exactly once and published at least once on SNS, with its id attribute,
 * and no outbox entry is left. Short intervals: each host beats once, declaring 1 s (so it is
 * dead 3 s later, judged on the beat's SentTimestamp whatever ingest's lag), diagnose ticks every
 * 2 s, and the sweep takes entries older than 1 s (--param sweepGraceSeconds=1).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MONITOR_KEY } from '../../lib/adapters/dynamodb/keys';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { faults } from './support/faults';
import { EXTERNAL_ENDPOINT, REGION, resourcesFromOutput, targetAt, type Target } from './support/target';
import { beat, entry, eventually, notificationsOf, sleep } from './support/steps';
import { E2E_PARAMS, paramArgs } from './support/params';

const RUN = randomUUID().slice(0, 6);

describe.skipIf(EXTERNAL_ENDPOINT !== undefined)('no alert is lost under injected faults (its own local cloud)', () => {
  let cloud: CloudProcess;
  let dataDir: string;
  let t: Target;
  let sns: SNSClient;
  let observerUrl: string;
  const published: Message[] = [];
  const names = { hosts: '', notifications: '', topic: '' };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-alert-faults-'));
    cloud = await startCloudProcess({
      dataDir, inMemory: true, tick: 2, stage: 'alerts',
      // No storms: a storm holds its members' downs back, and each cell wants them published.
      extraArgs: [...(process.env.DTS_E2E_VERBOSE ? [] : ['--quiet']), ...paramArgs(E2E_PARAMS.alertFaults)],
    });
    t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
    names.hosts = t.resources.hostsTable;
    names.notifications = t.resources.notificationsTable;
    const stats = /export DTS_STATS_TABLE=(\S+)/.exec(cloud.output())?.[1] as string;
    const topic = /export DTS_ALERTS_TOPIC_ARN=(\S+)/.exec(cloud.output())?.[1];
    if (!topic) throw new Error('the local cloud did not print DTS_ALERTS_TOPIC_ARN');
    names.topic = topic;
    // An SQS queue subscribed to the alerts topic sees every publish, with its attributes.
    sns = new SNSClient({ endpoint: cloud.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    observerUrl = (await t.sqs.send(new CreateQueueCommand({ QueueName: `alerts-observer-${RUN}` }))).QueueUrl as string;
    await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: `arn:aws:sqs:${REGION}:000000000000:alerts-observer-${RUN}` }));
    // Diagnose's first (cold) pass, before any cell.
    await eventually(async () => (await t.ddb.send(new GetCommand({ TableName: stats, Key: MONITOR_KEY }))).Item?.lastRun, (v) => v !== undefined, 60_000, 500);
  }, 180_000);
  afterEach(async () => faults.clear(cloud.endpoint));
  afterAll(async () => {
    t?.destroy();
    sns?.destroy();
    // To see what the cloud did: DTS_E2E_VERBOSE=1 (function output too) DTS_E2E_DUMP=/tmp/cloud.log.
    if (process.env.DTS_E2E_DUMP) (await import('node:fs')).writeFileSync(process.env.DTS_E2E_DUMP, cloud.output());
    if (cloud) expect(await cloud.stop('SIGINT')).toBe(0);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const send = (message: Record<string, unknown>) => t.sqs.send(new SendMessageCommand({
    QueueUrl: t.resources.heartbeatsQueueUrl, ...entry('dts.HeartbeatMessage', message, 'protobuf'),
  }));

  const outboxOf = async (hostname: string) => {
    const { Item } = await t.ddb.send(new GetCommand({ TableName: names.hosts, Key: { hostname }, ConsistentRead: true }));
    return Object.keys(Item ?? {}).filter((k) => k.startsWith('outbox_'));
  };
  /**
   * Each host's notifications once each has the kinds it must have (and perhaps a `host-up`, if a
   * pass saw it alive before it died), all published, and no outbox entry is left.
   */
  /** A first beat folded into one "N new hosts" notice is recorded, held back by design, and not published. */
  const heldBack = (n: { kind: string; suppressed?: string | undefined }) => n.kind === 'host-up' && n.suppressed !== undefined;
  async function settled(expected: Record<string, string[]>, timeoutMs = 45_000) {
    const read = async () => Promise.all(Object.keys(expected).map(async (h) => ({
      h, list: await notificationsOf(t, h), outbox: await outboxOf(h),
    })));
    const kindsOk = (h: string, kinds: string[]) =>
      JSON.stringify(kinds.filter((k) => k !== 'host-up').sort()) === JSON.stringify([...(expected[h] ?? [])].sort())
      && kinds.filter((k) => k === 'host-up').length <= 1;
    const done = (all: Awaited<ReturnType<typeof read>>) => all.every(({ h, list, outbox }) =>
      outbox.length === 0 && list.every((n) => heldBack(n) || n.publishedAt !== undefined) && kindsOk(h, list.map((n) => n.kind)));
    const last = await eventually(read, done, timeoutMs, 300);
    return { all: last, done: done(last), kindsOk };
  }
  async function drainObserver(): Promise<void> {
    for (;;) {
      const { Messages = [] } = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: observerUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300 }));
      if (Messages.length === 0) return;
      published.push(...Messages);
    }
  }
  const publishesOf = (id: unknown) => published.filter((m) => {
    const body = JSON.parse(m.Body ?? '{}') as { MessageAttributes?: Record<string, { Value: string }> };
    return body.MessageAttributes?.id?.Value === id;
  }).length;

  const CELLS: [string, (n: typeof names) => string][] = [
    ['the notifications table unavailable (diagnose and ingest)', (n) => `dynamodb:*@${n.notifications}=unavailable`],
    ['the alerts topic failing every publish', () => 'sns:Publish=5xx'],
    ['diagnose\'s state writes throttled', (n) => `dynamodb:UpdateItem@${n.hosts}=throttle,function=diagnose`],
    ['diagnose killed right after a state write', (n) => `dynamodb:UpdateItem@${n.hosts}=kill-after,count=1,function=diagnose`],
    ['diagnose killed between recording and publishing', (n) => `dynamodb:PutItem@${n.notifications}=kill-after,count=1,function=diagnose`],
    ['diagnose killed between publishing and marking', () => 'sns:Publish=kill-after,count=1,function=diagnose'],
  ];

  it.each(CELLS.map(([name, spec], i) => [name, spec, `${RUN}-c${i}`] as const))('%s: every transition recorded once, published at least once', async (_name, spec, cell) => {
    const dying = [`${cell}-a`, `${cell}-b`];
    const loud = `${cell}-disk`;
    // Given the fault in force,
    const rules = await faults.add(cloud.endpoint, spec(names));
    // when three hosts beat once (1 s interval, so they are dead 3 s later), one with its disk at 97%,
    const sentAt = Date.now();
    await Promise.all([
      ...dying.map((h) => send(beat({ hostname: h, interval: 1 }))),
      send({ ...beat({ hostname: loud, interval: 1 }), disk: { percent: 97 } }),
    ]);
    const mine = (all: Awaited<ReturnType<typeof faults.list>>) => all.filter((r) => rules.some((x) => x.id === r.id));
    const hit = await eventually(() => faults.list(cloud.endpoint), (all) => mine(all).every((r) => r.injected > 0), 45_000);
    expect(mine(hit).every((r) => r.injected > 0), JSON.stringify(hit)).toBe(true);
    // and stays a few passes after their deaths, then is gone,
    await sleep(Math.max(0, sentAt + 7_000 - Date.now()));
    await faults.clear(cloud.endpoint);

    // then each transition ends recorded exactly once and published, with nothing left behind,
    const expected = { [dying[0] as string]: ['host-down'], [dying[1] as string]: ['host-down'], [loud]: ['host-down', 'resource-critical'] };
    const { all, done, kindsOk } = await settled(expected);
    for (const { h, list, outbox } of all) {
      expect(outbox, h).toEqual([]);
      expect(kindsOk(h, list.map((n) => n.kind)), `${h}: ${list.map((n) => n.kind).join(', ')}`).toBe(true);
      for (const n of list.filter((x) => !heldBack(x))) expect(n.publishedAt, `${h} ${n.kind}`).toEqual(expect.any(Number));
    }
    expect(done).toBe(true);
    // and went out on SNS at least once each, with its id attribute.
    const ids = all.flatMap(({ list }) => list.filter((n) => !heldBack(n)).map((n) => n.id));
    await eventually(async () => { await drainObserver(); return ids.map(publishesOf); }, (counts) => counts.every((c) => c >= 1), 10_000);
    for (const id of ids) expect(publishesOf(id), String(id)).toBeGreaterThanOrEqual(1);
  }, 150_000);
});
