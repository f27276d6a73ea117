/**
 * A storm is named whole, once (issue 26, part 3), through the real stores on the emulators: the
 * pass and the deadline watch as the scheduled function runs them, on the real clock with a 3 s
 * deadline. Deaths close together wait for each other (the group wait) and make one notice;
 * deaths split between invocations are one storm, the later ones named in a follow-up; hosts
 * paged alone before are named and keep their own incident; recoveries of hosts held under the
 * storm are counted in its progress, whoever committed them (the pass, or ingest).
 */
import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentAction } from '../../lib/domain/notification/incidents';
import { runDiagnosePass, type DiagnoseDeps } from '../../lib/app/diagnose/pass';
import { watchDeadlines } from '../../lib/app/diagnose/watch';
import { AlertPublisher } from '../../lib/adapters/sns/alerts';
import { HostStore } from '../../lib/adapters/dynamodb/hosts';
import { NotificationStore } from '../../lib/adapters/dynamodb/notifications';
import { StatsStore } from '../../lib/adapters/dynamodb/stats';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { idleQueue } from '../../tools/harness/idle-queue';
import { drain, hostItem, notificationsOf } from '../support/then';

const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
/** Hosts declare a 1 s interval: with a tolerance of 3, dead 3 s after their last beat. */
const INTERVAL = 1;
const DEADLINE_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cloud: TestCloud;
let hosts: HostStore;
let notifications: NotificationStore;
beforeAll(async () => {
  cloud = await startTestCloud();
  hosts = new HostStore(cloud.clients.ddb, cloud.names.hostsTable);
  notifications = new NotificationStore(cloud.clients.ddb, cloud.names.notificationsTable, 90);
});
afterAll(async () => cloud?.stop());

function diagnosis(groupWaitMs: number): DiagnoseDeps {
  return {
    hosts, stats: new StatsStore(cloud.clients.ddb, cloud.names.statsTable), queue: idleQueue(Date.now), lagWaitMs: 1000,
    delivery: { notifications, alerts: new AlertPublisher(cloud.clients.sns, cloud.names.alertsTopicArn), now: Date.now },
    rule: { defaultInterval: 60, tolerance: 3, retireAfter: 7 * 86_400 },
    scanSegments: 2, log: silentLog,
    storm: { share: 0.5, minHosts: 3, windowSeconds: 60 },
    watchMs: 8000, groupWaitMs,
    fleetHistory: (at) => notifications.byHost('@fleet', at - 86_400_000, at + 1),
  };
}

/** One invocation of the scheduled function: a pass, then its deadline watch for `watchMs`. */
async function invoke(d: DiagnoseDeps, watchMs: number) {
  const { summary, context, upcoming } = await runDiagnosePass(d);
  const watch = await watchDeadlines(d, context, upcoming, { passAt: summary.at, until: summary.at + watchMs });
  return { summary, watch };
}

async function beat(hostname: string, labels: Record<string, string>, interval = INTERVAL): Promise<void> {
  const now = Date.now();
  await hosts.recordBeat({ hostname, receivedAt: now, sentAt: now, interval, labels, goodbye: false }, false);
}

interface Sent { kind: string; hostname: string; id: string; message: string }
const seen: Sent[] = [];
/** Everything published on the alerts topic so far about rack `rack`: its hosts, and its storm's notices. */
async function published(rack: string): Promise<Sent[]> {
  const parse = (m: Message): Sent => {
    const body = JSON.parse(m.Body as string) as { Message: string; MessageAttributes: Record<string, { Value: string }> };
    const a = body.MessageAttributes;
    return { kind: a.kind?.Value ?? '', hostname: a.hostname?.Value ?? '', id: a.id?.Value ?? '', message: body.Message.split('\n')[0] ?? '' };
  };
  seen.push(...(await drain(cloud, cloud.names.alertsQueueUrl)).map(parse));
  const scope = new RegExp(`rack=${rack}(?![\\w-])`);
  return seen.filter((s) => s.hostname.startsWith(`${rack}-`) || (s.hostname === '@fleet' && scope.test(s.message)));
}

/** The recorded notification behind a published one: its incident and whether it was held back. */
async function recordOf(s: Sent): Promise<Record<string, unknown>> {
  const found = (await notificationsOf(cloud, s.hostname)).find((n) => n.id === s.id);
  expect(found, s.id).toBeDefined();
  return found as Record<string, unknown>;
}

/** Every incident a published message opened is closed by a published message with its key. */
async function everyOpenedIncidentClosed(sent: readonly Sent[]): Promise<void> {
  const records = await Promise.all(sent.map(recordOf));
  const opened = new Set(records.filter((r) => incidentAction(r as never) === 'open').map((r) => r.incident));
  const closed = new Set(records.filter((r) => incidentAction(r as never) === 'close').map((r) => r.incident));
  expect([...opened].filter((i) => !closed.has(i))).toEqual([]);
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

describe('a storm\'s record on the monitor item', () => {
  it('announces each step once: a larger count, then the end, never a smaller count nor anything after the end', async () => {
    const stats = new StatsStore(cloud.clients.ddb, cloud.names.statsTable);
    const incident = '@fleet/storm/rack=rec/2026-12-05T09:00:00.000Z';
    const n = (id: string) => ({ id, hostname: '@fleet', kind: 'fleet-storm-recovering' as const, severity: 'info' as const, at: 1, message: id, details: {} });
    expect(await stats.announceStorm(incident, 3, 1, n('a'))).toBe(true);
    expect(await stats.announceStorm(incident, 3, 2, n('b'))).toBe(false);
    expect(await stats.announceStorm(incident, 2, 2, n('c'))).toBe(false);
    expect(await stats.announceStorm(incident, 5, 3, n('d'))).toBe(true);
    expect(await stats.announceStorm(incident, 'over', 4, n('e'))).toBe(true);
    expect(await stats.announceStorm(incident, 'over', 5, n('f'))).toBe(false);
    expect(await stats.announceStorm(incident, 9, 6, n('g'))).toBe(false);
    const monitor = await stats.monitor();
    expect(monitor.pending.map((p) => p.notification.id).sort()).toEqual(['a', 'd', 'e']);
    const record = monitor.storms.find((r) => r.incident === incident);
    expect(record).toMatchObject({ overAt: 4 });
    await stats.forgetStorms([record?.attribute as string]);
    expect((await stats.monitor()).storms.find((r) => r.incident === incident)).toBeUndefined();
    for (const id of ['a', 'd', 'e']) await stats.settle(id);
  });
});

describe('a storm is named whole, once', () => {
  it('deaths whose deadlines spread over a second or two wait for each other: one storm notice, no page alone', async () => {
    const d = diagnosis(3000);
    const rack = names('gw', 10);
    for (const h of names('gw-calm', 10)) await beat(h, { rack: 'gw-calm' }, 600);
    // Half the rack, then the other half a second later: alone, the first half is no storm (5 of 10).
    await Promise.all(rack.slice(0, 5).map((h) => beat(h, { rack: 'gw' })));
    await sleep(1000);
    await Promise.all(rack.slice(5).map((h) => beat(h, { rack: 'gw' })));
    const lastBeats = await Promise.all(rack.map(async (h) => (await hosts.get(h))?.lastBeat as number));
    expect(Math.max(...lastBeats) - Math.min(...lastBeats), 'the deadlines spread over less than the group wait').toBeLessThan(2500);
    const { watch } = await invoke(d, DEADLINE_MS + 5000);
    expect(watch.transitions['host-down']).toBe(10);
    // The first death waited the group wait for the others.
    expect(Math.max(...watch.lateMs)).toBeGreaterThanOrEqual(2000);

    const sent = (await published('gw')).filter((s) => s.kind !== 'host-up');
    expect(sent.map((s) => s.kind)).toEqual(['fleet-storm']);
    expect(sent[0]?.message).toMatch(/^10 of 10 hosts with rack=gw went down together/);
    for (const h of rack) expect(await hostItem(cloud, h)).toMatchObject({ state: 'dead', stormIncident: '@fleet/storm/rack=gw/' + new Date(Number((await hostItem(cloud, 'gw-00'))?.stateSince)).toISOString() });
  }, 40_000);

  it('a storm split between two invocations is one incident: the later deaths are named in a follow-up; their recoveries end the storm, whoever committed them', async () => {
    const d = diagnosis(0);
    const rack = names('sp', 8);
    for (const h of names('sp-calm', 8)) await beat(h, { rack: 'sp-calm' }, 600);
    for (const h of rack.slice(0, 5)) await beat(h, { rack: 'sp' });
    await sleep(2000);
    for (const h of rack.slice(5)) await beat(h, { rack: 'sp' });
    // The first invocation's watch ends after the first five deaths, before the last three.
    await invoke(d, DEADLINE_MS - 500 + 700);
    await invoke(d, DEADLINE_MS + 1000);
    for (const h of rack) expect(await hostItem(cloud, h)).toMatchObject({ state: 'dead' });

    const downs = (await published('sp')).filter((s) => s.kind !== 'host-up');
    expect(downs.map((s) => s.kind)).toEqual(['fleet-storm', 'fleet-storm']);
    expect(downs[0]?.message).toMatch(/^5 of 8 hosts with rack=sp went down together/);
    expect(downs[1]?.message).toMatch(/^3 more hosts with rack=sp went down in the storm since .*: sp-05, sp-06, sp-07 \(8 of 8 named\)$/);
    const [first, more] = await Promise.all(downs.map(recordOf));
    expect(more?.incident).toBe(first?.incident);
    for (const h of rack) expect((await hostItem(cloud, h))?.stormIncident).toBe(first?.incident);

    // They beat again. Two recoveries are committed outside the pass, as ingest will commit them
    // (the same conditional change of state); the pass commits the rest.
    for (const h of rack) await beat(h, { rack: 'sp' }, 600);
    for (const h of rack.slice(0, 2)) {
      const item = await hosts.get(h);
      expect(await hosts.changeState({
        hostname: h, from: 'dead', fromSince: item?.stateSince as number, to: 'alive', at: item?.lastBeat as number,
        lastBeat: item?.lastBeat as number, requireSilence: false, outageStart: undefined,
      })).toBe(true);
    }
    await invoke(d, 0);
    const back = (await published('sp')).filter((s) => s.kind !== 'host-up').slice(downs.length);
    expect(back.map((s) => s.kind)).toEqual(['fleet-storm-over']);
    expect((await recordOf(back[0] as Sent)).incident).toBe(first?.incident);
    for (const h of rack.slice(2)) {
      expect((await notificationsOf(cloud, h)).filter((n) => n.kind === 'host-recovered')).toMatchObject([{ suppressed: 'storm:rack=sp' }]);
      expect((await hostItem(cloud, h))?.stormIncident).toBeUndefined();
    }
    // A later pass says nothing more.
    await invoke(d, 0);
    expect((await published('sp')).filter((s) => s.kind.startsWith('fleet-storm-'))).toHaveLength(1);
  }, 60_000);

  it('an invocation whose scan came before another one\'s deaths counts them when it reads them: its later deaths join that storm', async () => {
    const d = diagnosis(0);
    const rack = names('ov', 8);
    for (const h of names('ov-calm', 8)) await beat(h, { rack: 'ov-calm' }, 600);
    for (const h of rack.slice(0, 5)) await beat(h, { rack: 'ov' });
    await sleep(1500);
    for (const h of rack.slice(5)) await beat(h, { rack: 'ov' });
    // Invocation B scans while the whole rack is alive; then invocation A declares the first five.
    const b = await runDiagnosePass(d);
    const a = await runDiagnosePass(d);
    await watchDeadlines(d, a.context, a.upcoming, { passAt: a.summary.at, until: a.summary.at + DEADLINE_MS - 1000 });
    // B watches on (as an invocation that has not yet seen A's run would): it reads the five dead.
    const unaware = Object.create(d.stats) as StatsStore;
    unaware.monitor = async () => ({ ...(await d.stats.monitor()), lastRun: b.summary.at });
    await watchDeadlines({ ...d, stats: unaware }, b.context, b.upcoming, { passAt: b.summary.at, until: b.summary.at + DEADLINE_MS + 2500 });

    const sent = (await published('ov')).filter((s) => s.kind !== 'host-up');
    expect(sent.map((s) => s.kind)).toEqual(['fleet-storm', 'fleet-storm']);
    expect(sent[1]?.message).toMatch(/^3 more hosts with rack=ov went down in the storm since .*: ov-05, ov-06, ov-07 \(8 of 8 named\)$/);
  }, 40_000);

  it('hosts paged alone before the storm are named in it and keep their own incident; progress counts the rest; every opened incident is closed', async () => {
    const d = diagnosis(0);
    const rack = names('pg', 6);
    for (const h of names('pg-calm', 6)) await beat(h, { rack: 'pg-calm' }, 600);
    for (const h of rack.slice(0, 2)) await beat(h, { rack: 'pg' });
    await sleep(2000);
    for (const h of rack.slice(2)) await beat(h, { rack: 'pg' });
    // Two of six die in the first invocation: not a storm, each paged. Four more in the next.
    await invoke(d, DEADLINE_MS - 500 + 700);
    await invoke(d, DEADLINE_MS + 1000);

    const downs = (await published('pg')).filter((s) => s.kind !== 'host-up');
    expect(downs.map((s) => `${s.kind} ${s.hostname}`).sort()).toEqual(['fleet-storm @fleet', 'host-down pg-00', 'host-down pg-01']);
    const storm = downs.find((s) => s.kind === 'fleet-storm') as Sent;
    expect(storm.message).toBe('6 of 6 hosts with rack=pg went down together; likely shared cause: rack=pg; already paged: pg-00, pg-01');
    for (const h of rack.slice(0, 2)) expect((await hostItem(cloud, h))?.stormIncident).toBeUndefined();

    // Three of the four held under the storm come back first, with the two paged alone.
    for (const h of rack.slice(0, 5)) await beat(h, { rack: 'pg' }, 600);
    await invoke(d, 0);
    await beat('pg-05', { rack: 'pg' }, 600);
    await invoke(d, 0);

    const sent = (await published('pg')).filter((s) => s.kind !== 'host-up');
    const after = sent.slice(downs.length);
    expect(after.map((s) => `${s.kind} ${s.hostname}`).sort()).toEqual([
      'fleet-storm-over @fleet', 'fleet-storm-recovering @fleet', 'host-recovered pg-00', 'host-recovered pg-01',
    ]);
    expect(after.find((s) => s.kind === 'fleet-storm-recovering')?.message).toBe('3 of 4 hosts with rack=pg recovered; 1 still down: pg-05');
    await everyOpenedIncidentClosed(sent);
    // No recovery went out for a down that was never sent.
    const recoveredSent = sent.filter((s) => s.kind === 'host-recovered').map((s) => s.hostname);
    const downSent = sent.filter((s) => s.kind === 'host-down').map((s) => s.hostname);
    expect(recoveredSent.filter((h) => !downSent.includes(h))).toEqual([]);
  }, 60_000);
});
