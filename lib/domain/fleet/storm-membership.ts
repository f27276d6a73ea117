import type { CheckState } from '../check/check';
import type { Host } from '../model';

/**
 * Which storm a host's outage belongs to. A death held back under a storm records the storm's
 * incident on the host (`stormIncident`, set by the state change that records the death, removed
 * when the host leaves `dead`); its recovery is then counted in the storm's progress and closed
 * by the storm's end, never announced alone, since its own down was never sent. A host paged on
 * its own before the storm was named keeps its own incident, which its own recovery closes.
 * Pure, so that diagnose and ingest (which may commit a recovery itself) decide alike.
 */

const PREFIX = '@fleet/storm/';

/** A storm's incident key: the `@fleet` storm, its scope and its earliest death (lib/domain/notification/incidents.ts). */
export function stormIncidentKey(scope: string, start: number): string {
  return `${PREFIX}${scope}/${new Date(start).toISOString()}`;
}

/** The scope (`fleet`, `rack=r1`) and start of a storm's incident key; undefined for anything else. */
export function parseStormIncident(incident: string): { scope: string; start: number } | undefined {
  if (!incident.startsWith(PREFIX)) return undefined;
  const rest = incident.slice(PREFIX.length);
  const slash = rest.lastIndexOf('/');
  const start = Date.parse(rest.slice(slash + 1));
  if (slash <= 0 || !Number.isFinite(start)) return undefined;
  return { scope: rest.slice(0, slash), start };
}

export interface RecoverySuppression {
  /** What the held-back `host-recovered` records as `suppressed`: `storm:<scope>`. */
  readonly reason: string;
  /** The storm whose progress counts this recovery. */
  readonly incident: string;
}

/**
 * Whether a dead host's `host-recovered` is held back for a storm, and why: when its `host-down`
 * was held back under that storm. Otherwise (paged on its own, or folded into a storm after its
 * own page) its recovery is announced, and closes its own incident.
 */
export function recoverySuppression(host: Pick<Host, 'state' | 'stormIncident'>): RecoverySuppression | undefined {
  if (host.state !== 'dead' || host.stormIncident === undefined) return undefined;
  const scope = parseStormIncident(host.stormIncident)?.scope ?? 'fleet';
  return { reason: `storm:${scope}`, incident: host.stormIncident };
}

/**
 * Whether a check's `check-ok` is held back for a storm, and why: when its `check-late` was held
 * back under that storm, its return is the storm's progress. A late check that fails or runs too
 * long instead is news about that job, announced on its own (and its later `check-ok` too).
 */
export function checkRecoverySuppression(check: { readonly state: CheckState; readonly stormIncident?: string }, to: CheckState): RecoverySuppression | undefined {
  if (check.state !== 'late' || to !== 'up' || check.stormIncident === undefined) return undefined;
  const scope = parseStormIncident(check.stormIncident)?.scope ?? 'checks';
  return { reason: `storm:${scope}`, incident: check.stormIncident };
}
