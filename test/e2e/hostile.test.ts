/**
 * #10 through the local cloud, one cloud for all: each reproduction of the issue, sent through
 * SQS as a user would, with a good message in the same batch. Each bad message is stored (after
 * the documented normalisation) or in its DLQ with a reason on its first receive; every good
 * message is stored.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { EXTERNAL_ENDPOINT, resourcesAt, resourcesFromOutput, targetAt, type Target } from './support/target';
import { beat, entry, eventually, findMessage, host, logRecord, scanWhere, sendBatch } from './support/steps';

const RUN = randomUUID().slice(0, 8);
let cloud: CloudProcess | undefined;
let dataDir: string | undefined;
let t: Target;
let statsTable: string | undefined;

beforeAll(async () => {
  if (EXTERNAL_ENDPOINT) {
    t = targetAt(EXTERNAL_ENDPOINT, await resourcesAt(EXTERNAL_ENDPOINT));
    statsTable = process.env.DTS_STATS_TABLE;
    return;
  }
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-hostile-'));
  cloud = await startCloudProcess({ dataDir, inMemory: true, tick: 5 });
  t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
  statsTable = /export DTS_STATS_TABLE=(\S+)/.exec(cloud.output())?.[1];
}, 120_000);

afterAll(async () => {
  t?.destroy();
  if (cloud) expect(await cloud.stop('SIGINT')).toBe(0);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const reason = (m: Message | undefined) => m?.MessageAttributes?.['dts-error']?.StringValue;
const json = (type: 'dts.LogMessage' | 'dts.LogBatch' | 'dts.HeartbeatMessage', message: Record<string, unknown>) => entry(type, message, 'json');
/** A body's DLQ copy, found by a marker only it holds. */
const inDlq = (queue: 'logs' | 'heartbeats', marker: string) =>
  findMessage(t, queue === 'logs' ? t.resources.logsDlqUrl : t.resources.heartbeatsDlqUrl, (m) => (m.Body ?? '').includes(marker));
const logsOf = (app: string) => scanWhere(t, t.resources.logsTable, 'app', app);
/** Did the DLQ copy come on the first receive? SQS's redrive would carry no dts-error at all. */
const quarantinedAtOnce = (m: Message | undefined) => expect(reason(m), 'quarantined by ingest, with a reason').toMatch(/\S/);

describe('#10 hostile input, through the local cloud', () => {
  it('repro 1: a fields key "constructor" goes to the DLQ with its reason; the 9 good messages of its SendMessageBatch are stored', async () => {
    const app = `h1-${RUN}`;
    const marker = `ctor-${RUN}`;
    await sendBatch(t, t.resources.logsQueueUrl, Array.from({ length: 10 }, (_, i) =>
      i === 4 ? json('dts.LogMessage', { ...logRecord(app, marker, 'bad'), fields: { constructor: 'x' } }) : json('dts.LogMessage', logRecord(app, `${RUN}-${i}`, `good ${i}`))));
    const stored = await eventually(() => logsOf(app), (xs) => xs.length >= 9);
    expect(stored.map((x) => x.text).sort()).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9].map((i) => `good ${i}`));
    const dead = await inDlq('logs', marker);
    quarantinedAtOnce(dead);
    expect(reason(dead)).toMatch(/^fields\.constructor: .*not safe as an object key/);
  });

  it('repro 2: numbers past 2^53 are refused by field; tiny ones are stored as 0; the good beat is stored', async () => {
    const good = `h2-good-${RUN}`;
    const tiny = `h2-tiny-${RUN}`;
    const bad = [['1e16', 1e16], ['1e200', 1e200], ['1e300', 1e300]] as const;
    await sendBatch(t, t.resources.heartbeatsQueueUrl, [
      json('dts.HeartbeatMessage', beat({ hostname: good })),
      ...bad.map(([name, total]) => json('dts.HeartbeatMessage', { ...beat({ hostname: `h2-${name}-${RUN}` }), disk: { percent: 5, total } })),
      json('dts.HeartbeatMessage', { ...beat({ hostname: tiny }), cpu: { percent: 1e-200, load1: 1e-140, load5: 0.25 } }),
    ]);
    const [g, small] = await eventually(() => Promise.all([host(t, good), host(t, tiny)]), (hs) => hs.every(Boolean));
    expect(g?.hostname).toBe(good);
    expect(small?.cpu).toEqual({ percent: 0, load5: 0.25 });
    for (const [name] of bad) {
      const dead = await inDlq('heartbeats', `h2-${name}-${RUN}`);
      quarantinedAtOnce(dead);
      expect(reason(dead)).toMatch(/^disk\.total: .*above 2\^53/);
      expect(await host(t, `h2-${name}-${RUN}`)).toBeUndefined();
    }
  });

  it('repro 3: a timestamp of 1e300 gets a reason on both queues, not a RangeError', async () => {
    const app = `h3-${RUN}`;
    await sendBatch(t, t.resources.logsQueueUrl, [
      json('dts.LogMessage', { ...logRecord(app, `h3-bad-${RUN}`, 'bad'), timestamp: 1e300 }),
      json('dts.LogMessage', logRecord(app, `h3-good-${RUN}`, 'good')),
    ]);
    await sendBatch(t, t.resources.heartbeatsQueueUrl, [
      json('dts.HeartbeatMessage', { ...beat({ hostname: `h3-bad-${RUN}` }), timestamp: 1e300 }),
      json('dts.HeartbeatMessage', beat({ hostname: `h3-good-${RUN}` })),
    ]);
    expect((await eventually(() => logsOf(app), (xs) => xs.length >= 1)).map((x) => x.text)).toEqual(['good']);
    expect(await eventually(() => host(t, `h3-good-${RUN}`), Boolean)).toBeDefined();
    for (const queue of ['logs', 'heartbeats'] as const) {
      const dead = await inDlq(queue, `h3-bad-${RUN}`);
      quarantinedAtOnce(dead);
      expect(reason(dead)).toMatch(/^timestamp: 1e\+300 seconds is after the year 9999: not a time/);
    }
  });

  it('repro 4: a hostname with a lone surrogate is refused with its reason; the good beat is stored', async () => {
    const marker = `h4-${RUN}`;
    await sendBatch(t, t.resources.heartbeatsQueueUrl, [
      // JSON.stringify writes the lone surrogate as the escape \ud800, which SQS carries.
      json('dts.HeartbeatMessage', beat({ hostname: `rep-\ud800${marker}` })),
      json('dts.HeartbeatMessage', beat({ hostname: `${marker}-good` })),
    ]);
    expect(await eventually(() => host(t, `${marker}-good`), Boolean)).toBeDefined();
    const dead = await inDlq('heartbeats', marker);
    quarantinedAtOnce(dead);
    expect(reason(dead)).toMatch(/^hostname: contains a lone surrogate \(U\+D800\)/);
  });

  it('repro 5: C1 controls (U+0085, U+009B) in a hostname are refused; the good beat is stored', async () => {
    const marker = `h5-${RUN}`;
    await sendBatch(t, t.resources.heartbeatsQueueUrl, [
      json('dts.HeartbeatMessage', beat({ hostname: `${marker}-a\u0085` })),
      json('dts.HeartbeatMessage', beat({ hostname: `${marker}-b\u009b` })),
      json('dts.HeartbeatMessage', beat({ hostname: `${marker}-good` })),
    ]);
    expect(await eventually(() => host(t, `${marker}-good`), Boolean)).toBeDefined();
    for (const suffix of ['-a', '-b']) {
      const dead = await inDlq('heartbeats', `${marker}${suffix}`);
      quarantinedAtOnce(dead);
      expect(reason(dead)).toMatch(/^hostname: must not contain control characters/);
    }
  });

  it('repro 6: host "hx#a" with id "b" and host "hx" with id "a#b", same app and time, are two records', async () => {
    const app = `h6-${RUN}`;
    const timestamp = Date.now() / 1000;
    await sendBatch(t, t.resources.logsQueueUrl, [
      json('dts.LogBatch', { records: [{ app, hostname: 'hx#a', id: 'b', timestamp, level: 20, text: 'one' }, { app, hostname: 'hx', id: 'a#b', timestamp, level: 20, text: 'two' }] }),
    ]);
    const stored = await eventually(() => logsOf(app), (xs) => xs.length >= 2);
    expect(stored.map((x) => `${String(x.hostname)}|${String(x.id)}`).sort()).toEqual(['hx#a|b', 'hx|a#b']);
  });

  it('repro 7: a JSON LogMessage sent as dts.LogBatch, and an empty {} batch, go to the DLQ with a reason', async () => {
    const app = `h7-${RUN}`;
    await sendBatch(t, t.resources.logsQueueUrl, [
      json('dts.LogBatch', logRecord(app, `h7-mistyped-${RUN}`, 'mistyped')),
      { ...json('dts.LogBatch', {}), MessageBody: `{ "_": 0 }`.replace('"_": 0', '') },
      json('dts.LogMessage', logRecord(app, `h7-good-${RUN}`, 'good')),
    ]);
    expect((await eventually(() => logsOf(app), (xs) => xs.length >= 1)).map((x) => x.text)).toEqual(['good']);
    const mistyped = await inDlq('logs', `h7-mistyped-${RUN}`);
    quarantinedAtOnce(mistyped);
    expect(reason(mistyped)).toMatch(/^app: dts\.LogBatch has no field "app"/);
    const empty = await findMessage(t, t.resources.logsDlqUrl, (m) => m.Body === '{  }');
    quarantinedAtOnce(empty);
    expect(reason(empty)).toMatch(/^records: a LogBatch with no records/);
  });

  it('repro 9: a poison body 150 B under the 1 MiB limit reaches the DLQ, its reason cut to fit', async () => {
    const marker = `h9-${RUN}`;
    const attributes = 'dts-type'.length + 'String'.length + 'dts.LogBatch'.length;
    const body = `${marker} not a batch `.padEnd(1_048_576 - attributes - 150, '!');
    await sendBatch(t, t.resources.logsQueueUrl, [{ MessageBody: body, MessageAttributes: { 'dts-type': { DataType: 'String', StringValue: 'dts.LogBatch' } } }]);
    await sendBatch(t, t.resources.logsQueueUrl, [json('dts.LogMessage', logRecord(`h9-${RUN}`, `h9-good-${RUN}`, 'good'))]);
    const dead = await inDlq('logs', marker);
    expect(dead?.Body).toBe(body);
    quarantinedAtOnce(dead);
    expect(reason(dead)).toMatch(/^body: neither base64/);
    expect(Buffer.byteLength(reason(dead) ?? '')).toBeLessThanOrEqual(150 - 'dts-error'.length - 'String'.length);
    expect(await eventually(() => logsOf(`h9-${RUN}`), (xs) => xs.length >= 1)).toHaveLength(1);
  });

  it('repro 10: the same record in two different bodies is stored once and counted once', async () => {
    const app = `h10-${RUN}`;
    const shared = logRecord(app, `h10-shared-${RUN}`, 'shared', 40);
    await sendBatch(t, t.resources.logsQueueUrl, [entry('dts.LogBatch', { records: [shared, logRecord(app, `h10-a-${RUN}`, 'a', 40)] }, 'protobuf')]);
    await eventually(() => logsOf(app), (xs) => xs.length >= 2);
    await sendBatch(t, t.resources.logsQueueUrl, [entry('dts.LogBatch', { records: [logRecord(app, `h10-b-${RUN}`, 'b', 40), shared] }, 'protobuf')]);
    expect(await eventually(() => logsOf(app), (xs) => xs.length >= 3)).toHaveLength(3);
    if (!statsTable) return;
    const counters = await eventually(() => scanWhere(t, statsTable as string, 'pk', `APP#${app}`), (xs) => Number(xs[0]?.l40 ?? 0) >= 3);
    expect(counters.map((c) => Number(c.l40))).toEqual([3]);
  });
});

// Repro 8 (sixteen LogBatches, more than one invocation can store in its time) has its own cloud,
// with a short timeout and a slow table: test/e2e/bigbatch.test.ts.
