import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import type { Beat, Notification } from '../../lib/domain/model';
import { runDiagnose, type DiagnoseSummary, type DiagnoseDeps } from '../../lib/app/diagnose/pass';
import { storeBeat, type HeartbeatIngest } from '../../lib/app/ingest/heartbeats';
import { silentLog } from '../../lib/app/log';
import { MemoryAlerts, MemoryHeartbeatQueue, MemoryHosts, MemoryNotifications, MemoryStats } from '../../tools/memory';

/**
 * The diagnose pass and its outbox on the in-memory adapters (tools/memory), which pass the same
 * contract suites as the DynamoDB ones: what test/integration/outbox-faults.test.ts proves on an
 * engine through injected faults, here in milliseconds, with the faults thrown by the ports.
 */

// Storms are off: a storm holds its members' downs back, and these tests want each published.
const config = loadConfig({ DTS_STORM_MIN_HOSTS: '1000' });
const HOSTS = 4;

/** A port whose named method throws while `armed` says so; the call is not made. */
function faulty<T extends object>(port: T, method: keyof T, armed: () => boolean): T {
  return new Proxy(port, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        if (armed()) return Promise.reject(new Error(`injected: ${String(method)} failed`));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A fleet in memory, a clock, and the two services on them. */
function world(faults: { hosts?: keyof MemoryHosts; notifications?: keyof MemoryNotifications; alerts?: keyof MemoryAlerts } = {}) {
  let clock = Date.parse('2026-11-20T10:00:00Z');
  let armed = false;
  const now = () => clock;
  const hosts = new MemoryHosts();
  const stats = new MemoryStats();
  const notifications = new MemoryNotifications();
  const alerts = new MemoryAlerts();
  const arm = () => armed;
  const delivery = {
    notifications: faults.notifications ? faulty(notifications, faults.notifications, arm) : notifications,
    alerts: faults.alerts ? faulty(alerts, faults.alerts, arm) : alerts,
    now,
  };
  const diagnosis: DiagnoseDeps = {
    hosts: faults.hosts ? faulty(hosts, faults.hosts, arm) : hosts,
    stats,
    delivery,
    queue: new MemoryHeartbeatQueue(now),
    lagWaitMs: 0,
    rule: config.liveness,
    scanSegments: 2,
    log: silentLog,
    storm: config.lifecycle.storm,
    flap: config.lifecycle.flap,
  };
  const ingest: HeartbeatIngest = {
    hosts, delivery, quarantine: undefined, levels: config.levels, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 }, log: silentLog,
  };
  const beat = (hostname: string, receivedAt: number, disk = 40): Beat => ({
    hostname, receivedAt, sentAt: receivedAt, interval: 60, labels: {}, goodbye: false, disk: { percent: disk },
  });
  return {
    hosts, stats, notifications, alerts, diagnosis, ingest, beat,
    get clock() { return clock; },
    advance(ms: number) { clock += ms; },
    set faulty(on: boolean) { armed = on; },
    /** A pass; a pass that fails returns its error, as the function would fail. */
    async pass(): Promise<DiagnoseSummary | Error> {
      try {
        return await runDiagnose(diagnosis);
      } catch (e) {
        return e as Error;
      }
    },
    /** How often each notification id went out on the topic. */
    publishes(id: string): number {
      return alerts.published.filter((n) => n.id === id).length;
    },
  };
}

type World = ReturnType<typeof world>;

/**
 * `HOSTS` hosts come up and go silent; the next pass, with the fault armed, is where they die.
 * Then the fault is gone and diagnose keeps its schedule until the outbox is empty.
 */
async function scenario(w: World) {
  const names = Array.from({ length: HOSTS }, (_, i) => `h${i + 1}`);
  for (const h of names) await storeBeat(w.ingest, w.beat(h, w.clock - 170_000));
  expect(await w.pass()).not.toBeInstanceOf(Error);
  w.advance(20_000);
  w.faulty = true;
  const during = await w.pass();
  w.faulty = false;
  w.advance(40_000);
  const after = await w.pass();
  w.advance(30_000);
  const settled = await w.pass();
  const down = w.notifications.recorded().filter((n) => n.kind === 'host-down');
  const left = (await w.hosts.list()).flatMap((h) => h.pending ?? []);
  return { names, during, after, settled, down, left };
}

function expectEachDeathOnce(w: World, r: Awaited<ReturnType<typeof scenario>>, times: (n: Notification) => number = () => 1) {
  expect(r.down.map((n) => n.hostname).sort()).toEqual(r.names);
  for (const n of r.down) {
    expect(n.publishedAt).toEqual(expect.any(Number));
    expect(n.incident).toEqual(expect.any(String));
    expect(w.publishes(n.id)).toBe(times(n));
  }
  expect(r.settled).toMatchObject({ outbox: { unpublished: 0 } });
  expect(r.left).toEqual([]);
}

describe('the diagnose pass and its outbox, in memory', () => {
  it('with nothing failing: each death recorded, published once, and settled in the same pass', async () => {
    const w = world();
    const r = await scenario(w);
    expect(r.during).toMatchObject({ transitions: { 'host-down': HOSTS }, outbox: { published: HOSTS, unpublished: 0 } });
    expectEachDeathOnce(w, r);
  });

  it('two passes at once decide each death once: the conditional state change has one winner', async () => {
    const w = world();
    for (const h of ['a', 'b', 'c']) await storeBeat(w.ingest, w.beat(h, w.clock - 200_000));
    const [one, two] = await Promise.all([w.pass(), w.pass()]);
    const decided = [one, two].map((s) => (s instanceof Error ? -1 : s.transitions['host-down'] ?? 0));
    expect(decided.reduce((a, b) => a + b, 0)).toBe(3);
    for (const n of w.notifications.recorded()) expect(w.publishes(n.id)).toBe(1);
    expect(w.notifications.recorded()).toHaveLength(3);
  });

  it('the notifications ledger down while hosts die: kept in the outbox, recorded and published by the next pass', async () => {
    const w = world({ notifications: 'record' });
    const r = await scenario(w);
    expect(r.during).toMatchObject({ transitions: { 'host-down': HOSTS }, outbox: { unpublished: HOSTS } });
    expect(r.after).toMatchObject({ outbox: { published: HOSTS } });
    expectEachDeathOnce(w, r);
  });

  it('the alerts topic down: recorded once, published by the next pass', async () => {
    const w = world({ alerts: 'publish' });
    const r = await scenario(w);
    expect(r.during).toMatchObject({ outbox: { unpublished: HOSTS } });
    expect(r.after).toMatchObject({ outbox: { republished: HOSTS } });
    expectEachDeathOnce(w, r);
  });

  it('the mark failing after the publish: published again with the same id, never lost', async () => {
    const w = world({ notifications: 'markPublished' });
    const r = await scenario(w);
    expect(r.during).toMatchObject({ outbox: { unpublished: HOSTS } });
    expectEachDeathOnce(w, r, () => 2);
  });

  it('the state writes failing: nothing decided, so nothing announced; the next pass decides them', async () => {
    const w = world({ hosts: 'changeState' });
    const r = await scenario(w);
    expect(r.during).toMatchObject({ errors: HOSTS, transitions: {} });
    expect(r.after).toMatchObject({ transitions: { 'host-down': HOSTS } });
    expectEachDeathOnce(w, r);
  });

  it('a settle failing leaves the entry, and a later pass settles it without publishing again', async () => {
    const w = world({ hosts: 'settle' });
    const r = await scenario(w);
    expect(r.during).toMatchObject({ outbox: { published: HOSTS } });
    expectEachDeathOnce(w, r);
  });
});

describe('a beat and its outbox, in memory', () => {
  it('a level that rises is committed with its notification, published once, and settled', async () => {
    const w = world();
    expect(await storeBeat(w.ingest, w.beat('db', w.clock - 60_000))).toBe('stored');
    expect(await storeBeat(w.ingest, w.beat('db', w.clock, 97))).toBe('stored');
    const critical = w.notifications.recorded().filter((n) => n.kind === 'resource-critical');
    expect(critical).toHaveLength(1);
    expect(w.publishes(critical[0]?.id ?? '')).toBe(1);
    expect(await w.hosts.get('db')).toMatchObject({ levels: { disk: 'critical' } });
    expect((await w.hosts.get('db'))?.pending).toBeUndefined();
  });

  it('a redelivered or older beat is stale: it neither moves the host nor announces anything', async () => {
    const w = world();
    await storeBeat(w.ingest, w.beat('db', w.clock, 97));
    const before = w.alerts.published.length;
    expect(await storeBeat(w.ingest, w.beat('db', w.clock, 97))).toBe('stale');
    expect(await storeBeat(w.ingest, w.beat('db', w.clock - 1000, 10))).toBe('stale');
    expect(w.alerts.published).toHaveLength(before);
    expect(await w.hosts.get('db')).toMatchObject({ lastBeat: w.clock, levels: { disk: 'critical' } });
  });

  it('the alerts topic down during the beat: the notification waits in the host\'s outbox, and a pass delivers it once', async () => {
    const w = world({ alerts: 'publish' });
    await storeBeat(w.ingest, w.beat('db', w.clock - 60_000));
    w.faulty = true;
    expect(await storeBeat(w.ingest, w.beat('db', w.clock, 97))).toBe('stored');
    w.faulty = false;
    const pending = (await w.hosts.get('db'))?.pending ?? [];
    expect(pending.map((p) => p.notification.kind)).toEqual(['resource-critical']);
    expect(w.alerts.published).toEqual([]);
    // Past the sweep's grace, so the pass takes it over from an ingest that may still be running.
    w.advance(40_000);
    await storeBeat(w.ingest, w.beat('db', w.clock, 97));
    expect(await w.pass()).toMatchObject({ outbox: { republished: 1, unpublished: 0 } });
    expect(w.publishes(pending[0]?.notification.id ?? '')).toBe(1);
    expect((await w.hosts.get('db'))?.pending).toBeUndefined();
  });
});

describe('the ingest watermark, in memory', () => {
  /** Hosts silent past their deadline, and beats waiting on the queue that may be theirs. */
  async function silentFleet(ingestKeepsUp: boolean) {
    const w = world();
    let t = w.clock;
    const queue = new MemoryHeartbeatQueue(() => t, ingestKeepsUp ? (canaryAt, sentAt) => w.stats.recordCanary(sentAt, canaryAt) : undefined);
    queue.pending = 5;
    for (const h of ['a', 'b']) await storeBeat(w.ingest, w.beat(h, w.clock - 200_000));
    // A clock that moves on each reading, so that waiting for the canary ends without real time.
    const moving = () => (t += 10);
    const summary = await runDiagnose({ ...w.diagnosis, delivery: { ...w.diagnosis.delivery, now: moving }, queue, lagWaitMs: 30 });
    return { summary, queue };
  }

  it('an ingest that keeps up stores the canary: the pass sees through it and decides the deaths', async () => {
    const { summary, queue } = await silentFleet(true);
    expect(queue.canaries).toHaveLength(1);
    expect(summary.degraded).toEqual([]);
    expect(summary.transitions['host-down']).toBe(2);
  });

  it('a stalled ingest never stores the canary: nobody is declared dead whose beats may be waiting', async () => {
    const { summary, queue } = await silentFleet(false);
    expect(queue.canaries).toHaveLength(1);
    expect(summary.degraded.length).toBeGreaterThan(0);
    expect(summary.transitions['host-down'] ?? 0).toBe(0);
  });
});
