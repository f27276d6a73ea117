import { describe, expect, it } from 'vitest';
import type { Notification } from '../../lib/domain/model';
import { notification } from '../../lib/domain/notification/notifications';
import { deliver, type Delivery, type NotificationLedger, type Publisher } from '../../lib/app/deliver';
import { silentLog } from '../../lib/app/log';
import { Outbox, SWEEP_GRACE_MS } from '../../lib/app/outbox';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

/** The notifications table and the alerts topic, in memory, each able to fail on demand. */
function world() {
  const recorded = new Map<string, { n: Notification; publishedAt?: number }>();
  const published: string[] = [];
  const fail = { record: false, publish: false, mark: false };
  const ledger: NotificationLedger = {
    async record(n) {
      if (fail.record) throw new Error('notifications table unavailable');
      if (recorded.has(n.id)) return false;
      recorded.set(n.id, { n });
      return true;
    },
    async publishedAt(n) {
      return recorded.get(n.id)?.publishedAt;
    },
    async markPublished(n, at) {
      if (fail.mark) throw new Error('function died before the mark');
      const r = recorded.get(n.id);
      if (r) r.publishedAt = at;
    },
  };
  const alerts: Publisher = {
    async publish(n) {
      if (fail.publish) throw new Error('alerts topic unavailable');
      published.push(n.id);
    },
  };
  const delivery: Delivery = { notifications: ledger, alerts, now: () => T0 };
  return { recorded, published, fail, delivery };
}

const down = (host: string) => notification(host, 'host-down', 'critical', T0, `${host} is down`);

describe('deliver, safe to repeat after any failure', () => {
  it('records and publishes a new notification once', async () => {
    const w = world();
    expect(await deliver(w.delivery, down('a'))).toBe('published');
    expect(await deliver(w.delivery, down('a'))).toBe('done-before');
    expect(w.published).toEqual([down('a').id]);
    expect(w.recorded.get(down('a').id)?.publishedAt).toBe(T0);
  });

  it('publishes a recorded notification that was never marked published, with the same id', async () => {
    const w = world();
    w.fail.publish = true;
    await expect(deliver(w.delivery, down('a'))).rejects.toThrow('unavailable');
    w.fail.publish = false;
    expect(await deliver(w.delivery, down('a'))).toBe('republished');
    expect(w.published).toEqual([down('a').id]);
    expect(w.recorded.size).toBe(1);
  });

  it('records a suppressed notification without publishing it', async () => {
    const w = world();
    expect(await deliver(w.delivery, { ...down('a'), suppressed: 'flapping' })).toBe('suppressed');
    expect(await deliver(w.delivery, { ...down('a'), suppressed: 'flapping' })).toBe('done-before');
    expect(w.published).toEqual([]);
    expect(w.recorded.size).toBe(1);
  });
});

describe('the outbox', () => {
  /** An item holding outbox entries, as a host item does. */
  function holder(...ids: string[]) {
    const entries = new Set(ids);
    return { entries, settle: async (id: string) => void entries.delete(id) };
  }

  it('keeps what failed and delivers it on the next round, recorded once and published once', async () => {
    const w = world();
    const item = holder(down('a').id, down('b').id);
    const round = () => {
      const box = new Outbox();
      for (const n of [down('a'), down('b')]) if (item.entries.has(n.id)) box.add({ notification: n, queuedAt: T0 }, item.settle);
      return box.flush(w.delivery, silentLog);
    };
    w.fail.record = true;
    const first = await round();
    expect(first).toMatchObject({ published: 0, unpublished: 2, oldestQueuedAt: T0 });
    expect(item.entries.size).toBe(2);

    w.fail.record = false;
    expect(await round()).toMatchObject({ published: 2, unpublished: 0, oldestQueuedAt: undefined });
    expect(item.entries.size).toBe(0);
    expect(w.published.sort()).toEqual([down('a').id, down('b').id].sort());
    expect(w.recorded.size).toBe(2);
  });

  it('publishes again after a crash between the publish and the mark: at least once, same id', async () => {
    const w = world();
    const item = holder(down('a').id);
    w.fail.mark = true;
    const box = new Outbox();
    box.add({ notification: down('a'), queuedAt: T0 }, item.settle);
    expect(await box.flush(w.delivery, silentLog)).toMatchObject({ unpublished: 1 });
    expect(item.entries.has(down('a').id)).toBe(true);

    w.fail.mark = false;
    const again = new Outbox();
    again.add({ notification: down('a'), queuedAt: T0 }, item.settle);
    expect(await again.flush(w.delivery, silentLog)).toMatchObject({ republished: 1, unpublished: 0 });
    expect(w.published).toEqual([down('a').id, down('a').id]);
    expect(w.recorded.size).toBe(1);
    expect(item.entries.size).toBe(0);
  });

  it('delivers a notification that several items hold (a storm on each member) once, and settles each', async () => {
    const w = world();
    const storm = notification('@fleet', 'fleet-storm', 'critical', T0, '3 hosts went down together', {}, 'fleet');
    const items = [holder(storm.id), holder(storm.id), holder(storm.id)];
    const box = new Outbox();
    for (const item of items) box.add({ notification: storm, queuedAt: T0 }, item.settle);
    expect(await box.flush(w.delivery, silentLog)).toMatchObject({ published: 1 });
    expect(w.published).toEqual([storm.id]);
    expect(items.every((i) => i.entries.size === 0)).toBe(true);
  });

  it('sweeps only entries old enough that whoever committed them is done', () => {
    const box = new Outbox();
    const settle = async () => {};
    box.sweep([
      { notification: down('old'), queuedAt: T0 - SWEEP_GRACE_MS },
      { notification: down('young'), queuedAt: T0 - SWEEP_GRACE_MS + 1 },
    ], settle, T0);
    expect(box.size).toBe(1);
  });

  it('one failure does not stop the others', async () => {
    const w = world();
    const failing: Publisher = { publish: async (n) => { if (n.hostname === 'b') throw new Error('refused'); w.published.push(n.id); } };
    const box = new Outbox();
    for (const h of ['a', 'b', 'c']) box.add({ notification: down(h), queuedAt: T0 - 5 }, async () => {});
    const report = await box.flush({ ...w.delivery, alerts: failing }, silentLog);
    expect(report).toMatchObject({ published: 2, unpublished: 1, oldestQueuedAt: T0 - 5 });
  });
});

describe('what each pass tells CloudWatch', () => {
  it('hosts by state, transitions, the unpublished notifications and the oldest one\'s age, the pass duration', async () => {
    const { passMetrics, PASS_METRIC_COUNT } = await import('../../lib/app/diagnose/metrics');
    const metrics = passMetrics({
      at: T0, examined: 7, transitions: { 'host-down': 2, 'host-up': 1 }, degraded: [], errors: 0, suppressed: 0, storms: [],
      hostsByState: { alive: 4, dead: 2, new: 1 },
      outbox: { published: 3, suppressed: 0, republished: 0, unpublished: 2, oldestQueuedAt: T0 - 90_000 },
    }, 1234.4);
    expect(Object.fromEntries(metrics.map((m) => [m.name, [m.value, m.unit]]))).toEqual({
      HostsNew: [1, 'Count'], HostsAlive: [4, 'Count'], HostsDead: [2, 'Count'], HostsLeft: [0, 'Count'], HostsRetired: [0, 'Count'],
      Transitions: [3, 'Count'], UnpublishedNotifications: [2, 'Count'], OldestUnpublishedSeconds: [90, 'Seconds'], PassDuration: [1234, 'Milliseconds'],
    });
    expect(metrics).toHaveLength(PASS_METRIC_COUNT);
  });
});
