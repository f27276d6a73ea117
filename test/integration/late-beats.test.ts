import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { drain, hostItem, notificationsOf } from '../support/then';

/**
 * Beats that were late on their way (a slow ingest, a relay that could not reach SQS): one
 * received before a death but stored after it proves the death wrong, and ingest retracts it at
 * once; a recovery's outage ends at the first beat back (docs/SEMANTICS.md, "Late beats").
 */
let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => cloud?.stop());
beforeEach(async () => {
  await drain(cloud, cloud.names.alertsQueueUrl);
});

const S = 1000;
const MIN = 60 * S;
const T0 = Date.UTC(2026, 11, 5, 9, 0, 0);

const kinds = async (hostname: string) => (await notificationsOf(cloud, hostname)).map((n) => n.kind);
/** What the alerts topic delivered: each notification's host and kind. */
const published = async () => (await drain(cloud, cloud.names.alertsQueueUrl))
  .map((m) => (JSON.parse(m.Body as string) as { MessageAttributes: Record<string, { Value: string }> }).MessageAttributes)
  .map((a) => ({ hostname: a.hostname?.Value, kind: a.kind?.Value }));

describe('late beats', () => {
  it('a beat received before a death and stored after it retracts the death: one notice on the down\'s incident, and availability stays 100%', async () => {
    const w = new World(cloud, T0);
    w.set('late-1', { interval: 10, labels: { role: 'web' } });
    w.set('steady-1', { interval: 10 });
    await w.runUntil(T0 + MIN, 10 * S);
    // late-1's beats stop reaching the store: the next ones wait somewhere on the way.
    w.set('late-1', { up: false });
    await w.runUntil(T0 + MIN + 40 * S, 10 * S);
    expect((await hostItem(cloud, 'late-1'))?.state).toBe('dead');
    const deathAt = Number((await hostItem(cloud, 'late-1'))?.stateSince);

    // A beat received 25 s after its last stored one, 5 s before its death, is stored 15 s after it.
    await w.beat('late-1', { receivedAt: T0 + MIN + 25 * S });
    await w.beat('late-1', { receivedAt: T0 + MIN + 25 * S }); // SQS delivers it twice

    expect(await hostItem(cloud, 'late-1')).toMatchObject({ state: 'alive', stateSince: deathAt + 1 });
    expect(await kinds('late-1')).toEqual(['host-up', 'host-down', 'host-down-retracted']);
    const sent = (await published()).filter((n) => n.hostname === 'late-1');
    expect(sent.map((n) => n.kind)).toEqual(['host-up', 'host-down', 'host-down-retracted']);
    const stored = await notificationsOf(cloud, 'late-1');
    expect(stored.find((n) => n.kind === 'host-down-retracted')?.incident).toBe(stored.find((n) => n.kind === 'host-down')?.incident);

    // The next passes find nothing to do: the retraction was committed once, by ingest.
    w.set('late-1', { up: true });
    await w.runUntil(T0 + 3 * MIN, 10 * S);
    expect(await kinds('late-1')).toEqual(['host-up', 'host-down', 'host-down-retracted']);

    const { report, detail } = await w.report(1);
    expect(detail.hosts.find((r) => r.hostname === 'late-1')).toMatchObject({ downMs: 0, availability: 100 });
    expect(detail.incidents.filter((i) => i.hostnames.includes('late-1'))).toEqual([]);
    expect(report.availability).toMatchObject({ fleet: 100, downMs: 0 });
  });

  it('a recovery\'s outage ends at the first beat back, whatever beats follow before the pass that announces it', async () => {
    const w = new World(cloud, T0 + 10 * MIN);
    w.set('back-1', { interval: 10 });
    await w.runUntil(T0 + 11 * MIN, 10 * S);
    w.set('back-1', { up: false });
    await w.runUntil(T0 + 12 * MIN, 10 * S);
    expect((await hostItem(cloud, 'back-1'))?.state).toBe('dead');

    // Three beats come back between two passes; the first one ends the outage.
    w.now = T0 + 12 * MIN + 3 * S;
    await w.beat('back-1');
    const first = w.now;
    for (const later of [5, 7]) {
      w.now = T0 + 12 * MIN + later * S;
      await w.beat('back-1');
    }
    await w.diagnose();

    const recovered = (await notificationsOf(cloud, 'back-1')).filter((n) => n.kind === 'host-recovered');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ at: first });
  });
});
