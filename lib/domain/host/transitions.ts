import type { Host, HostState, Notification } from '../model';
import { deadlineOf, effectiveInterval, isAliveAt, type LivenessRule } from './liveness';
import { formatDuration, notification } from '../notification/notifications';

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

/** No death may be declared: the monitor doubts its whole view (docs/SEMANTICS.md, "Trust the monitor"). */
export const NO_DEATHS = 0;

/**
 * What a diagnose pass (or ingest, for a dead host that beats again) should do with one host at
 * `now`, or nothing. `deadThrough` is the ingest watermark (lib/domain/fleet/watermark.ts): every beat
 * received before it is known stored, so a host whose deadline comes after it may have a beat
 * still on its way, and is not declared dead yet. Hosts may always recover.
 */
export function hostTransition(host: Host, now: number, rule: DiagnoseRule, deadThrough: number): HostTransition | undefined {
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
      const at = deadlineOf(host, rule);
      if (at > deadThrough) return undefined;
      const limit = effectiveInterval(host.interval, rule) * rule.tolerance;
      return make('dead', at, host.lastBeat, notification(
        hostname, 'host-down', 'critical', at,
        `${hostname} is down: no beat for ${formatDuration(now - host.lastBeat)} (limit ${formatDuration(limit * 1000)})`,
        { lastBeat: new Date(host.lastBeat).toISOString(), limitSeconds: String(limit) },
      ));
    }
    case 'dead': {
      // The first beat stored after the death was received before it: the host was alive when it
      // was declared dead, and a beat that was late on its way (a slow ingest, a relay that could
      // not reach SQS) proves it. The death is retracted rather than recovered from.
      if (alive && host.resumedAt !== undefined && host.resumedAt < host.stateSince) {
        const since = host.outageStart ?? host.stateSince;
        // Timed 1 ms after the death it retracts: the same for every run that decides it, and
        // after the down in every listing and timeline.
        const at = host.stateSince + 1;
        return make('alive', at, undefined, notification(
          hostname, 'host-down-retracted', 'info', at,
          `${hostname} was not down: a beat received at ${new Date(host.resumedAt).toISOString()}, before it was declared dead, was stored late`,
          { outageStart: new Date(since).toISOString(), lateBeat: new Date(host.resumedAt).toISOString() },
        ));
      }
      if (alive && beatSinceStateChange) {
        // The outage ends at the first beat back, whichever beat is the newest by now.
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
