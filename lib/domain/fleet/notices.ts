import { FLEET_HOST, type Notification } from '../model';
import { formatDuration, notification } from '../notification/notifications';
import { stormGroup } from './storm';

/**
 * Grouped notices, so that a fleet event is one message instead of one per host: a burst of
 * first beats ("12 new hosts"), and a storm's recovery ("8 of 10 hosts with rack=r1 recovered;
 * 2 still down: …", then "storm over"). Pure: diagnose gives what it saw in a pass.
 */

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
  return notification(FLEET_HOST, 'fleet-new-hosts', 'info', at, `${names.length} new hosts: ${list(names)}`,
    { count: String(names.length), hosts: names.join(' ').slice(0, 2000) }, `${names.length}`);
}

/** A storm whose end has not been announced, as its notices tell it. */
export interface OpenStorm {
  readonly scope: string;
  readonly start: number;
  readonly incident: string;
  /** Hosts of its group (the share's denominator). */
  readonly total: number;
  /** Hosts its notices named, paged alone before or not. */
  readonly count: number;
  /** Hosts whose `host-down` was held back under it: those its progress counts. */
  readonly underStorm: number;
  /** How many of those its last progress notice said were back. */
  readonly back: number;
}

/**
 * The storms among recent `@fleet` notifications that no `fleet-storm-over` has closed: a storm's
 * first notice and its follow-ups share the incident; the latest counts win.
 */
export function openStorms(fleet: readonly Notification[]): OpenStorm[] {
  const over = new Set(fleet.filter((n) => n.kind === 'fleet-storm-over').map((n) => n.incident));
  const storms = new Map<string, { -readonly [K in keyof OpenStorm]: OpenStorm[K] }>();
  const num = (v: string | undefined, fallback: number) => (v === undefined || !Number.isFinite(Number(v)) ? fallback : Number(v));
  for (const n of fleet) {
    if (n.kind !== 'fleet-storm' || n.incident === undefined || over.has(n.incident)) continue;
    const hosts = (n.details.hosts ?? '').split(' ').filter(Boolean).length;
    const start = n.details.stormStart ? Date.parse(n.details.stormStart) : n.at;
    const s = storms.get(n.incident) ?? { scope: n.details.scope ?? 'fleet', start, incident: n.incident, total: 0, count: 0, underStorm: 0, back: 0 };
    s.total = Math.max(s.total, num(n.details.total, 0));
    s.count = Math.max(s.count, num(n.details.count, hosts));
    s.underStorm = Math.max(s.underStorm, num(n.details.underStorm, hosts));
    storms.set(n.incident, s);
  }
  for (const n of fleet) {
    const s = n.kind === 'fleet-storm-recovering' && n.incident !== undefined ? storms.get(n.incident) : undefined;
    if (s) s.back = Math.max(s.back, num(n.details.recovered, 0));
  }
  return [...storms.values()];
}

const withScope = (scope: string) => (stormGroup(scope).group === 'fleet' ? '' : ` with ${stormGroup(scope).group}`);
const pagedNote = (alreadyPaged: readonly string[]) => (alreadyPaged.length > 0 ? `; already paged: ${list(alreadyPaged)}` : '');

/** How a storm's notices speak of its members: a host goes down and recovers; a check goes late and is late no more. */
const WORDS = {
  hosts: { one: 'host', many: 'hosts', went: 'went down', down: 'down', recovered: 'recovered', over: 'are back or gone' },
  checks: { one: 'check', many: 'checks', went: 'went late', down: 'late', recovered: 'are no longer late', over: 'are no longer late (or paused or gone)' },
} as const;
const words = (scope: string) => WORDS[stormGroup(scope).members];

/** A storm of one label value carries it, so a subscription filtering on that label gets it. */
function scopeLabels(scope: string): Record<string, string> {
  const { group } = stormGroup(scope);
  const eq = group.indexOf('=');
  return group === 'fleet' || eq < 0 ? {} : { [group.slice(0, eq)]: group.slice(eq + 1) };
}

/** The open storms among `storms` whose members are hosts, or checks. */
export function stormsOf(storms: readonly OpenStorm[], members: 'hosts' | 'checks'): OpenStorm[] {
  return storms.filter((s) => stormGroup(s.scope).members === members);
}

export interface StormStart {
  readonly scope: string;
  readonly total: number;
  readonly cause: string | undefined;
  /** The earliest death among its hosts: with the scope, what every run computes alike. */
  readonly start: number;
  /** Hosts whose `host-down` it carries instead (held back under it). */
  readonly underStorm: readonly string[];
  /** Hosts of the group that died just before and were paged alone: named, not re-paged. */
  readonly alreadyPaged: readonly string[];
  /** Hosts of the group that died just before, held under a storm of another scope: counted only. */
  readonly elsewhere?: number;
}

/** A storm's first notice. Its id: the scope and the earliest death. */
export function stormNotice(s: StormStart): Notification {
  const cause = s.cause ? `likely shared cause: ${s.cause}` : 'no label shared by all of them';
  const count = s.underStorm.length + s.alreadyPaged.length + (s.elsewhere ?? 0);
  return {
    ...notification(
      FLEET_HOST, 'fleet-storm', 'critical', s.start,
      `${count} of ${s.total} ${words(s.scope).many}${withScope(s.scope)} ${words(s.scope).went} together; ${cause}${pagedNote(s.alreadyPaged)}`,
      {
        scope: s.scope, stormStart: new Date(s.start).toISOString(), count: String(count), total: String(s.total), underStorm: String(s.underStorm.length),
        hosts: s.underStorm.join(' ').slice(0, 2000), ...(s.alreadyPaged.length > 0 ? { alreadyPaged: s.alreadyPaged.join(' ').slice(0, 2000) } : {}),
        ...(s.cause ? { cause: s.cause } : {}),
      },
      s.scope,
    ),
    labels: scopeLabels(s.scope),
  };
}

/**
 * Deaths that joined a storm after its first notice: one follow-up per pass (or watch batch),
 * naming the new members and counting all. Same incident as the storm; its id holds the storm and
 * the member count, so overlapping runs that saw the same deaths send it once.
 */
export function stormFollowUp(
  storm: Pick<OpenStorm, 'scope' | 'start' | 'total' | 'count' | 'underStorm'>,
  joined: { readonly underStorm: readonly string[]; readonly alreadyPaged: readonly string[]; readonly at: number },
): Notification {
  const count = storm.count + joined.underStorm.length + joined.alreadyPaged.length;
  const underStorm = storm.underStorm + joined.underStorm.length;
  const stormStart = new Date(storm.start).toISOString();
  const n = joined.underStorm.length;
  const w = words(storm.scope);
  return {
    ...notification(
      FLEET_HOST, 'fleet-storm', 'critical', joined.at,
      `${n} more ${n === 1 ? w.one : w.many}${withScope(storm.scope)} ${w.went} in the storm since ${stormStart}: ${list(joined.underStorm)} (${count} of ${storm.total} named)${pagedNote(joined.alreadyPaged)}`,
      {
        scope: storm.scope, stormStart, count: String(count), total: String(storm.total), underStorm: String(underStorm),
        hosts: joined.underStorm.join(' ').slice(0, 2000), ...(joined.alreadyPaged.length > 0 ? { alreadyPaged: joined.alreadyPaged.join(' ').slice(0, 2000) } : {}),
        followUp: 'true',
      },
      `${storm.scope}|${stormStart}|${count}`,
    ),
    labels: scopeLabels(storm.scope),
  };
}

/**
 * What a pass says about an open storm from its members' states now: `stillDown` holds the hosts
 * still dead under it (their `stormIncident`). None left: the storm is over, which closes its
 * incident. Otherwise, when more are back than its last notice said, how many are back and
 * which are still down. Nothing when nothing moved. Decided from states, not from the
 * recoveries the pass itself committed, since ingest may commit a recovery too.
 */
export function stormProgress(storm: OpenStorm, stillDown: readonly string[], at: number): Notification | undefined {
  const stormStart = new Date(storm.start).toISOString();
  const base = { scope: storm.scope, stormStart, count: String(storm.underStorm) };
  const w = words(storm.scope);
  if (stillDown.length === 0) {
    return {
      ...notification(FLEET_HOST, 'fleet-storm-over', 'info', at,
        `storm over: all ${storm.underStorm} ${w.many}${withScope(storm.scope)} ${w.over} after ${formatDuration(at - storm.start)}`,
        { ...base, downtimeSeconds: String(Math.round((at - storm.start) / 1000)) }, `${storm.scope}|${stormStart}`),
      labels: scopeLabels(storm.scope),
    };
  }
  const back = Math.max(0, storm.underStorm - stillDown.length);
  if (back <= storm.back) return undefined;
  const down = [...stillDown].sort();
  return {
    ...notification(FLEET_HOST, 'fleet-storm-recovering', 'info', at,
      `${back} of ${storm.underStorm} ${w.many}${withScope(storm.scope)} ${w.recovered}; ${down.length} still ${w.down}: ${list(down)}`,
      { ...base, recovered: String(back), stillDown: down.join(' ').slice(0, 2000) }, `${storm.scope}|${stormStart}|${back}`),
    labels: scopeLabels(storm.scope),
  };
}
