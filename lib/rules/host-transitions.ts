import type { Host, HostState, Notification } from '../model';
import { deadlineOf, effectiveInterval, isAliveAt, type LivenessRule } from './liveness';
import { formatDuration, notification } from './notifications';

export interface DiagnoseRule extends LivenessRule {
  /** Seconds of silence after which a dead (or departed) host is retired. */
  readonly retireAfter: number;
}

export interface HostTransition {
  readonly from: HostState;
  readonly to: HostState;
  /** When the transition happened: a function of the stored host, so every run agrees on it. */
  readonly at: number;
  /** What the host item records about the outage once the transition is written. */
  readonly outageStart: number | undefined;
  readonly notification: Notification;
}

/**
 * What a diagnose pass should do with one host at `now`, or nothing. `canDeclareDead` is false
 * while the monitor doubts its own view (a backlog of beats, or its own long absence): hosts may
 * then recover but are never declared dead.
 */
export function hostTransition(host: Host, now: number, rule: DiagnoseRule, canDeclareDead: boolean): HostTransition | undefined {
  const alive = isAliveAt(host, now, rule);
  const beatSinceStateChange = host.lastBeat > host.stateSince;
  const { hostname } = host;
  const make = (to: HostState, at: number, outageStart: number | undefined, n: Notification): HostTransition => ({
    from: host.state,
    to,
    at,
    outageStart,
    notification: n,
  });

  switch (host.state) {
    case 'new':
    case 'alive': {
      if (alive) {
        if (host.state === 'alive') return undefined;
        return make('alive', host.stateSince, undefined, notification(
          hostname, 'host-up', 'info', host.stateSince,
          `${hostname} is up: first beat received`,
          { interval: String(effectiveInterval(host.interval, rule)) },
        ));
      }
      if (!canDeclareDead) return undefined;
      const at = deadlineOf(host, rule);
      const limit = effectiveInterval(host.interval, rule) * rule.tolerance;
      return make('dead', at, host.lastBeat, notification(
        hostname, 'host-down', 'critical', at,
        `${hostname} is down: no beat for ${formatDuration(now - host.lastBeat)} (limit ${formatDuration(limit * 1000)})`,
        { lastBeat: new Date(host.lastBeat).toISOString(), limitSeconds: String(limit) },
      ));
    }
    case 'dead': {
      if (alive && beatSinceStateChange) {
        const at = host.resumedAt !== undefined && host.resumedAt > host.stateSince ? host.resumedAt : host.lastBeat;
        const since = host.outageStart ?? host.stateSince;
        const downtime = at - since;
        return make('alive', at, undefined, notification(
          hostname, 'host-recovered', 'info', at,
          `${hostname} recovered after ${formatDuration(downtime)} down`,
          { outageStart: new Date(since).toISOString(), downtimeSeconds: String(Math.round(downtime / 1000)) },
        ));
      }
      return retireIfSilent(host, now, rule, make);
    }
    case 'left': {
      if (alive && beatSinceStateChange) {
        return make('alive', host.lastBeat, undefined, notification(
          hostname, 'host-up', 'info', host.lastBeat, `${hostname} is back after a goodbye`,
        ));
      }
      return retireIfSilent(host, now, rule, make);
    }
    case 'retired': {
      if (!beatSinceStateChange || !alive) return undefined;
      return make('alive', host.lastBeat, undefined, notification(
        hostname, 'host-up', 'info', host.lastBeat, `${hostname} is back after retirement`,
      ));
    }
  }
}

function retireIfSilent(
  host: Host,
  now: number,
  rule: DiagnoseRule,
  make: (to: HostState, at: number, outageStart: number | undefined, n: Notification) => HostTransition,
): HostTransition | undefined {
  const at = host.lastBeat + rule.retireAfter * 1000;
  if (now < at) return undefined;
  return make('retired', at, undefined, notification(
    host.hostname, 'host-retired', 'info', at,
    `${host.hostname} retired after ${formatDuration(rule.retireAfter * 1000)} of silence; no further alerts`,
    { lastBeat: new Date(host.lastBeat).toISOString() },
  ));
}
