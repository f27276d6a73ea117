import type { HostState, Notification } from '../model';
import { formatDuration, notification } from './notifications';

/**
 * Grouped notices, so that a fleet event is one message instead of one per host: a burst of
 * first beats ("12 new hosts"), and a storm's recovery ("8 of 10 hosts with rack=r1 recovered;
 * 2 still down: …", then "storm over"). Pure: diagnose gives what it saw in a pass.
 */

/** The name grouped notifications are filed under. */
export const FLEET = '@fleet';

/** First beats in one pass from this many hosts on become one notice. */
export const NEW_HOSTS_GROUP = 3;

function list(hostnames: readonly string[], max = 20): string {
  const shown = hostnames.slice(0, max).join(', ');
  return hostnames.length > max ? `${shown} and ${hostnames.length - max} more` : shown;
}

/** One notice for the hosts whose first beat this pass saw, when there are enough of them. */
export function newHostsNotice(firsts: ReadonlyArray<{ hostname: string; at: number }>, min = NEW_HOSTS_GROUP): Notification | undefined {
  if (firsts.length < min) return undefined;
  const names = firsts.map((f) => f.hostname).sort();
  const at = Math.min(...firsts.map((f) => f.at));
  return notification(FLEET, 'fleet-new-hosts', 'info', at, `${names.length} new hosts: ${list(names)}`,
    { count: String(names.length), hosts: names.join(' ').slice(0, 2000) }, `${names.length}`);
}

/** A storm whose end has not been announced. */
export interface OpenStorm {
  readonly scope: string;
  readonly start: number;
  readonly incident: string;
  readonly hostnames: readonly string[];
}

/** The storms among recent `@fleet` notifications that no `fleet-storm-over` has closed. */
export function openStorms(fleet: readonly Notification[]): OpenStorm[] {
  const over = new Set(fleet.filter((n) => n.kind === 'fleet-storm-over').map((n) => n.incident));
  return fleet
    .filter((n) => n.kind === 'fleet-storm' && n.incident !== undefined && !over.has(n.incident))
    .map((n) => ({
      scope: n.details.scope ?? 'fleet',
      start: n.at,
      incident: n.incident as string,
      hostnames: (n.details.hosts ?? '').split(' ').filter(Boolean),
    }));
}

/**
 * What a pass says about an open storm some of whose hosts recovered in it: how many are back,
 * and which are still down; or, when none is down any more (back, gone or retired), that the
 * storm is over. `states` holds the state after this pass of each storm host the pass saw.
 */
export function stormProgress(
  storm: OpenStorm,
  recovered: ReadonlyArray<{ hostname: string; at: number }>,
  states: ReadonlyMap<string, HostState>,
): Notification {
  const scope = storm.scope === 'fleet' ? '' : ` with ${storm.scope}`;
  const stillDown = storm.hostnames.filter((h) => states.get(h) === 'dead').sort();
  const back = storm.hostnames.length - stillDown.length;
  const at = Math.max(...recovered.map((r) => r.at));
  const stormStart = new Date(storm.start).toISOString();
  const base = { scope: storm.scope, stormStart, count: String(storm.hostnames.length) };
  if (stillDown.length === 0) {
    return notification(FLEET, 'fleet-storm-over', 'info', at,
      `storm over: all ${storm.hostnames.length} hosts${scope} are back or gone after ${formatDuration(at - storm.start)}`,
      { ...base, downtimeSeconds: String(Math.round((at - storm.start) / 1000)) }, `${storm.scope}|${stormStart}`);
  }
  return notification(FLEET, 'fleet-storm-recovering', 'info', at,
    `${back} of ${storm.hostnames.length} hosts${scope} recovered; ${stillDown.length} still down: ${list(stillDown)}`,
    { ...base, recovered: String(back), stillDown: stillDown.join(' ').slice(0, 2000) }, `${storm.scope}|${stormStart}|${back}`);
}
