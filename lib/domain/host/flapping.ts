import type { Host, Notification } from '../model';
import { formatDuration, notification } from '../notification/notifications';

export interface FlapRule {
  /** More than this many liveness changes within the window is flapping. */
  readonly changes: number;
  /** Seconds. */
  readonly window: number;
}

export const DEFAULT_FLAP_RULE: FlapRule = { changes: 4, window: 1800 };

export interface FlapStep {
  /** The change history to store with the transition: the window's changes, this one last. */
  readonly changes: number[];
  /** The flapping start to store: kept, newly set, or undefined when not flapping. */
  readonly flappingSince: number | undefined;
  /** Set when this change starts the flapping. */
  readonly started: Notification | undefined;
}

/** Only liveness changes count: a host going down or coming back. */
export function countsAsChange(kind: Notification['kind']): boolean {
  return kind === 'host-down' || kind === 'host-recovered';
}

/**
 * A liveness change at `at`: what the host's history becomes, and whether the host starts
 * flapping. A change counts within (at − window, at]; the change that makes the count exceed
 * the limit starts the flapping.
 */
export function flapStep(host: Pick<Host, 'hostname' | 'changes' | 'flappingSince'>, at: number, rule: FlapRule): FlapStep {
  const from = at - rule.window * 1000;
  const changes = [...(host.changes ?? []).filter((t) => t > from && t < at), at];
  if (host.flappingSince !== undefined) return { changes, flappingSince: host.flappingSince, started: undefined };
  if (changes.length <= rule.changes) return { changes, flappingSince: undefined, started: undefined };
  return {
    changes,
    flappingSince: at,
    started: notification(
      host.hostname, 'host-flapping', 'warning', at,
      `${host.hostname} is flapping: ${changes.length} up/down changes in ${formatDuration(rule.window * 1000)}; its ups and downs are recorded but not sent until it settles`,
      { changes: String(changes.length), windowSeconds: String(rule.window) },
    ),
  };
}

/**
 * What a liveness transition does to the host's change history: a down or a recovery is a change
 * (flapStep); a retracted death never happened, so its change is taken back out of the history
 * and cannot count towards flapping. Other transitions leave the history alone.
 */
export function historyStep(
  host: Pick<Host, 'hostname' | 'changes' | 'flappingSince' | 'stateSince'>,
  t: { readonly at: number; readonly notification: Pick<Notification, 'kind'> },
  rule: FlapRule,
): FlapStep | undefined {
  if (countsAsChange(t.notification.kind)) return flapStep(host, t.at, rule);
  if (t.notification.kind !== 'host-down-retracted') return undefined;
  return { changes: (host.changes ?? []).filter((c) => c !== host.stateSince), flappingSince: host.flappingSince, started: undefined };
}

/**
 * A flapping host that has held one state for a whole window has settled: one notification,
 * at the end of that window, says in which state.
 */
export function flappingEnd(host: Pick<Host, 'hostname' | 'changes' | 'flappingSince' | 'state'>, now: number, rule: FlapRule): Notification | undefined {
  if (host.flappingSince === undefined) return undefined;
  const last = Math.max(host.flappingSince, ...(host.changes ?? []));
  const at = last + rule.window * 1000;
  if (now < at) return undefined;
  const down = host.state === 'dead';
  return notification(
    host.hostname, 'host-stable', down ? 'critical' : 'info', at,
    `${host.hostname} stopped flapping and is ${down ? 'DOWN' : host.state}: no change for ${formatDuration(rule.window * 1000)}`,
    { state: host.state, flappingSince: new Date(host.flappingSince).toISOString() },
  );
}
