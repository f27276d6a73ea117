import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import type { Beat } from '../../lib/domain/model';
import { runDiagnose, type DiagnoseDeps } from '../../lib/app/diagnose/pass';
import { storeBeat, type HeartbeatIngest } from '../../lib/app/ingest/heartbeats';
import type { Log } from '../../lib/app/log';
import { silentLog } from '../../lib/app/log';
import { stormIncidentKey } from '../../lib/domain/fleet/storm-membership';
import { MemoryAlerts, MemoryHeartbeatQueue, MemoryHosts, MemoryNotifications, MemoryStats } from '../../tools/memory';

/**
 * What a beat ends at once, in ingest (docs/SEMANTICS.md, "Recovery at ingest" and "New hosts
 * between passes"): a dead, departed or retired host that beats again is brought back by the
 * beat's own ingest, through the same conditional change and outbox as a pass, so a recovery is
 * announced seconds after the first beat back and exactly once whoever else decides it; and the
 * first beat of a host with a short deadline starts a pass, so that its deadline is watched.
 */

// Storms off unless a test holds a death under one by hand.
const config = loadConfig({ DTS_STORM_MIN_HOSTS: '1000' });
const S = 1000;

function world(options: { liveness?: boolean; stormProgress?: boolean } = {}) {
  let clock = Date.parse('2026-12-06T10:00:00Z');
  const now = () => clock;
  const hosts = new MemoryHosts();
  const stats = new MemoryStats();
  const notifications = new MemoryNotifications();
  const alerts = new MemoryAlerts();
  const delivery = { notifications, alerts, now };
  const triggered: string[] = [];
  const warnings: string[] = [];
  let triggerFails = false;
  const log: Log = { ...silentLog, warn: (message: string) => { warnings.push(message); } };
  const diagnosis: DiagnoseDeps = {
    hosts, stats, delivery, queue: new MemoryHeartbeatQueue(now), lagWaitMs: 0, rule: config.liveness, scanSegments: 2,
    log: silentLog, storm: config.lifecycle.storm, flap: config.lifecycle.flap,
  };
  const ingest: HeartbeatIngest = {
    hosts, delivery, quarantine: undefined, levels: config.levels, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 }, log,
    ...(options.liveness === false ? {} : { liveness: { rule: config.liveness, flap: config.lifecycle.flap, ...(options.stormProgress === false ? { stormProgress: false } : {}) } }),
    arrivals: {
      monitor: stats,
      trigger: { runPass: async (reason) => { if (triggerFails) throw new Error('injected: invoke refused'); triggered.push(reason); } },
      withinMs: 60 * S,
      gapMs: 5 * S,
    },
  };
  const beat = (hostname: string, interval = 10, extra: Partial<Beat> = {}): Beat => ({
    hostname, receivedAt: clock, sentAt: clock, interval, labels: {}, goodbye: false, ...extra,
  });
  return {
    hosts, notifications, alerts, diagnosis, ingest, beat, triggered, warnings,
    get clock() { return clock; },
    advance(ms: number) { clock += ms; },
    set triggerFails(on: boolean) { triggerFails = on; },
    kinds: (hostname: string) => notifications.recorded().filter((n) => n.hostname === hostname).map((n) => n.kind),
    sent: (hostname: string) => alerts.published.filter((n) => n.hostname === hostname).map((n) => n.kind),
  };
}

/** A host that beat every 10 s, then fell silent until a pass declared it dead. */
async function deadHost(w: ReturnType<typeof world>, hostname: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await storeBeat(w.ingest, w.beat(hostname));
    w.advance(10 * S);
  }
  await runDiagnose(w.diagnosis);
  w.advance(40 * S);
  await runDiagnose(w.diagnosis);
  expect((await w.hosts.get(hostname))?.state).toBe('dead');
}

describe('a dead host that beats again, recovered by the beat\'s ingest', () => {
  it('is recovered at once, at its first beat back, and published once; the passes after it find nothing to do', async () => {
    const w = world();
    await deadHost(w, 'back-1');
    w.advance(7 * S);
    const firstBack = w.clock;
    await storeBeat(w.ingest, w.beat('back-1'));
    expect(await w.hosts.get('back-1')).toMatchObject({ state: 'alive', stateSince: firstBack });
    expect(w.sent('back-1')).toEqual(['host-up', 'host-down', 'host-recovered']);
    const recovered = w.notifications.recorded().find((n) => n.kind === 'host-recovered');
    expect(recovered).toMatchObject({ at: firstBack, publishedAt: expect.any(Number) });
    expect(recovered?.incident).toBe(w.notifications.recorded().find((n) => n.kind === 'host-down')?.incident);

    w.advance(2 * S);
    await storeBeat(w.ingest, w.beat('back-1'));
    await runDiagnose(w.diagnosis);
    expect(w.kinds('back-1')).toEqual(['host-up', 'host-down', 'host-recovered']);
    expect(w.sent('back-1')).toEqual(['host-up', 'host-down', 'host-recovered']);
  });

  it('ingest, a redelivery of the same beat and a pass deciding at once: one host-recovered, with one id, published once', async () => {
    const w = world();
    await deadHost(w, 'race-1');
    w.advance(5 * S);
    const back = w.beat('race-1');
    await Promise.all([storeBeat(w.ingest, back), storeBeat(w.ingest, back), runDiagnose(w.diagnosis), runDiagnose(w.diagnosis)]);
    expect(w.kinds('race-1').filter((k) => k === 'host-recovered')).toHaveLength(1);
    expect(w.sent('race-1').filter((k) => k === 'host-recovered')).toHaveLength(1);
    expect((await w.hosts.get('race-1'))?.state).toBe('alive');
  });

  it('without the liveness rule, ingest leaves the recovery to the pass, which decides the same notification', async () => {
    const w = world({ liveness: false });
    await deadHost(w, 'late-1');
    w.advance(5 * S);
    const firstBack = w.clock;
    await storeBeat(w.ingest, w.beat('late-1'));
    expect((await w.hosts.get('late-1'))?.state).toBe('dead');
    w.advance(20 * S);
    await runDiagnose(w.diagnosis);
    expect(w.notifications.recorded().find((n) => n.hostname === 'late-1' && n.kind === 'host-recovered')).toMatchObject({ at: firstBack });
  });

  it('a death held back under a storm ends in the storm\'s count: its recovery is recorded, suppressed, and not sent', async () => {
    const w = world();
    await deadHost(w, 'rack-1');
    const host = await w.hosts.get('rack-1');
    const incident = stormIncidentKey('rack=r1', host?.stateSince ?? 0);
    // What a storm's commit records on a host whose down it holds back.
    w.hosts.seed([{ ...(host as NonNullable<typeof host>), stormIncident: incident }]);
    w.advance(5 * S);
    await storeBeat(w.ingest, w.beat('rack-1'));
    expect((await w.hosts.get('rack-1'))?.state).toBe('alive');
    expect(w.notifications.recorded().find((n) => n.hostname === 'rack-1' && n.kind === 'host-recovered')).toMatchObject({ suppressed: 'storm:rack=r1' });
    expect(w.sent('rack-1')).not.toContain('host-recovered');
  });

  it('where diagnose announces no storm\'s progress, a storm-held recovery is announced alone, as that pass would', async () => {
    const w = world({ stormProgress: false });
    await deadHost(w, 'rack-2');
    const host = await w.hosts.get('rack-2');
    w.hosts.seed([{ ...(host as NonNullable<typeof host>), stormIncident: stormIncidentKey('rack=r1', host?.stateSince ?? 0) }]);
    w.advance(5 * S);
    await storeBeat(w.ingest, w.beat('rack-2'));
    expect(w.sent('rack-2')).toContain('host-recovered');
  });

  it('a host that said goodbye and beats again is up at once', async () => {
    const w = world();
    await storeBeat(w.ingest, w.beat('bye-1'));
    await runDiagnose(w.diagnosis);
    w.advance(5 * S);
    await storeBeat(w.ingest, w.beat('bye-1', 10, { goodbye: true }));
    expect((await w.hosts.get('bye-1'))?.state).toBe('left');
    w.advance(60 * S);
    await storeBeat(w.ingest, w.beat('bye-1'));
    expect((await w.hosts.get('bye-1'))?.state).toBe('alive');
    expect(w.sent('bye-1')).toEqual(['host-up', 'host-left', 'host-up']);
  });
});

describe('the first beat of a host with a short deadline starts a pass', () => {
  it('once for hosts arriving within the gap, again after it, and never for a host the next pass lists in time', async () => {
    const w = world();
    await storeBeat(w.ingest, w.beat('new-1', 10));
    expect(w.triggered).toEqual(['first beat of new-1']);
    // Its second beat is not a first beat; another short host 2 s later is within the gap.
    w.advance(2 * S);
    await storeBeat(w.ingest, w.beat('new-1', 10));
    await storeBeat(w.ingest, w.beat('new-2', 10));
    expect(w.triggered).toHaveLength(1);
    // A 60 s host's deadline (180 s) is beyond the watch: the next scheduled pass lists it in time.
    w.advance(10 * S);
    await storeBeat(w.ingest, w.beat('slow-1', 60));
    expect(w.triggered).toHaveLength(1);
    // The gap is over: the next short arrival starts another pass. 20 s × 3 is exactly the watch.
    await storeBeat(w.ingest, w.beat('new-3', 20));
    expect(w.triggered).toEqual(['first beat of new-1', 'first beat of new-3']);
  });

  it('a pass that cannot be started loses nothing but the head start: the beat is stored, and a warning says so', async () => {
    const w = world();
    w.triggerFails = true;
    await expect(storeBeat(w.ingest, w.beat('new-9', 5))).resolves.toBe('stored');
    expect(await w.hosts.get('new-9')).toMatchObject({ state: 'new', interval: 5 });
    expect(w.warnings).toEqual(['could not start a pass for a new host; the next scheduled pass lists it']);
  });
});
