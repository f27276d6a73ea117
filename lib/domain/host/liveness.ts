import type { Host } from '../model';

export interface LivenessRule {
  /** Seconds assumed when a host declares an interval of 0. */
  readonly defaultInterval: number;
  readonly tolerance: number;
}

/** The interval a host is held to: its own declaration, or the default when it declared none. */
export function effectiveInterval(declared: number, rule: LivenessRule): number {
  return declared > 0 ? declared : rule.defaultInterval;
}

/** The moment a host becomes overdue: its last receive time plus interval × tolerance. */
export function deadlineOf(host: Pick<Host, 'lastBeat' | 'interval'>, rule: LivenessRule): number {
  return host.lastBeat + effectiveInterval(host.interval, rule) * rule.tolerance * 1000;
}

/**
 * A host is alive while now − lastBeat < interval × tolerance. lastBeat is the monitor's own
 * receive time, so the host's clock never enters into it. A beat received "after" now (the
 * queue's clock a little ahead of ours) is as fresh as a beat can be.
 */
export function isAliveAt(host: Pick<Host, 'lastBeat' | 'interval'>, now: number, rule: LivenessRule): boolean {
  return now < deadlineOf(host, rule);
}
