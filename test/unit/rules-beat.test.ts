import { describe, expect, it } from 'vitest';
import type { Beat, Host, MetricLevel, Notification, Metric } from '../../lib/domain/model';
import { assessBeat } from '../../lib/domain/host/beat';
import type { MetricRule } from '../../lib/domain/host/metrics';

const RULE: MetricRule = {
  cpu: { warning: 85, critical: 95 },
  mem: { warning: 85, critical: 95 },
  disk: { warning: 80, critical: 90 },
  margin: 5,
  cpuSustain: 3,
};
const T0 = Date.UTC(2025, 10, 25, 12, 0, 0);
const OK: Record<Metric, MetricLevel> = { cpu: 'ok', mem: 'ok', disk: 'ok' };

function beat(over: Partial<Beat> = {}): Beat {
  return { hostname: 'web-1', receivedAt: T0, sentAt: T0, interval: 60, labels: {}, goodbye: false, ...over };
}

function host(over: Partial<Host> = {}): Host {
  return {
    hostname: 'web-1', state: 'alive', stateSince: T0 - 3_600_000, lastBeat: T0 - 60_000, sentAt: T0 - 60_000, skewMs: 0,
    interval: 60, labels: {}, levels: { ...OK }, cpuStreak: 0, firstSeen: T0 - 86_400_000, ...over,
  };
}

/** Feed beats one after another, as ingest does: each judged against the host the previous one left. */
function run(percents: { cpu?: number; mem?: number; disk?: number }[], start: Host = host(), labels: Record<string, string> = {}) {
  let prev = start;
  const steps: { levels: Record<Metric, MetricLevel>; streak: number; notifications: Notification[] }[] = [];
  percents.forEach((p, i) => {
    const b = beat({
      receivedAt: T0 + i * 60_000,
      labels,
      ...(p.cpu !== undefined ? { cpu: { percent: p.cpu } } : {}),
      ...(p.mem !== undefined ? { mem: { percent: p.mem } } : {}),
      ...(p.disk !== undefined ? { disk: { percent: p.disk } } : {}),
    });
    const a = assessBeat(prev, b, RULE);
    steps.push({ levels: a.levels, streak: a.cpuStreak, notifications: a.notifications });
    prev = { ...prev, levels: a.levels, cpuStreak: a.cpuStreak, lastBeat: b.receivedAt };
  });
  return steps;
}

describe('assessBeat: what one beat changes', () => {
  describe('no transition, no notification', () => {
    it('a first beat with healthy figures gives ok levels and nothing to announce', () => {
      const a = assessBeat(undefined, beat({ cpu: { percent: 10 }, mem: { percent: 40 }, disk: { percent: 50 } }), RULE);
      expect(a.levels).toEqual(OK);
      expect(a.cpuStreak).toBe(0);
      expect(a.notifications).toEqual([]);
      expect(a.problems).toEqual([]);
    });

    it('a beat that keeps a warning at warning announces nothing again', () => {
      const a = assessBeat(host({ levels: { ...OK, disk: 'warning' } }), beat({ disk: { percent: 85 } }), RULE);
      expect(a.levels.disk).toBe('warning');
      expect(a.notifications).toEqual([]);
    });

    it('a beat without a resource keeps that resource’s level', () => {
      const a = assessBeat(host({ levels: { cpu: 'ok', mem: 'critical', disk: 'warning' } }), beat({ cpu: { percent: 5 } }), RULE);
      expect(a.levels).toEqual({ cpu: 'ok', mem: 'critical', disk: 'warning' });
      expect(a.notifications).toEqual([]);
    });

    it('many identical beats at a high level announce it once', () => {
      const steps = run([{ disk: 91 }, { disk: 92 }, { disk: 93 }, { disk: 91 }, { disk: 90 }]);
      expect(steps.map((s) => s.notifications.length)).toEqual([1, 0, 0, 0, 0]);
    });
  });

  describe('each level transition gives exactly one notification', () => {
    it.each<[MetricLevel, number, MetricLevel, string, string]>([
      ['ok', 85, 'warning', 'resource-warning', 'warning'],
      ['ok', 95, 'critical', 'resource-critical', 'critical'],
      ['warning', 95, 'critical', 'resource-critical', 'critical'],
      ['critical', 85, 'warning', 'resource-warning', 'warning'],
      ['critical', 10, 'ok', 'resource-ok', 'info'],
      ['warning', 79, 'ok', 'resource-ok', 'info'],
    ])('mem %s → %d%% → %s: kind %s, severity %s', (from, percent, to, kind, severity) => {
      const a = assessBeat(host({ levels: { ...OK, mem: from } }), beat({ mem: { percent } }), RULE);
      expect(a.levels.mem).toBe(to);
      expect(a.notifications).toHaveLength(1);
      const [n] = a.notifications;
      expect(n).toMatchObject({ hostname: 'web-1', kind, severity, at: T0, id: `web-1|${kind}|mem|${T0}` });
      expect(n?.details).toEqual({ resource: 'mem', from, to, percent: String(percent) });
      expect(n?.message).toContain(`mem ${from === 'ok' || (from === 'warning' && to === 'critical') ? 'rose' : 'fell'} to ${to}`);
    });

    it('ok straight to critical is one critical notification, not a warning and a critical', () => {
      const a = assessBeat(host(), beat({ disk: { percent: 99 } }), RULE);
      expect(a.notifications.map((n) => n.kind)).toEqual(['resource-critical']);
    });

    it('the first beat of a new host announces a resource that is already high', () => {
      const a = assessBeat(undefined, beat({ disk: { percent: 85 } }), RULE);
      expect(a.notifications.map((n) => [n.kind, n.details.resource])).toEqual([['resource-warning', 'disk']]);
    });

    it('several resources changing in one beat give one notification each, with distinct ids', () => {
      const a = assessBeat(host({ levels: { cpu: 'critical', mem: 'ok', disk: 'ok' } }), beat({
        cpu: { percent: 10 }, mem: { percent: 96 }, disk: { percent: 81 },
      }), RULE);
      expect(a.notifications.map((n) => [n.details.resource, n.kind])).toEqual([
        ['cpu', 'resource-ok'], ['mem', 'resource-critical'], ['disk', 'resource-warning'],
      ]);
      expect(new Set(a.notifications.map((n) => n.id)).size).toBe(3);
    });

    it('ids are deterministic: the same beat against the same host gives the same ids', () => {
      const prev = host();
      const b = beat({ disk: { percent: 95 } });
      expect(assessBeat(prev, b, RULE).notifications.map((n) => n.id)).toEqual(assessBeat(prev, b, RULE).notifications.map((n) => n.id));
    });

    it('the same transition at another receive time has another id', () => {
      const a = assessBeat(host(), beat({ disk: { percent: 95 } }), RULE).notifications[0];
      const b = assessBeat(host(), beat({ disk: { percent: 95 }, receivedAt: T0 + 1 }), RULE).notifications[0];
      expect(a?.id).not.toBe(b?.id);
    });

    it('is timed by the receive time, not the host clock', () => {
      const a = assessBeat(host(), beat({ disk: { percent: 95 }, sentAt: T0 + 3_600_000 }), RULE);
      expect(a.notifications[0]?.at).toBe(T0);
    });
  });

  describe('hysteresis across a sequence of beats', () => {
    it('from critical: holds at the margin, drops to warning, then to ok, one notification per step', () => {
      const steps = run([{ disk: 95 }, { disk: 85 }, { disk: 84.99 }, { disk: 75.01 }, { disk: 74.99 }]);
      expect(steps.map((s) => s.levels.disk)).toEqual(['critical', 'critical', 'warning', 'warning', 'ok']);
      expect(steps.map((s) => s.notifications.map((n) => n.kind))).toEqual([
        ['resource-critical'], [], ['resource-warning'], [], ['resource-ok'],
      ]);
    });

    it('from warning: clears only below warning minus the margin', () => {
      const steps = run([{ mem: 86 }, { mem: 80 }, { mem: 79.99 }]);
      expect(steps.map((s) => s.levels.mem)).toEqual(['warning', 'warning', 'ok']);
      expect(steps.flatMap((s) => s.notifications.map((n) => n.kind))).toEqual(['resource-warning', 'resource-ok']);
    });
  });

  describe('cpu sustain (3 consecutive beats at or above warning)', () => {
    it('escalates on the third consecutive high beat, and announces it once', () => {
      const steps = run([{ cpu: 99 }, { cpu: 99 }, { cpu: 99 }, { cpu: 99 }]);
      expect(steps.map((s) => s.streak)).toEqual([1, 2, 3, 4]);
      expect(steps.map((s) => s.levels.cpu)).toEqual(['ok', 'ok', 'critical', 'critical']);
      expect(steps.map((s) => s.notifications.map((n) => n.kind))).toEqual([[], [], ['resource-critical'], []]);
    });

    it('a low beat resets the streak, so two bursts of two never escalate', () => {
      const steps = run([{ cpu: 99 }, { cpu: 99 }, { cpu: 50 }, { cpu: 99 }, { cpu: 99 }]);
      expect(steps.map((s) => s.streak)).toEqual([1, 2, 0, 1, 2]);
      expect(steps.every((s) => s.levels.cpu === 'ok')).toBe(true);
      expect(steps.flatMap((s) => s.notifications)).toEqual([]);
    });

    it('a beat just below warning resets the streak too', () => {
      const steps = run([{ cpu: 85 }, { cpu: 85 }, { cpu: 84.99 }, { cpu: 85 }]);
      expect(steps.map((s) => s.streak)).toEqual([1, 2, 0, 1]);
      expect(steps.map((s) => s.levels.cpu)).toEqual(['ok', 'ok', 'ok', 'ok']);
    });

    it('a sustained warning escalates straight to critical on the next high beat', () => {
      const steps = run([{ cpu: 90 }, { cpu: 90 }, { cpu: 90 }, { cpu: 99 }]);
      expect(steps.map((s) => s.levels.cpu)).toEqual(['ok', 'ok', 'warning', 'critical']);
      expect(steps.flatMap((s) => s.notifications.map((n) => n.kind))).toEqual(['resource-warning', 'resource-critical']);
    });

    it('clears on the first low beat, without waiting', () => {
      const steps = run([{ cpu: 99 }, { cpu: 99 }, { cpu: 99 }, { cpu: 10 }]);
      expect(steps.map((s) => s.levels.cpu)).toEqual(['ok', 'ok', 'critical', 'ok']);
      expect(steps[3]?.notifications.map((n) => n.kind)).toEqual(['resource-ok']);
    });

    it('a beat without cpu leaves the streak where it was', () => {
      const steps = run([{ cpu: 99 }, { cpu: 99 }, { mem: 10 }, { cpu: 99 }]);
      expect(steps.map((s) => s.streak)).toEqual([1, 2, 2, 3]);
      expect(steps[3]?.levels.cpu).toBe('critical');
    });

    it('memory and disk do not wait for any streak', () => {
      const steps = run([{ mem: 99, disk: 99 }]);
      expect(steps[0]?.levels).toEqual({ cpu: 'ok', mem: 'critical', disk: 'critical' });
    });
  });

  describe('per-host thresholds in labels', () => {
    it('a disk at 91% is not critical on a host whose labels say 92/97', () => {
      const a = assessBeat(host(), beat({ disk: { percent: 91 }, labels: { 'dts.disk.warning': '92', 'dts.disk.critical': '97' } }), RULE);
      expect(a.levels.disk).toBe('ok');
      expect(a.notifications).toEqual([]);
      expect(a.problems).toEqual([]);
    });

    it('escalates against the host’s own thresholds, and says which thresholds in the message', () => {
      const a = assessBeat(host(), beat({ disk: { percent: 93 }, labels: { 'dts.disk.warning': '92', 'dts.disk.critical': '97' } }), RULE);
      expect(a.levels.disk).toBe('warning');
      expect(a.notifications[0]?.message).toContain('warning 92%, critical 97%');
    });

    it('a lower cpu threshold from labels also governs the streak', () => {
      const steps = run([{ cpu: 60 }, { cpu: 60 }, { cpu: 60 }], host(), { 'dts.cpu.warning': '50', 'dts.cpu.critical': '70' });
      expect(steps.map((s) => s.streak)).toEqual([1, 2, 3]);
      expect(steps.map((s) => s.levels.cpu)).toEqual(['ok', 'ok', 'warning']);
    });

    it('an invalid label is reported as a problem and the default applies', () => {
      const a = assessBeat(host(), beat({ disk: { percent: 85 }, labels: { 'dts.disk.warning': 'lots' } }), RULE);
      expect(a.levels.disk).toBe('warning');
      expect(a.problems).toHaveLength(1);
      expect(a.problems[0]).toContain('dts.disk.warning');
    });

    it('a label for a resource the beat did not report raises no problem', () => {
      const a = assessBeat(host(), beat({ cpu: { percent: 5 }, labels: { 'dts.disk.warning': 'lots' } }), RULE);
      expect(a.problems).toEqual([]);
    });
  });

  describe('goodbye', () => {
    it('announces host-left once, at the receive time, with a deterministic id', () => {
      const a = assessBeat(host(), beat({ goodbye: true }), RULE);
      expect(a.notifications).toHaveLength(1);
      expect(a.notifications[0]).toMatchObject({ kind: 'host-left', severity: 'info', at: T0, id: `web-1|host-left|${T0}` });
    });

    it('from a host never seen before, still announces host-left', () => {
      expect(assessBeat(undefined, beat({ goodbye: true }), RULE).notifications.map((n) => n.kind)).toEqual(['host-left']);
    });

    it.each(['new', 'dead', 'retired'] as const)('from %s, announces host-left', (state) => {
      expect(assessBeat(host({ state }), beat({ goodbye: true }), RULE).notifications.map((n) => n.kind)).toEqual(['host-left']);
    });

    it('does not announce it again when the host has already left', () => {
      expect(assessBeat(host({ state: 'left' }), beat({ goodbye: true, receivedAt: T0 + 5_000 }), RULE).notifications).toEqual([]);
    });

    it('still judges the figures of a goodbye beat', () => {
      const a = assessBeat(host(), beat({ goodbye: true, disk: { percent: 95 } }), RULE);
      expect(a.notifications.map((n) => n.kind)).toEqual(['resource-critical', 'host-left']);
    });

    it('a beat without goodbye announces no departure', () => {
      expect(assessBeat(host(), beat(), RULE).notifications).toEqual([]);
    });
  });
});
