import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MONITOR_KEY } from '../../lib/adapters/dynamodb/keys';
import { World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { drain, hostItem, notificationsOf } from '../support/then';

/**
 * Silences, flapping, storms and retirement, through the real stores on the embedded cloud,
 * with the clock in the test's hands.
 */
let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => cloud?.stop());
beforeEach(async () => {
  await cloud.clients.ddb.send(new DeleteCommand({ TableName: cloud.names.statsTable, Key: MONITOR_KEY }));
});

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);

/** What went out on the alerts topic about these hosts, by kind. */
async function published(...hostnames: string[]): Promise<{ kind: string; hostname: string; subject: string; attributes: Record<string, string> }[]> {
  const messages = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => JSON.parse(m.Body as string));
  return messages.filter((p) => hostnames.includes(p.MessageAttributes?.hostname?.Value)).map((p) => ({
    kind: p.MessageAttributes.kind.Value,
    hostname: p.MessageAttributes.hostname.Value,
    subject: p.Subject,
    attributes: Object.fromEntries(Object.entries(p.MessageAttributes as Record<string, { Value: string }>).map(([k, v]) => [k, v.Value])),
  }));
}
const recorded = async (hostname: string) => (await notificationsOf(cloud, hostname)).map((n) => [n.kind, n.suppressed ?? null]);

describe('silences', () => {
  it('a silence that starts and ends during an outage: one host-still-down when it ends, once', async () => {
    const w = new World(cloud, T0);
    w.set('sil-1', { interval: 60, labels: { role: 'sil-a' } });
    await w.runUntil(T0 + 2 * MIN, MIN);
    w.set('sil-1', { up: false });
    await w.runUntil(T0 + 8 * MIN, MIN);
    const s = await w.silence({ hostname: 'sil-1' }, 60 * MIN, 'disk replacement');
    await w.runUntil(T0 + 80 * MIN, MIN);

    expect(await recorded('sil-1')).toEqual([['host-up', null], ['host-down', null], ['host-still-down', null]]);
    const still = (await notificationsOf(cloud, 'sil-1')).find((n) => n.kind === 'host-still-down');
    expect(still).toMatchObject({ at: T0 + 68 * MIN, details: { silence: s.id, reason: 'disk replacement' } });
    expect((await w.silences.all()).find((x) => x.id === s.id)?.closedAt).toBeDefined();
    expect((await published('sil-1')).map((p) => p.kind)).toEqual(['host-up', 'host-down', 'host-still-down']);
  });

  it('while a label is silenced, a death and a recovery are recorded as suppressed and not published', async () => {
    const w = new World(cloud, T0);
    w.set('sil-2', { interval: 60, labels: { role: 'sil-b' } });
    await w.runUntil(T0 + 2 * MIN, MIN);
    const s = await w.silence({ label: 'role', value: 'sil-b' }, 60 * MIN, 'patching');
    w.set('sil-2', { up: false });
    await w.runUntil(T0 + 20 * MIN, MIN);
    w.set('sil-2', { up: true });
    await w.runUntil(T0 + 70 * MIN, MIN);

    expect(await recorded('sil-2')).toEqual([['host-up', null], ['host-down', `silence:${s.id}`], ['host-recovered', `silence:${s.id}`]]);
    expect((await published('sil-2')).map((p) => p.kind)).toEqual(['host-up']);
    expect((await w.hosts.get('sil-2'))?.state).toBe('alive');
  });

  it('a resource alert during a silence is suppressed too (ingest reads silences only when it has something to say)', async () => {
    const w = new World(cloud, T0);
    w.set('sil-3', { interval: 60, labels: { role: 'sil-c' } });
    await w.runUntil(T0 + 2 * MIN, MIN);
    await w.silence({ hostname: 'sil-3' }, 30 * MIN, 'load test');
    w.set('sil-3', { disk: 95 });
    await w.runUntil(T0 + 4 * MIN, MIN);
    expect((await notificationsOf(cloud, 'sil-3')).find((n) => n.kind === 'resource-critical')?.suppressed).toMatch(/^silence:/);
  });
});

describe('flapping', () => {
  it('the fifth change in 30 minutes starts flapping: one notice, the ups and downs held back, one when it settles', async () => {
    const w = new World(cloud, T0);
    w.set('flap-1', { interval: 60, labels: { role: 'flap' } });
    await w.runUntil(T0 + 2 * MIN, MIN);
    for (let i = 0; i < 3; i++) {
      w.set('flap-1', { up: false });
      await w.runUntil(w.now + 4 * MIN, MIN);
      w.set('flap-1', { up: true });
      await w.runUntil(w.now + 2 * MIN, MIN);
    }
    await w.runUntil(w.now + 40 * MIN, MIN);

    expect(await recorded('flap-1')).toEqual([
      ['host-up', null],
      ['host-down', null], ['host-recovered', null],
      ['host-down', null], ['host-recovered', null],
      ['host-down', 'flapping'], ['host-flapping', null], ['host-recovered', 'flapping'],
      ['host-stable', null],
    ]);
    expect((await published('flap-1')).map((p) => p.kind)).toEqual([
      'host-up', 'host-down', 'host-recovered', 'host-down', 'host-recovered', 'host-flapping', 'host-stable',
    ]);
    const host = await hostItem(cloud, 'flap-1');
    expect(host?.flappingSince).toBeUndefined();
    expect(host?.changes).toHaveLength(6);
  });
});

describe('storms', () => {
  it('more than half of a rack dying in one pass: one grouped notification, per-host records suppressed', async () => {
    const w = new World(cloud, T0);
    for (const h of ['st-1', 'st-2', 'st-3', 'st-4']) w.set(h, { interval: 60, labels: { rack: 'storm-rack', role: 'storm' } });
    // Bystanders elsewhere, so that the fleet as a whole stays below the share, whatever ran before.
    for (const h of ['st-5', 'st-6', 'st-7', 'st-8']) w.set(h, { interval: 60, labels: { rack: 'calm-rack', role: 'storm' } });
    await w.runUntil(T0 + 2 * MIN, MIN);
    for (const h of ['st-1', 'st-2', 'st-3']) w.set(h, { up: false });
    await w.runUntil(T0 + 8 * MIN, MIN);

    const storms = await notificationsOf(cloud, '@fleet');
    const mine = storms.filter((n) => n.details && (n.details as Record<string, string>).scope === 'rack=storm-rack');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ kind: 'fleet-storm', severity: 'critical', details: { count: '3', total: '4', hosts: 'st-1 st-2 st-3', cause: 'rack=storm-rack' } });
    expect(mine[0]?.message).toBe('3 of 4 hosts with rack=storm-rack went down together; likely shared cause: rack=storm-rack');
    for (const h of ['st-1', 'st-2', 'st-3']) expect(await recorded(h)).toEqual([['host-up', null], ['host-down', 'storm:rack=storm-rack']]);
    const out = await published('st-1', 'st-2', 'st-3', 'st-4', '@fleet');
    expect(out.filter((p) => p.kind === 'host-down')).toEqual([]);
    // It carries the rack as an attribute, so a subscription filtering on label.rack receives it.
    expect(out.filter((p) => p.kind === 'fleet-storm' && p.attributes['label.rack'] === 'storm-rack')).toHaveLength(1);
  });

  it('exactly half is not a storm: each death is announced', async () => {
    const w = new World(cloud, T0, { storm: { share: 0.5, minHosts: 2 } });
    for (const h of ['half-1', 'half-2', 'half-3', 'half-4']) w.set(h, { interval: 60, labels: { rack: 'half-rack' } });
    await w.runUntil(T0 + 2 * MIN, MIN);
    for (const h of ['half-1', 'half-2']) w.set(h, { up: false });
    await w.runUntil(T0 + 8 * MIN, MIN);

    expect((await notificationsOf(cloud, '@fleet')).filter((n) => (n.details as Record<string, string>).scope === 'rack=half-rack')).toEqual([]);
    expect((await published('half-1', 'half-2')).filter((p) => p.kind === 'host-down')).toHaveLength(2);
  });

  it('two overlapping passes announce one storm', async () => {
    const w = new World(cloud, T0);
    for (const h of ['ov-1', 'ov-2', 'ov-3']) w.set(h, { interval: 60, labels: { rack: 'ov-rack' } });
    for (const h of ['ov-4', 'ov-5', 'ov-6']) w.set(h, { interval: 60, labels: { rack: 'ov-calm' } });
    await w.runUntil(T0 + 2 * MIN, MIN);
    // Their deadline, and no longer after the last pass than the monitor trusts itself.
    w.now = T0 + 5 * MIN;
    for (const h of ['ov-4', 'ov-5', 'ov-6']) await w.beat(h);
    await Promise.all([w.diagnose(), w.diagnose()]);
    expect((await notificationsOf(cloud, '@fleet')).filter((n) => (n.details as Record<string, string>).scope === 'rack=ov-rack')).toHaveLength(1);
  });
});

describe('host lifecycle', () => {
  it('retires a host silent for retireAfter, and a beat brings it back as new, without its old history', async () => {
    const w = new World(cloud, T0);
    w.set('ret-1', { interval: 60, labels: { role: 'ret' } });
    await w.runUntil(T0 + 2 * MIN, MIN);
    w.set('ret-1', { up: false });
    await w.runUntil(T0 + 6 * MIN, MIN);
    expect((await w.hosts.get('ret-1'))?.changes).toHaveLength(1);

    w.now = T0 + 2 * MIN + 7 * 86_400_000 - 1;
    await w.diagnose();
    expect((await w.hosts.get('ret-1'))?.state).toBe('dead');
    w.now += 1;
    await w.diagnose();
    w.now += MIN;
    await w.diagnose();
    expect(await w.hosts.get('ret-1')).toMatchObject({ state: 'retired' });
    expect((await w.hosts.get('ret-1'))?.changes).toBeUndefined();

    await w.beat('ret-1');
    w.now += 30_000;
    await w.diagnose();
    expect((await w.hosts.get('ret-1'))?.state).toBe('alive');
    expect((await recorded('ret-1')).map(([k]) => k)).toEqual(['host-up', 'host-down', 'host-retired', 'host-up']);
  });

  it('a goodbye followed by silence is not an outage', async () => {
    const w = new World(cloud, T0);
    w.set('bye-9', { interval: 60 });
    await w.runUntil(T0 + 2 * MIN, MIN);
    w.now += 1000;
    await w.beat('bye-9', { goodbye: true });
    w.set('bye-9', { up: false });
    await w.runUntil(T0 + 30 * MIN, MIN);
    expect((await recorded('bye-9')).map(([k]) => k)).toEqual(['host-up', 'host-left']);
    expect((await w.hosts.get('bye-9'))?.state).toBe('left');
  });

  it('forgets a removed host; a later beat makes it new again', async () => {
    const w = new World(cloud, T0);
    await w.beat('rm-1');
    expect(await w.hosts.remove('rm-1')).toBe(true);
    expect(await w.hosts.get('rm-1')).toBeUndefined();
    expect(await w.hosts.remove('rm-1')).toBe(false);
  });
});
