/**
 * Detection at the deadline (docs/SEMANTICS.md): the scheduled diagnose function, after its
 * pass, declares each host dead within moments of its deadline, not at the next pass. Real
 * clock, real handler, the AWS SDK against the emulators. The one-minute figures over the real
 * schedule are `npm run bench:detection` (docs/BENCHMARKS.md).
 */
import { PurgeQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnoseSummary } from '../../lib/app/diagnose/pass';
import type { WatchSummary } from '../../lib/app/diagnose/watch';
import { encodeBody } from '../../lib/wire/codec';
import { ingestHeartbeat } from '../../lib/app/ingest/heartbeats';
import { silentLog } from '../../lib/app/log';
import { heartbeatIngestDeps, namesFromEnv } from '../../lib/compose';
import { loadConfig } from '../../lib/config';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaContext, scheduledEvent, sqsEvent, sqsRecord } from '../support/events';
import { drain, hostItem, notificationsOf } from '../support/then';

let cloud: TestCloud;
let ingest: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let diagnose: (event: ScheduledEvent, context: Context) => Promise<DiagnoseSummary & { watch: WatchSummary }>;

/** Hosts declare a 2 s interval: with the default tolerance of 3, a deadline 6 s after a beat. */
const INTERVAL = 2;
const DEADLINE_MS = INTERVAL * 3 * 1000;

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env, { DTS_WATCH_SECONDS: String(DEADLINE_MS / 1000), DTS_SCAN_SEGMENTS: '2', DTS_LAG_WAIT_SECONDS: '1', DTS_GROUP_WAIT_SECONDS: '0' });
  ({ handler: ingest } = await import('../../functions/ingest-heartbeats'));
  ({ handler: diagnose } = await import('../../functions/diagnose'));
});
afterAll(async () => cloud?.stop());

/** A beat received now, so the host's deadline is DEADLINE_MS from now. */
async function beat(hostname: string, labels: Record<string, string> = {}, interval = INTERVAL): Promise<number> {
  const at = Date.now();
  const body = encodeBody('dts.HeartbeatMessage', { hostname, timestamp: at / 1000, interval, labels });
  const result = await ingest(sqsEvent([sqsRecord(body, { sentAt: at })]), lambdaContext('ingestHeartbeats'));
  expect(result.batchItemFailures).toEqual([]);
  return at;
}

const run = () => diagnose(scheduledEvent(), lambdaContext('diagnose', 75_000));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kinds = async (hostname: string) => (await notificationsOf(cloud, hostname)).map((n) => n.kind);

describe('diagnose at the deadline', () => {
  it('declares hosts whose deadlines fall within the watch within moments of each, and spares one that beat in time', async () => {
    await drain(cloud, cloud.names.alertsQueueUrl);
    // Healthy bystanders, so that five deaths are not a storm.
    for (let i = 0; i < 10; i++) await beat(`by-${i}`, {}, 600);
    // Five hosts, their last beats 400 ms apart: deadlines staggered over 1.6 s, after the pass.
    const lastBeat = new Map<string, number>();
    for (let i = 0; i < 5; i++) {
      lastBeat.set(`dl-${i}`, await beat(`dl-${i}`));
      await sleep(400);
    }
    await beat('dl-saved');
    // dl-saved beats again before its deadline, now declaring a minute: its deadline moves past the watch.
    const rescue = sleep(DEADLINE_MS - 2000).then(() => beat('dl-saved', {}, 60));

    const started = Date.now();
    const result = await run();
    await rescue;

    expect(result.transitions['host-down'] ?? 0).toBe(0);
    expect(result.watch.transitions['host-down']).toBe(5);
    expect(result.watch.errors).toBe(0);
    // Each death committed within 1.5 s of its deadline (usually tens of ms).
    expect(result.watch.lateMs).toHaveLength(5);
    for (const late of result.watch.lateMs) {
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThan(1500);
    }
    // The invocation ends with the watch: a deadline after the pass at most, plus its last batch.
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 2000);

    for (const [hostname, beatAt] of lastBeat) {
      const item = await hostItem(cloud, hostname);
      expect(item).toMatchObject({ state: 'dead', stateSince: beatAt + DEADLINE_MS });
      expect(await kinds(hostname)).toEqual(['host-up', 'host-down']);
    }
    expect(await hostItem(cloud, 'dl-saved')).toMatchObject({ state: 'alive' });
    expect(await kinds('dl-saved')).toEqual(['host-up']);

    // Published once each, on the alerts topic, with the deaths' own times.
    const published = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => JSON.parse(m.Body as string) as { MessageAttributes: Record<string, { Value: string }> });
    const downs = published.filter((p) => p.MessageAttributes.kind?.Value === 'host-down').map((p) => p.MessageAttributes.hostname?.Value).sort();
    expect(downs).toEqual([...lastBeat.keys()]);
  });

  it('hands over to a newer pass, and the death is declared once', async () => {
    await beat('ho-1');
    await sleep(1000);
    // The first invocation lists ho-1 (deadline in about 5 s); a second starts 2 s later.
    const first = run();
    await sleep(2000);
    const second = await run();
    const a = await first;

    expect(a.watch.stopped).toBe('a newer pass took over');
    expect((a.watch.transitions['host-down'] ?? 0) + (second.watch.transitions['host-down'] ?? 0)).toBe(1);
    expect(await kinds('ho-1')).toEqual(['host-up', 'host-down']);
  });

  it('stops watching when beats wait on the queue that ingest does not take: no host is declared dead from a stale view', async () => {
    await beat('bl-1');
    const started = run();
    // After the pass (which saw an empty queue), beats wait, and nobody consumes them.
    await sleep(1000);
    for (let i = 0; i < 3; i++) {
      await cloud.clients.sqs.send(new SendMessageBatchCommand({
        QueueUrl: cloud.names.heartbeatsQueueUrl,
        Entries: Array.from({ length: 10 }, (_, j) => ({ Id: `b${j}`, MessageBody: encodeBody('dts.HeartbeatMessage', { hostname: `bl-q-${i}-${j}`, timestamp: Date.now() / 1000 }) })),
      }));
    }
    const result = await started;
    expect(result.watch.stopped).toMatch(/^ingest is behind: \d+ message\(s\) wait on the heartbeats queue and a canary sent at .* is not stored yet/);
    expect(await hostItem(cloud, 'bl-1')).toMatchObject({ state: 'alive' });
    await cloud.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: cloud.names.heartbeatsQueueUrl }));
  });

  it('counts deaths earlier in the watch towards a storm, and names every later one in a follow-up', async () => {
    await drain(cloud, cloud.names.alertsQueueUrl);
    // rack=r9 has four hosts, dying 500 ms apart (no group wait here): the third death is more than half the rack.
    for (let i = 0; i < 4; i++) {
      await beat(`r9-${i}`, { rack: 'r9' });
      await sleep(500);
    }
    const result = await run();

    expect(result.watch.transitions['host-down']).toBe(4);
    const published = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => JSON.parse(m.Body as string) as { Message: string; MessageAttributes: Record<string, { Value: string }> });
    const mine = published.filter((p) => p.MessageAttributes.hostname?.Value?.startsWith('r9-') || p.MessageAttributes.kind?.Value === 'fleet-storm');
    const seen = mine.map((p) => `${p.MessageAttributes.kind?.Value} ${p.MessageAttributes.hostname?.Value}`).filter((k) => !k.startsWith('host-up'));
    // The first two were announced alone (two of four is not more than half); then the storm,
    // naming them as already paged, then a follow-up naming the fourth.
    expect(seen.sort()).toEqual(['fleet-storm @fleet', 'fleet-storm @fleet', 'host-down r9-0', 'host-down r9-1']);
    const storms = (await notificationsOf(cloud, '@fleet')).filter((n) => n.kind === 'fleet-storm' && (n.details as Record<string, string>).scope === 'rack=r9');
    expect(storms.map((n) => n.message)).toEqual([
      '3 of 4 hosts with rack=r9 went down together; likely shared cause: rack=r9; already paged: r9-0, r9-1',
      expect.stringMatching(/^1 more host with rack=r9 went down in the storm since .*: r9-3 \(4 of 4 named\)$/),
    ]);
    expect(new Set(storms.map((n) => n.incident)).size).toBe(1);
    for (const h of ['r9-2', 'r9-3']) {
      const [, down] = await notificationsOf(cloud, h);
      expect(down).toMatchObject({ kind: 'host-down', suppressed: 'storm:rack=r9' });
      expect(await hostItem(cloud, h)).toMatchObject({ stormIncident: storms[0]?.incident });
    }
    for (const h of ['r9-0', 'r9-1']) expect((await hostItem(cloud, h))?.stormIncident).toBeUndefined();
  });


  it('lists a host first seen while the watch runs from the monitor item, and starts a pass for one first seen when none runs', async () => {
    // The ingest of the functions, with a recording trigger in place of the Lambda invocation.
    const root = { config: loadConfig(process.env), clients: cloud.clients, names: namesFromEnv(process.env), log: silentLog };
    const triggered: string[] = [];
    const base = heartbeatIngestDeps(root);
    const d = { ...base, arrivals: { monitor: base.stats, trigger: { runPass: async (reason: string) => { triggered.push(reason); } }, withinMs: DEADLINE_MS, gapMs: 5000 } };
    const firstBeat = async (hostname: string, interval: number) => {
      const at = Date.now();
      const body = encodeBody('dts.HeartbeatMessage', { hostname, timestamp: at / 1000, interval });
      expect(await ingestHeartbeat(d, sqsRecord(body, { sentAt: at }))).toBe('stored');
      return at;
    };
    // A host the pass lists keeps the watch running; arr-1 is first seen a second into it, with a
    // 1 s interval (a deadline 3 s on, before any later pass).
    await beat('keeper-1');
    const running = run();
    await sleep(1000);
    const arrived = await firstBeat('arr-1', 1);
    const result = await running;
    expect(triggered, 'a running watch lists it: no pass of its own').toEqual([]);
    expect(await hostItem(cloud, 'arr-1')).toMatchObject({ state: 'dead', stateSince: arrived + 3000 });
    expect(result.watch.errors).toBe(0);
    expect(Math.max(...result.watch.lateMs)).toBeLessThan(1500);
    expect((await d.stats.monitor()).arrivals).toEqual([]);

    // The watch is over: a host first seen now starts a pass, one for two hosts within the gap.
    await firstBeat('arr-2', 1);
    await firstBeat('arr-3', 1);
    expect(triggered).toEqual(['first beat of arr-2']);
    expect((await d.stats.monitor()).arrivals).toEqual(['arr-2', 'arr-3']);
  });

});
