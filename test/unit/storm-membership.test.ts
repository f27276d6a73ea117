/**
 * A storm is named whole, once (issue 26, part 3): the pure rules. Which recoveries a storm holds
 * back, its first notice and follow-ups (one incident, ids that differ by member count), its
 * progress from its hosts' states, and the fleet decision that folds earlier deaths into it.
 */
import { describe, expect, it } from 'vitest';
import type { Host } from '../../lib/domain/model';
import { openStorms, stormFollowUp, stormNotice, stormProgress } from '../../lib/domain/fleet/notices';
import { incidentAction } from '../../lib/domain/notification/incidents';
import { populationOf } from '../../lib/domain/fleet/storm';
import { parseStormIncident, recoverySuppression, stormIncidentKey } from '../../lib/domain/fleet/storm-membership';
import { decideFleet, type DiagnoseDeps, type Dying, type PassContext, type PlanDigest } from '../../lib/app/diagnose/pass';

const T0 = Date.UTC(2026, 11, 5, 9, 0, 0);
const INCIDENT = stormIncidentKey('rack=r7', T0);

describe('recoverySuppression', () => {
  it('holds back the recovery of a host whose down was held under a storm, naming the storm', () => {
    expect(recoverySuppression({ state: 'dead', stormIncident: INCIDENT })).toEqual({ reason: 'storm:rack=r7', incident: INCIDENT });
  });

  it('not for a host paged alone (no storm recorded), nor for one no longer dead', () => {
    expect(recoverySuppression({ state: 'dead' })).toBeUndefined();
    expect(recoverySuppression({ state: 'alive', stormIncident: INCIDENT })).toBeUndefined();
  });

  it('reads back the scope and start of a storm incident, even with a slash in a label value', () => {
    expect(parseStormIncident(INCIDENT)).toEqual({ scope: 'rack=r7', start: T0 });
    expect(parseStormIncident(stormIncidentKey('path=a/b', T0))).toEqual({ scope: 'path=a/b', start: T0 });
    expect(parseStormIncident('web-1/down/2026-12-05T09:00:00.000Z')).toBeUndefined();
  });
});

describe('a storm\'s notices', () => {
  const first = stormNotice({ scope: 'rack=r7', total: 30, cause: 'rack=r7', start: T0, underStorm: ['r7-20', 'r7-21'], alreadyPaged: ['r7-01'] });

  it('the first counts every member and names those paged alone before it', () => {
    expect(first.message).toBe('3 of 30 hosts with rack=r7 went down together; likely shared cause: rack=r7; already paged: r7-01');
    expect(first).toMatchObject({ kind: 'fleet-storm', at: T0, incident: INCIDENT, labels: { rack: 'r7' } });
    expect(first.details).toMatchObject({ count: '3', underStorm: '2', hosts: 'r7-20 r7-21', alreadyPaged: 'r7-01' });
  });

  it('a follow-up names the new members, counts all, shares the incident, and its id holds the count', () => {
    const [open] = openStorms([first]);
    const more = stormFollowUp(open as NonNullable<typeof open>, { underStorm: ['r7-22', 'r7-23'], alreadyPaged: [], at: T0 + 4000 });
    expect(more.message).toBe('2 more hosts with rack=r7 went down in the storm since 2026-12-05T09:00:00.000Z: r7-22, r7-23 (5 of 30 named)');
    expect(more.incident).toBe(INCIDENT);
    expect(more.id).not.toBe(first.id);
    expect(more.id).toContain('|5|');
    // The same deaths seen by an overlapping run: the same id, so it is sent once.
    expect(stormFollowUp(open as NonNullable<typeof open>, { underStorm: ['r7-22', 'r7-23'], alreadyPaged: [], at: T0 + 4000 }).id).toBe(more.id);
    expect(incidentAction(more)).toBe('open');
    expect(openStorms([first, more])).toEqual([{ scope: 'rack=r7', start: T0, incident: INCIDENT, total: 30, count: 5, underStorm: 4, back: 0 }]);
  });

  it('progress counts the hosts held under the storm from their states; over when none is dead', () => {
    const [open] = openStorms([first]);
    const storm = open as NonNullable<typeof open>;
    expect(stormProgress(storm, ['r7-20', 'r7-21'], T0 + 60_000)).toBeUndefined();
    const half = stormProgress(storm, ['r7-21'], T0 + 60_000);
    expect(half).toMatchObject({ kind: 'fleet-storm-recovering', incident: INCIDENT, message: '1 of 2 hosts with rack=r7 recovered; 1 still down: r7-21' });
    const over = stormProgress(storm, [], T0 + 120_000);
    expect(over).toMatchObject({ kind: 'fleet-storm-over', incident: INCIDENT });
    expect(incidentAction(over as NonNullable<typeof over>)).toBe('close');
  });
});

describe('decideFleet: deaths fold into one storm', () => {
  // A rack of 10 among 30 hosts; a share of 0.5.
  const hosts = Array.from({ length: 30 }, (_, i) => ({ hostname: `h-${String(i).padStart(2, '0')}`, labels: { rack: i < 10 ? 'r7' : 'r8' }, state: 'alive' as Host['state'] }));
  const d = { storm: { share: 0.5, minHosts: 3, windowSeconds: 60 } } as unknown as DiagnoseDeps;
  const context = (died: Dying[]): PassContext => ({ silences: [], population: populationOf(hosts), degraded: [], died, storms: new Map() });
  const dying = (names: string[], at: number): PlanDigest[] => names.map((hostname) => ({ hostname, labels: { rack: 'r7' }, loud: true, deathAt: at, t: { from: 'alive', to: 'dead', at } }));
  const r7 = (from: number, to: number) => hosts.slice(from, to).map((h) => h.hostname);

  it('deaths paged alone just before (another invocation\'s) are named as already paged; the new ones are held under the storm', () => {
    const c = context(r7(0, 3).map((hostname) => ({ hostname, labels: { rack: 'r7' }, deathAt: T0 - 5000 })));
    const v = decideFleet(d, c, dying(r7(3, 6), T0));
    expect(v.storms).toHaveLength(1);
    const notice = v.hosts.get('h-03')?.storm?.notice;
    expect(notice?.message).toBe('6 of 10 hosts with rack=r7 went down together; likely shared cause: rack=r7; already paged: h-00, h-01, h-02');
    expect(notice?.at).toBe(T0 - 5000);
    expect([...v.hosts.keys()].sort()).toEqual(r7(3, 6));
  });

  it('later deaths join the storm as a follow-up naming only them, and the already paged are not named again', () => {
    const c = context(r7(0, 2).map((hostname) => ({ hostname, labels: { rack: 'r7' }, deathAt: T0 - 5000 })));
    const first = decideFleet(d, c, dying(r7(2, 6), T0)).hosts.get('h-02')?.storm?.notice;
    const later = decideFleet(d, c, dying(r7(6, 8), T0 + 3000));
    const follow = later.hosts.get('h-06')?.storm;
    expect(follow?.incident).toBe(first?.incident);
    expect(follow?.notice.message).toMatch(/^2 more hosts with rack=r7 went down in the storm since .*: h-06, h-07 \(8 of 10 named\)$/);
    expect(follow?.notice.id).not.toBe(first?.id);
  });

  it('deaths held under a storm by an earlier invocation (their stormIncident) make later deaths a follow-up of it', () => {
    const earlier = r7(0, 6).map((hostname) => ({ hostname, labels: { rack: 'r7' }, deathAt: T0 - 20_000, storm: stormIncidentKey('rack=r7', T0 - 20_000) }));
    const v = decideFleet(d, context(earlier), dying(r7(6, 7), T0));
    expect(v.hosts.get('h-06')?.storm).toMatchObject({ scope: 'rack=r7', incident: stormIncidentKey('rack=r7', T0 - 20_000) });
    expect(v.hosts.get('h-06')?.storm?.notice.message).toMatch(/^1 more host with rack=r7 went down in the storm since .*: h-06 \(7 of 10 named\)$/);
  });

  it('deaths of other racks that make the fleet a storm start a storm of their own: they do not join the rack\'s', () => {
    const r7Storm = stormIncidentKey('rack=r7', T0 - 5000);
    const earlier = r7(0, 10).map((hostname) => ({ hostname, labels: { rack: 'r7' }, deathAt: T0 - 5000, storm: r7Storm }));
    const r8 = hosts.slice(10, 16).map((h) => h.hostname);
    const v = decideFleet(d, context(earlier), r8.map((hostname) => ({ hostname, labels: { rack: 'r8' }, loud: true, deathAt: T0, t: { from: 'alive', to: 'dead', at: T0 } })));
    const storm = v.hosts.get('h-10')?.storm;
    expect(storm?.scope).toBe('fleet');
    expect(storm?.incident).not.toBe(r7Storm);
    // The rack's hosts count, and are not named again.
    expect(storm?.notice.message).toBe('16 of 30 hosts went down together; no label shared by all of them');
    expect(storm?.notice.details.hosts).toBe(r8.join(' '));
  });

  it('deaths older than the storm window do not count', () => {
    const old = r7(0, 3).map((hostname) => ({ hostname, labels: { rack: 'r7' }, deathAt: T0 - 61_000 }));
    expect(decideFleet(d, context(old), dying(r7(3, 5), T0)).storms).toEqual([]);
  });
});
