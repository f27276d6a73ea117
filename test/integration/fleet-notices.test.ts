/**
 * Less noise through the real stores: a burst of first beats is one "N new hosts" notice, and a
 * storm's recovery is grouped ("2 of 3 … recovered; 1 still down: …") and ends with "storm
 * over", which closes the storm's incident.
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NEW_HOSTS_GROUP } from '../../lib/domain/fleet/notices';
import { runDiagnose, type DiagnoseSummary } from '../../lib/app/diagnose/pass';
import { AlertPublisher } from '../../lib/adapters/sns/alerts';
import { MONITOR_KEY } from '../../lib/adapters/dynamodb/keys';
import { World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { notificationsOf } from '../support/then';
import { idleQueue } from '../../tools/harness/idle-queue';

const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The day-world, with diagnose made as production makes it: grouping on. */
class GroupingWorld extends World {
  // Its diagnose reads the storms' history below, as the deployed function does.
  protected override readonly announcesStormProgress = true;

  override async diagnose(): Promise<DiagnoseSummary> {
    const summary = await runDiagnose({
      hosts: this.hosts, stats: this.stats, queue: idleQueue(this.clock), lagWaitMs: 1000,
      delivery: { notifications: this.notifications, alerts: new AlertPublisher(this.cloud.clients.sns, this.cloud.names.alertsTopicArn), now: this.clock },
      rule: { defaultInterval: 60, tolerance: 3, retireAfter: 7 * 86_400 },
      scanSegments: 2, log: silentLog, silences: this.silences,
      storm: { share: 0.5, minHosts: 3 },
      newHostsGroup: NEW_HOSTS_GROUP,
      fleetHistory: (at) => this.notifications.byHost('@fleet', at - 7 * 86_400_000, at + 1),
    });
    this.passes.push(summary);
    return summary;
  }
}

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => cloud?.stop());
beforeEach(async () => {
  await cloud.clients.ddb.send(new DeleteCommand({ TableName: cloud.names.statsTable, Key: MONITOR_KEY }));
});

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);
const recorded = async (hostname: string) => (await notificationsOf(cloud, hostname)).map((n) => [n.kind, n.suppressed ?? null]);
const fleet = async (scope: string) => (await notificationsOf(cloud, '@fleet')).filter((n) => (n.details as Record<string, string>).scope === scope || (n.details as Record<string, string>).hosts?.includes(scope));

describe('grouped notices', () => {
  it('a rollout of hosts is one "N new hosts" notice; each first beat is recorded, not sent', async () => {
    const w = new GroupingWorld(cloud, T0);
    const names = Array.from({ length: 12 }, (_, i) => `roll-${String(i + 1).padStart(2, '0')}`);
    for (const h of names) w.set(h, { interval: 60, labels: { role: 'roll' } });
    await w.runUntil(T0 + MIN, MIN);
    for (const h of names) expect(await recorded(h)).toEqual([['host-up', 'new-hosts']]);
    const notices = (await notificationsOf(cloud, '@fleet')).filter((n) => n.kind === 'fleet-new-hosts' && String(n.message).includes('roll-01'));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.message).toMatch(/^12 new hosts: roll-01, roll-02, .*roll-12$/);
    expect(notices[0]?.suppressed).toBeUndefined();
  });

  it('a storm\'s recovery is grouped, and its end closes the storm\'s incident', async () => {
    const w = new GroupingWorld(cloud, T0 + 60 * MIN);
    const rack = ['gr-1', 'gr-2', 'gr-3', 'gr-4'];
    for (const h of rack) w.set(h, { interval: 60, labels: { rack: 'gr-rack' } });
    for (const h of ['gr-5', 'gr-6', 'gr-7', 'gr-8', 'gr-9']) w.set(h, { interval: 60, labels: { rack: 'gr-calm' } });
    await w.runUntil(T0 + 62 * MIN, MIN);
    for (const h of ['gr-1', 'gr-2', 'gr-3']) w.set(h, { up: false });
    await w.runUntil(T0 + 68 * MIN, MIN);
    w.set('gr-1', { up: true });
    w.set('gr-2', { up: true });
    await w.runUntil(T0 + 70 * MIN, MIN);
    w.set('gr-3', { up: true });
    await w.runUntil(T0 + 72 * MIN, MIN);

    const notices = await fleet('rack=gr-rack');
    expect(notices.map((n) => n.kind)).toEqual(['fleet-storm', 'fleet-storm-recovering', 'fleet-storm-over']);
    const [storm, recovering, over] = notices;
    expect(recovering?.message).toBe('2 of 3 hosts with rack=gr-rack recovered; 1 still down: gr-3');
    expect(over?.message).toMatch(/^storm over: all 3 hosts with rack=gr-rack are back or gone after \d+m/);
    expect(recovering?.incident).toBe(storm?.incident);
    expect(over?.incident).toBe(storm?.incident);
    // Each host's own recovery is recorded, held back in favour of the grouped notice.
    for (const h of ['gr-1', 'gr-2', 'gr-3']) {
      expect(await recorded(h)).toEqual([['host-up', 'new-hosts'], ['host-down', 'storm:rack=gr-rack'], ['host-recovered', 'storm:rack=gr-rack']]);
    }
  });
});
