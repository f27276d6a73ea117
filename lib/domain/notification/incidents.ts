import type { Notification, NotificationKind } from '../model';

/**
 * Incidents: what a notification opens or closes. A host's down and its recovery, a resource
 * level's rise and its fall, a storm and its end share one key, so that a pager can resolve
 * what it was paged for, and a reader can link the two. Pure: the key is a function of the
 * notification alone, so every run that makes the same notification gives it the same key.
 */

/** Open (or update) the incident, close it, or neither (a notice). */
export type IncidentAction = 'open' | 'close' | 'none';

type Fields = Pick<Notification, 'hostname' | 'kind' | 'at' | 'details'>;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The incident key. Outages are keyed by the host and the outage's start (its last beat), which
 * both the down and the recovery know. A level, clock skew and the monitor have one incident at
 * a time, keyed without a time: pagers open a fresh incident when a resolved key triggers again.
 */
export function incidentKey(n: Fields, subject?: string): string {
  const h = n.hostname;
  const d = n.details;
  switch (n.kind) {
    case 'host-down':
      return `${h}/down/${d.lastBeat ?? iso(n.at)}`;
    case 'host-recovered':
    case 'host-down-retracted':
    case 'host-still-down':
      return `${h}/down/${d.outageStart ?? iso(n.at)}`;
    case 'host-retired':
      // A dead host's last beat is its outage's start: retiring it closes that outage.
      return `${h}/down/${d.lastBeat ?? iso(n.at)}`;
    case 'host-flapping':
      return `${h}/flapping/${iso(n.at)}`;
    case 'host-stable':
      return `${h}/flapping/${d.flappingSince ?? iso(n.at)}`;
    case 'resource-warning':
    case 'resource-critical':
    case 'resource-ok':
      return `${h}/${d.resource ?? subject ?? 'resource'}`;
    case 'clock-skew':
    case 'clock-ok':
      return `${h}/clock`;
    case 'monitor-degraded':
    case 'monitor-ok':
      return `${h}/degraded`;
    case 'fleet-storm':
      // A follow-up (deaths that joined later) carries its storm's start: the same incident.
      return `${h}/storm/${d.scope ?? subject ?? 'fleet'}/${d.stormStart ?? iso(n.at)}`;
    case 'fleet-storm-recovering':
    case 'fleet-storm-over':
      return `${h}/storm/${d.scope ?? 'fleet'}/${d.stormStart ?? iso(n.at)}`;
    case 'check-late':
    case 'check-failed':
    case 'check-long':
    case 'check-ok':
      // A check's problem and its recovery share the time it stopped being up, which both carry.
      return `${h}/problem/${d.problemSince ?? iso(n.at)}`;
    case 'host-up':
    case 'host-left':
    case 'fleet-new-hosts':
      return `${h}/${n.kind}/${iso(n.at)}`;
  }
}

const CLOSES: ReadonlySet<NotificationKind> = new Set<NotificationKind>([
  'host-recovered', 'host-down-retracted', 'host-retired', 'resource-ok', 'clock-ok', 'monitor-ok', 'fleet-storm-over', 'check-ok',
]);
const NOTICES: ReadonlySet<NotificationKind> = new Set<NotificationKind>([
  'host-up', 'host-left', 'fleet-new-hosts', 'fleet-storm-recovering',
]);

/**
 * What a pager should do with a notification. A host that stops flapping while up closes its
 * flapping incident; while down, it keeps it open. Notices (a first beat, a goodbye, new hosts,
 * a storm's progress) are neither, and go to chat channels only.
 */
export function incidentAction(n: Pick<Notification, 'kind' | 'severity'>): IncidentAction {
  if (CLOSES.has(n.kind)) return 'close';
  if (NOTICES.has(n.kind)) return 'none';
  if (n.kind === 'host-stable') return n.severity === 'critical' ? 'open' : 'close';
  return n.severity === 'info' ? 'none' : 'open';
}
