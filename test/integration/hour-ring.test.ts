/**
 * The 24-hour history in the host item, through the real ingest service and engines: a day of
 * agent beats fills the ring, each beat stays one UpdateItem of one write unit (the engine's own
 * ConsumedCapacity), a beat replayed out of order changes no slot, a relay's HeartbeatBatch fills
 * slots as single beats do, and the item's size by DynamoDB's rule (docs/BENCHMARKS.md).
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemBytes } from '../../bench/support/item-size';
import { HourPeakMeter } from '../../lib/agent/hour-peaks';
import type { HeartbeatSample } from '../../lib/producer/heartbeat';
import { loadConfig } from '../../lib/config';
import { historyAt, HOUR_MS } from '../../lib/domain/host/history';
import { ingestHeartbeat, type BeatOutcome, type HeartbeatIngest } from '../../lib/app/ingest/heartbeats';
import { silentLog } from '../../lib/app/log';
import { HostStore } from '../../lib/adapters/dynamodb/hosts';
import { NotificationStore } from '../../lib/adapters/dynamodb/notifications';
import { AlertPublisher } from '../../lib/adapters/sns/alerts';
import { encodeSlot, slotAttribute } from '../../lib/domain/host/hour-ring';
import { encodeBody } from '../../lib/wire/codec';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { recordConsumedCapacity, type ConsumedCall } from '../support/capacity';
import { hostItem } from '../support/then';

let cloud: TestCloud;
let deps: HeartbeatIngest;
let now = 0;
/** The busy host's item after a day of beats: the realistic case, the base of the worst ones. */
let busyItem: Record<string, unknown> = {};
/** DynamoDB requests and the write units the engine reported for each, since the last reset. */
const seen: ConsumedCall[] = [];

beforeAll(async () => {
  cloud = await startTestCloud();
  const ddb = cloud.clients.ddb;
  recordConsumedCapacity(ddb, seen, 'hourRingCapacity');
  deps = {
    hosts: new HostStore(ddb, cloud.names.hostsTable),
    delivery: {
      notifications: new NotificationStore(ddb, cloud.names.notificationsTable, 90),
      alerts: new AlertPublisher(cloud.clients.sns, cloud.names.alertsTopicArn),
      now: () => now,
    },
    quarantine: undefined, levels: loadConfig({}).levels, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32 * 1024 }, log: silentLog,
  };
});
afterAll(async () => cloud?.stop());

const T0 = Date.UTC(2026, 11, 1, 0, 10, 0);
/** What the agent sends about the host it runs on: its labels, figures and version, as lib/agent measures them. */
const LABELS = { role: 'web', env: 'prod', region: 'eu-west-1', team: 'payments' };
const agentSample = (cpu: number, mem: number, disk: number): HeartbeatSample => ({
  cpu: { percent: cpu, cores: 8, load1: 1.37, load5: 1.12, load15: 0.98 },
  mem: { percent: mem, total: 16_777_216_000, used: 10_066_329_600, available: 6_710_886_400 },
  disk: { percent: disk, total: 107_374_182_400, used: 66_571_993_088, mount: '/' },
  uptime: 1_234_567,
});

async function send(message: Record<string, unknown>, receivedAt: number, type = 'dts.HeartbeatMessage'): Promise<BeatOutcome> {
  now = receivedAt;
  return ingestHeartbeat(deps, {
    messageId: randomUUID(), body: encodeBody(type as 'dts.HeartbeatMessage', message as never),
    attributes: { SentTimestamp: String(receivedAt) },
    messageAttributes: { 'dts-type': { stringValue: type, dataType: 'String' } },
  });
}

const agentBeat = (hostname: string, sample: HeartbeatSample, sentAt: number) => ({
  hostname, timestamp: sentAt / 1000, interval: 60, labels: LABELS, agent: { name: 'dts-agent', version: '0.1.0' }, ...sample,
});

const ring = (item: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(item ?? {}).filter(([k]) => /^h\d+$/.test(k)));

describe('a day of agent beats', () => {
  const SKEW = 120_000; // the agent's clock runs 2 minutes ahead: its hours start 2 minutes early
  const STEP = 20 * 60_000;
  const BEATS = 26 * 3; // 26 hours: the ring wraps
  // A busy web host: cpu wanders over 40 whole percents a day, mem over 12, disk over 3.
  const reading = (i: number) => ({ cpu: 5 + ((i * 37) % 40), mem: 40 + ((i * 5) % 12), disk: 60 + (i % 3) });
  const last = T0 + (BEATS - 1) * STEP;

  it('fills 24 hourly slots with the agent\'s own peaks, each beat one UpdateItem of one write unit', async () => {
    const meter = new HourPeakMeter();
    const expected = new Map<number, { cpu: number; mem: number; disk: number }>();
    const lastOfHour = new Map<number, number>();
    for (let i = 0; i < BEATS; i++) {
      const receivedAt = T0 + i * STEP;
      const sentAt = receivedAt + SKEW;
      const r = reading(i);
      const sample = agentSample(r.cpu, r.mem, r.disk);
      const hour = Math.floor(sentAt / HOUR_MS);
      const e = expected.get(hour);
      expected.set(hour, e ? { cpu: Math.max(e.cpu, r.cpu), mem: Math.max(e.mem, r.mem), disk: Math.max(e.disk, r.disk) } : r);
      lastOfHour.set(hour, r.cpu);
      seen.length = 0;
      expect(await send(agentBeat('ring-web-1', { ...sample, hourPeaks: meter.observe(sample, sentAt) }, sentAt), receivedAt)).toBe('stored');
      expect(seen.map((s) => s.command)).toEqual(['UpdateItemCommand']);
      expect(seen[0]?.units).toBe(1);
    }

    const item = await hostItem(cloud, 'ring-web-1');
    expect(Object.keys(ring(item))).toHaveLength(24);
    const history = historyAt((await deps.hosts.get('ring-web-1'))?.hourly, last);
    const lastHour = Math.floor(last / HOUR_MS);
    for (let k = 0; k < 24; k++) {
      const want = expected.get(lastHour - 23 + k);
      expect([history.cpu[k], history.mem[k], history.disk[k]]).toEqual(want ? [want.cpu, want.mem, want.disk] : [null, null, null]);
    }
    // An hour's peak is the highest reading of that hour, not the last one.
    expect([...expected].filter(([hour, p]) => p.cpu > (lastOfHour.get(hour) ?? 0)).length).toBeGreaterThan(10);

    const bytes = itemBytes(item ?? {});
    if (process.env.DTS_VERBOSE) console.log(`host item with a full ring, by DynamoDB's size rule: ${bytes} B (ring: ${itemBytes(ring(item))} B)`);
    expect(bytes).toBeLessThanOrEqual(1024);
    busyItem = item ?? {};
  });

  it('a beat replayed out of order, or twice, changes no slot', async () => {
    const before = ring(await hostItem(cloud, 'ring-web-1'));
    const older = last - 2 * HOUR_MS;
    const replay = agentSample(99, 99, 99);
    expect(await send(agentBeat('ring-web-1', { ...replay, hourPeaks: { hour: Math.floor((older + SKEW) / HOUR_MS), cpu: 99, mem: 99, disk: 99 } }, older + SKEW), older)).toBe('stale');
    expect(await send(agentBeat('ring-web-1', { ...replay, hourPeaks: { hour: Math.floor((last + SKEW) / HOUR_MS), cpu: 99, mem: 99, disk: 99 } }, last + SKEW), last)).toBe('stale');
    expect(ring(await hostItem(cloud, 'ring-web-1'))).toEqual(before);
  });
});

describe('the size of a host item, by DynamoDB\'s rule and by the engine\'s ConsumedCapacity', () => {
  const full = (n: number) => new Set(Array.from({ length: n }, (_, i) => i));
  const withSets = (item: Record<string, unknown>, cpuValues: number) => Object.fromEntries(Object.entries(item).map(([k, v]) => [
    k, k.startsWith('seen_') ? full(k.startsWith('seen_cpu') ? cpuValues : 101) : v,
  ]));

  it('the ring is 24 slots of 9 bytes and their names: 278 B whatever it holds', () => {
    const widest = Object.fromEntries(Array.from({ length: 24 }, (_, k) => [slotAttribute(k), encodeSlot({ hour: 499_999 + k, cpu: 99, mem: 99, disk: 99 })]));
    expect(itemBytes(widest)).toBe(278);
    expect(itemBytes(ring(busyItem))).toBeLessThanOrEqual(278);
  });

  it('worst case: every daily-peak set full (101 whole percents, 2 days): 2 write units, as before the ring', async () => {
    const worst = withSets(busyItem, 101);
    const bytes = itemBytes(worst);
    if (process.env.DTS_VERBOSE) console.log(`worst case, every seen_ set at 101 members and the ring full: ${bytes} B`);
    expect(bytes).toBeGreaterThan(1024);
    expect(bytes).toBeLessThanOrEqual(2048);
    // The engine agrees: a beat onto that item costs 2 units.
    await cloud.clients.ddb.send(new PutCommand({ TableName: cloud.names.hostsTable, Item: { ...worst, hostname: 'worst-1' } }));
    seen.length = 0;
    const at = Number(busyItem.lastBeat) + 60_000;
    expect(await send(agentBeat('worst-1', agentSample(20, 45, 61), at), at)).toBe('stored');
    expect(seen.map((s) => s.units)).toEqual([2]);
  });

  it('one write unit holds the full ring while cpu takes up to 40 whole percents a day, mem 10 and disk 3', () => {
    const limit = Object.fromEntries(Object.entries(busyItem).map(([k, v]) => [
      k, k.startsWith('seen_') ? full(k.startsWith('seen_cpu') ? 40 : k.startsWith('seen_mem') ? 10 : 3) : v,
    ]));
    const bytes = itemBytes(limit);
    if (process.env.DTS_VERBOSE) console.log(`cpu at 40 distinct percents a day, mem 10, disk 3, ring full: ${bytes} B`);
    expect(bytes).toBeLessThanOrEqual(1024);
  });
});

describe('beats without peaks, and relayed beats', () => {
  it('a sender that sends no peaks leaves the last reading of each hour', async () => {
    const t = T0 + 5 * 60_000;
    for (const [i, cpu] of [70, 20].entries()) {
      expect(await send({ hostname: 'plain-1', timestamp: (t + i * 60_000) / 1000, interval: 60, cpu: { percent: cpu } }, t + i * 60_000)).toBe('stored');
    }
    expect((await hostItem(cloud, 'plain-1'))?.[slotAttribute(Math.floor(t / HOUR_MS))]).toBe(encodeSlot({ hour: Math.floor(t / HOUR_MS), cpu: 20 }));
  });

  it('a relay\'s HeartbeatBatch writes each beat\'s slot, peaks included, one UpdateItem per beat', async () => {
    const t = T0 + 30 * 60_000;
    const hour = Math.floor(t / HOUR_MS);
    const relayed = (hostname: string, cpu: number, peak: number) => ({
      beat: { hostname, timestamp: t / 1000, interval: 60, cpu: { percent: cpu }, hourPeaks: { hour, cpu: peak } }, receivedAt: t / 1000,
    });
    seen.length = 0;
    expect(await send({ beats: [relayed('relayed-1', 10, 64), relayed('relayed-2', 30, 12)], relay: 'relay-1' }, t + 1000, 'dts.HeartbeatBatch')).toBe('stored');
    expect(seen.filter((s) => s.command === 'UpdateItemCommand')).toHaveLength(2);
    expect((await hostItem(cloud, 'relayed-1'))?.[slotAttribute(hour)]).toBe(encodeSlot({ hour, cpu: 64 }));
    expect((await hostItem(cloud, 'relayed-2'))?.[slotAttribute(hour)]).toBe(encodeSlot({ hour, cpu: 30 }));
  });
});
