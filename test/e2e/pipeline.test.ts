/**
 * The whole pipeline through AWS APIs only: messages on the queues, functions invoked by the
 * local event source mappings and schedule, rows in the tables, alerts on the topic.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { EXTERNAL_ENDPOINT, resourcesAt, resourcesFromOutput, targetAt, type Target } from './support/target';
import {
  beat, entry, eventually, findMessage, host, logRecord, notificationsOf, scanWhere, sendBatch, sendBeat, sleep,
} from './support/steps';

const RUN = randomUUID().slice(0, 8);
/** Seconds between diagnose runs: --tick locally; the deployed schedule elsewhere. */
const TICK = EXTERNAL_ENDPOINT ? Number(process.env.DTS_E2E_TICK ?? 60) : 1;
const TOLERANCE = Number(process.env.DTS_TOLERANCE ?? 3);
/** The template's group wait (diagnoseGroupWaitSeconds): a death is confirmed this long after its deadline at most, with any that follow it closely. */
const GROUP_WAIT_MS = Number(process.env.DTS_GROUP_WAIT_SECONDS ?? 10) * 1000;

let cloud: CloudProcess | undefined;
let dataDir: string | undefined;
let t: Target;

beforeAll(async () => {
  if (EXTERNAL_ENDPOINT) {
    t = targetAt(EXTERNAL_ENDPOINT, await resourcesAt(EXTERNAL_ENDPOINT));
    return;
  }
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-pipeline-'));
  cloud = await startCloudProcess({ dataDir, inMemory: true, tick: TICK });
  t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
}, 120_000);

afterAll(async () => {
  t?.destroy();
  if (cloud) expect(await cloud.stop('SIGINT')).toBe(0);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('ingest', () => {
  it('stores a protobuf heartbeat and a JSON heartbeat, timed by the queue (SentTimestamp)', async () => {
    const pb = `e2e-${RUN}-pb`;
    const json = `e2e-${RUN}-json`;
    const before = Date.now();
    await sendBeat(t, { hostname: pb }, 'protobuf');
    await sendBeat(t, { hostname: json }, 'json');
    const stored = await eventually(() => Promise.all([host(t, pb), host(t, json)]), (hs) => hs.every(Boolean));
    for (const h of stored) {
      expect(h).toBeDefined();
      expect(Number(h?.lastBeat)).toBeGreaterThanOrEqual(before - 1000);
      expect(Number(h?.lastBeat)).toBeLessThanOrEqual(Date.now());
    }
  });

  it('stores a protobuf LogBatch and a JSON LogMessage', async () => {
    const app = `e2e-${RUN}-logs`;
    const batch = { records: [logRecord(app, `${RUN}-1`, 'one'), logRecord(app, `${RUN}-2`, 'two', 40), logRecord(app, `${RUN}-3`, 'three', 50)] };
    await sendBatch(t, t.resources.logsQueueUrl, [
      entry('dts.LogBatch', batch, 'protobuf'),
      // No dts-type attribute: the logs queue's own type, LogMessage, applies.
      { MessageBody: JSON.stringify(logRecord(app, `${RUN}-4`, 'four')) },
    ]);
    const items = await eventually(() => scanWhere(t, t.resources.logsTable, 'app', app), (xs) => xs.length >= 4);
    expect(items.map((i) => i.text).sort()).toEqual(['four', 'one', 'three', 'two']);
  });

  it('sends a poison message to the DLQ with its reason, and stores the rest of its batch', async () => {
    const hosts = [1, 2, 3].map((i) => `e2e-${RUN}-batch-${i}`);
    const poison = `not a heartbeat ${RUN}`;
    await sendBatch(t, t.resources.heartbeatsQueueUrl, [
      entry('dts.HeartbeatMessage', beat({ hostname: hosts[0] as string }), 'protobuf'),
      { MessageBody: poison },
      entry('dts.HeartbeatMessage', beat({ hostname: hosts[1] as string }), 'json'),
      entry('dts.HeartbeatMessage', beat({ hostname: hosts[2] as string }), 'protobuf'),
    ]);
    const stored = await eventually(() => Promise.all(hosts.map((h) => host(t, h))), (hs) => hs.every(Boolean));
    expect(stored.map((h) => h?.hostname)).toEqual(hosts);
    const dead = await findMessage(t, t.resources.heartbeatsDlqUrl, (m) => m.Body === poison);
    expect(dead, 'the poison message is in the heartbeats DLQ').toBeDefined();
    expect(dead?.MessageAttributes?.['dts-error']?.StringValue).toMatch(/body/);
  });
});

describe('liveness', () => {
  it(`declares a silent host dead within interval × tolerance + the group wait + one tick, exactly once, and recovers when beats resume`, async () => {
    const name = `e2e-${RUN}-silent`;
    const interval = 1;
    const limitMs = interval * TOLERANCE * 1000;
    for (let i = 0; i < 4; i++) {
      await sendBeat(t, { hostname: name, interval });
      await sleep(400);
    }
    // The last beat's time as the monitor recorded it.
    const alive = await eventually(() => host(t, name), (h) => h?.state === 'alive', limitMs);
    expect(alive?.state).toBe('alive');
    const settled = await eventually(() => host(t, name), (h) => Date.now() - Number(h?.lastBeat) > 1500, 5000);
    const lastBeat = Number(settled?.lastBeat);

    const dead = await eventually(() => host(t, name), (h) => h?.state === 'dead', limitMs + GROUP_WAIT_MS + TICK * 1000 + 10_000, 100);
    const seenDeadAt = Date.now();
    expect(dead?.state).toBe('dead');
    expect(seenDeadAt - lastBeat, 'not declared dead early').toBeGreaterThanOrEqual(limitMs);
    // The group wait, one tick, plus a diagnose pass and this test's polling.
    expect(seenDeadAt - lastBeat, 'declared dead in time').toBeLessThanOrEqual(limitMs + GROUP_WAIT_MS + TICK * 1000 + 2000);
    if (process.env.DTS_VERBOSE) console.log(`liveness: declared dead ${seenDeadAt - lastBeat} ms after the last beat (limit ${limitMs} ms, tick ${TICK * 1000} ms)`);

    // Several more passes see the same silence: still one notification.
    await sleep(3 * TICK * 1000 + 500);
    const downs = (await notificationsOf(t, name)).filter((n) => n.kind === 'host-down');
    expect(downs).toHaveLength(1);
    if (cloud) {
      const printed = cloud.output().split('\n').filter((l) => l.startsWith('🔔 ALERT') && l.includes(name));
      expect(printed.length, 'the local subscriber printed the alert').toBeGreaterThanOrEqual(1);
    }

    for (let i = 0; i < 3; i++) {
      await sendBeat(t, { hostname: name, interval });
      await sleep(400);
    }
    const back = await eventually(() => host(t, name), (h) => h?.state === 'alive', 2 * TICK * 1000 + 5000);
    expect(back?.state).toBe('alive');
    await sendBeat(t, { hostname: name, interval, goodbye: true });
    await sleep(2 * TICK * 1000 + 500);
    const kinds = (await notificationsOf(t, name)).map((n) => n.kind);
    expect(kinds.filter((k) => k === 'host-recovered')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'host-down')).toHaveLength(1);
  }, 60_000 + 10 * TICK * 1000);
});
