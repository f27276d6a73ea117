/**
 * One notification of every kind, made by the rules that make them in production wherever a
 * rule exists, so that the rendered samples show what people really receive.
 */
import type { Beat, Host, Notification, NotificationKind } from '../../lib/domain/model';
import { flapStep, flappingEnd } from '../../lib/domain/host/flapping';
import { hostTransition, type DiagnoseRule } from '../../lib/domain/host/transitions';
import { notification } from '../../lib/domain/notification/notifications';
import { skewTransition } from '../../lib/domain/host/skew';
import { checkTransition } from '../../lib/domain/check/judge';
import type { Check } from '../../lib/domain/check/check';

const RULE: DiagnoseRule = { defaultInterval: 60, tolerance: 3, retireAfter: 7 * 86_400 };
export const T0 = Date.UTC(2026, 11, 1, 9, 30, 0);
const MIN = 60_000;
const labels = { role: 'db', rack: 'r1' };

function host(over: Partial<Host>): Host {
  return {
    hostname: 'db-1', state: 'alive', stateSince: T0 - 60 * MIN, lastBeat: T0, sentAt: T0, skewMs: 0, interval: 60, labels,
    levels: { cpu: 'ok', mem: 'ok', disk: 'ok' }, cpuStreak: 0, firstSeen: T0 - 1440 * MIN, ...over,
  };
}

function beat(sentAt: number): Beat {
  return { hostname: 'db-1', receivedAt: T0, sentAt, interval: 60, labels, goodbye: false };
}

function must<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('the rule made nothing');
  return v;
}

function check(over: Partial<Check>): Check {
  return {
    name: 'nightly-backup', keyHash: 'k', schedule: { cron: '0 2 * * *', tz: 'Europe/Berlin' }, graceMs: 30 * MIN, maxRunMs: 60 * MIN,
    labels, createdAt: T0 - 1440 * MIN, paused: false, state: 'up', stateSince: T0 - 1440 * MIN, pings: 2, ...over,
  };
}

export function sampleNotifications(): Record<NotificationKind, Notification> {
  const down = must(hostTransition(host({}), T0 + 4 * MIN, RULE, Infinity)).notification;
  const recovered = must(hostTransition(host({ state: 'dead', stateSince: T0 + 3 * MIN, outageStart: T0, lastBeat: T0 + 12 * MIN, resumedAt: T0 + 12 * MIN }), T0 + 12 * MIN + 5000, RULE, Infinity)).notification;
  const retracted = must(hostTransition(host({ state: 'dead', stateSince: T0 + 3 * MIN, outageStart: T0, lastBeat: T0 + 2 * MIN, resumedAt: T0 + 2 * MIN }), T0 + 3 * MIN + 5000, RULE, Infinity)).notification;
  const up = must(hostTransition(host({ state: 'new', stateSince: T0, lastBeat: T0 }), T0 + 5000, RULE, Infinity)).notification;
  const retired = must(hostTransition(host({ state: 'dead', stateSince: T0, lastBeat: T0 }), T0 + 8 * 1440 * MIN, RULE, Infinity)).notification;
  const flapping = must(flapStep({ hostname: 'db-1', changes: [T0 - 4 * MIN, T0 - 3 * MIN, T0 - 2 * MIN, T0 - MIN] }, T0, { changes: 4, window: 1800 }).started);
  const stable = must(flappingEnd({ hostname: 'db-1', changes: [T0], flappingSince: T0, state: 'alive' }, T0 + 31 * MIN, { changes: 4, window: 1800 }));
  const stormStart = new Date(T0).toISOString();
  const all: Record<NotificationKind, Notification> = {
    'host-up': up,
    'host-down': down,
    'host-recovered': recovered,
    'host-down-retracted': retracted,
    'host-left': notification('db-1', 'host-left', 'info', T0, 'db-1 said goodbye: its silence is not an outage'),
    'host-retired': retired,
    'resource-warning': notification('db-1', 'resource-warning', 'warning', T0, 'db-1 disk rose to warning: 83.5% (warning 80%, critical 90%)', { resource: 'disk', from: 'ok', to: 'warning', percent: '83.5' }, 'disk'),
    'resource-critical': notification('db-1', 'resource-critical', 'critical', T0, 'db-1 disk rose to critical: 97.0% (warning 80%, critical 90%)', { resource: 'disk', from: 'warning', to: 'critical', percent: '97' }, 'disk'),
    'resource-ok': notification('db-1', 'resource-ok', 'info', T0, 'db-1 disk fell to ok: 41.0% (warning 80%, critical 90%)', { resource: 'disk', from: 'critical', to: 'ok', percent: '41' }, 'disk'),
    'monitor-degraded': notification('@monitor', 'monitor-degraded', 'warning', T0, 'dts monitor degraded: no host is declared dead until it catches up (1200 beats waiting on the heartbeats queue (threshold 1000))', { reasons: '1200 beats waiting on the heartbeats queue (threshold 1000)' }),
    'monitor-ok': notification('@monitor', 'monitor-ok', 'info', T0, 'dts monitor caught up after 4m 10s'),
    'host-flapping': flapping,
    'host-stable': stable,
    'host-still-down': notification('db-1', 'host-still-down', 'critical', T0, 'db-1 is still down as its silence ends: no beat for 2h 5m', { silence: 's-1', reason: 'kernel upgrade', outageStart: new Date(T0 - 125 * MIN).toISOString() }, 's-1'),
    'fleet-storm': notification('@fleet', 'fleet-storm', 'critical', T0, '10 of 12 hosts with rack=r1 went down together; likely shared cause: rack=r1', { scope: 'rack=r1', count: '10', total: '12', hosts: 'db-1 db-2 db-3 db-4 db-5 db-6 db-7 db-8 db-9 db-10', cause: 'rack=r1' }, 'rack=r1'),
    'fleet-storm-recovering': notification('@fleet', 'fleet-storm-recovering', 'info', T0 + 10 * MIN, '8 of 10 hosts with rack=r1 recovered; 2 still down: db-4, db-9', { scope: 'rack=r1', stormStart, recovered: '8', count: '10', stillDown: 'db-4 db-9' }, `rack=r1|${stormStart}`),
    'fleet-storm-over': notification('@fleet', 'fleet-storm-over', 'info', T0 + 20 * MIN, 'storm over: all 10 hosts with rack=r1 are back after 20m', { scope: 'rack=r1', stormStart, count: '10', downtimeSeconds: '1200' }, `rack=r1|${stormStart}`),
    'fleet-new-hosts': notification('@fleet', 'fleet-new-hosts', 'info', T0, '12 new hosts: web-1, web-2, web-3, web-4, web-5, web-6, web-7, web-8, web-9, web-10, web-11, web-12', { count: '12', hosts: 'web-1 web-2 web-3 web-4 web-5 web-6 web-7 web-8 web-9 web-10 web-11 web-12' }),
    'clock-skew': must(skewTransition(0, beat(T0 + 45_200), 30_000)),
    'clock-ok': must(skewTransition(45_200, beat(T0 + 400), 30_000)),
    'check-late': must(checkTransition(check({ lastSuccess: T0 - 1440 * MIN }), T0 + 1440 * MIN)?.notification),
    'check-failed': must(checkTransition(check({ lastSuccess: T0 - 1440 * MIN, lastStart: T0, lastEnd: T0 + 5 * MIN, lastOk: false, lastExit: 3 }), T0 + 6 * MIN)?.notification),
    'check-long': must(checkTransition(check({ lastSuccess: T0 - 1440 * MIN, lastStart: T0 }), T0 + 61 * MIN)?.notification),
    'check-ok': must(checkTransition(check({ state: 'failed', stateSince: T0, problemSince: T0, lastStart: T0 + 60 * MIN, lastEnd: T0 + 80 * MIN, lastOk: true, lastExit: 0, lastSuccess: T0 + 80 * MIN }), T0 + 81 * MIN)?.notification),
  };
  for (const n of Object.values(all)) if (!n.hostname.startsWith('@')) n.labels = labels;
  return all;
}
