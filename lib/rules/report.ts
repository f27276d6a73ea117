import { RESOURCES, type Host, type HostState, type Level, type Notification, type NotificationKind, type Resource } from '../model';
import { daysBetween } from '../model/days';

/** What the report reads: the hosts now, the period's notifications, and per-app daily counts. */
export interface ReportInput {
  readonly since: number;
  readonly until: number;
  readonly generatedAt: number;
  readonly hosts: readonly Host[];
  readonly notifications: readonly Notification[];
  /** Per app and UTC day: error (40) and critical (50) counts, for the days the period touches. */
  readonly appCounts: readonly { app: string; day: string; error: number; critical: number }[];
  readonly topApps?: number;
}

export interface Outage {
  readonly hostname: string;
  readonly start: number;
  /** Undefined while it lasts. */
  readonly end: number | undefined;
  /** Up to its end, or to the end of the period while it lasts. */
  readonly durationMs: number;
}

export interface HostResources {
  readonly hostname: string;
  /** Highest whole percent per resource over the UTC days the period touches. */
  readonly peaks: Partial<Record<Resource, number>>;
  /** Milliseconds of the period spent at warning and at critical, per resource. */
  readonly timeAt: Record<Resource, { warning: number; critical: number }>;
}

export interface AppLogCounts {
  readonly app: string;
  readonly error: number;
  readonly critical: number;
}

export interface FleetReport {
  readonly id: string;
  readonly since: number;
  readonly until: number;
  readonly generatedAt: number;
  readonly hostsByState: Record<HostState, string[]>;
  readonly outages: Outage[];
  readonly resources: HostResources[];
  /** Hosts that spent any time at warning or critical, worst first. */
  readonly hostsAtLevel: string[];
  readonly logs: { readonly apps: AppLogCounts[]; readonly top: AppLogCounts[]; readonly error: number; readonly critical: number };
  readonly notifications: { readonly total: number; readonly suppressed: number; readonly byKind: Partial<Record<NotificationKind, number>> };
}

const STATES: readonly HostState[] = ['alive', 'new', 'dead', 'left', 'retired'];
const FLEET_HOSTS = new Set(['@monitor', '@fleet']);

/** The report's id: its period's end, to the minute, so a retried run overwrites itself. */
export function reportId(until: number): string {
  return new Date(Math.floor(until / 60_000) * 60_000).toISOString().slice(0, 16) + 'Z';
}

export function buildReport(input: ReportInput): FleetReport {
  const { since, until } = input;
  const inPeriod = input.notifications.filter((n) => n.at >= since && n.at < until).sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  const hostsByState = Object.fromEntries(STATES.map((s) => [s, [] as string[]])) as Record<HostState, string[]>;
  for (const h of [...input.hosts].sort((a, b) => a.hostname.localeCompare(b.hostname))) hostsByState[h.state].push(h.hostname);

  const resources = input.hosts.map((h) => hostResources(h, inPeriod, since, until)).sort((a, b) => a.hostname.localeCompare(b.hostname));
  const burden = (r: HostResources) => RESOURCES.reduce((t, res) => t + r.timeAt[res].critical * 2 + r.timeAt[res].warning, 0);
  const hostsAtLevel = resources.filter((r) => burden(r) > 0).sort((a, b) => burden(b) - burden(a) || a.hostname.localeCompare(b.hostname)).map((r) => r.hostname);

  const byApp = new Map<string, { error: number; critical: number }>();
  for (const c of input.appCounts) {
    const e = byApp.get(c.app) ?? { error: 0, critical: 0 };
    e.error += c.error;
    e.critical += c.critical;
    byApp.set(c.app, e);
  }
  const apps = [...byApp.entries()].map(([app, c]) => ({ app, ...c }))
    .sort((a, b) => b.critical + b.error - (a.critical + a.error) || b.critical - a.critical || a.app.localeCompare(b.app));
  const byKind: Partial<Record<NotificationKind, number>> = {};
  for (const n of inPeriod) byKind[n.kind] = (byKind[n.kind] ?? 0) + 1;

  return {
    id: reportId(until),
    since,
    until,
    generatedAt: input.generatedAt,
    hostsByState,
    outages: outages(input.hosts, inPeriod, until),
    resources,
    hostsAtLevel,
    logs: {
      apps,
      top: apps.filter((a) => a.error + a.critical > 0).slice(0, input.topApps ?? 5),
      error: apps.reduce((t, a) => t + a.error, 0),
      critical: apps.reduce((t, a) => t + a.critical, 0),
    },
    notifications: { total: inPeriod.length, suppressed: inPeriod.filter((n) => n.suppressed !== undefined).length, byKind },
  };
}

/**
 * Every outage that overlaps the period: those that ended in it (a recovery names its start), those
 * that began in it and last, and those that began before it and still last.
 */
function outages(hosts: readonly Host[], inPeriod: readonly Notification[], until: number): Outage[] {
  const out: Outage[] = [];
  const open = new Map<string, number>();
  for (const n of inPeriod) {
    if (FLEET_HOSTS.has(n.hostname)) continue;
    if (n.kind === 'host-down') {
      open.set(n.hostname, parseTime(n.details.lastBeat) ?? n.at);
    } else if (n.kind === 'host-recovered') {
      const start = parseTime(n.details.outageStart) ?? open.get(n.hostname) ?? n.at;
      out.push({ hostname: n.hostname, start, end: n.at, durationMs: n.at - start });
      open.delete(n.hostname);
    }
  }
  const byName = new Map(hosts.map((h) => [h.hostname, h]));
  for (const [hostname, start] of open) {
    const h = byName.get(hostname);
    // A host that went down in the period and is no longer dead left in a way the period's records do not show (it was removed).
    if (h && h.state !== 'dead' && h.state !== 'retired') continue;
    out.push({ hostname, start, end: undefined, durationMs: until - start });
  }
  for (const h of hosts) {
    if (h.state !== 'dead' || open.has(h.hostname)) continue;
    const start = h.outageStart ?? h.stateSince;
    out.push({ hostname: h.hostname, start, end: undefined, durationMs: until - start });
  }
  return out.sort((a, b) => a.start - b.start || a.hostname.localeCompare(b.hostname));
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Peaks come from the host's daily peaks; time at a level from the level changes in the period.
 * The level at the start is the first change's `from`, or, with no change, the level the host
 * holds now.
 */
function hostResources(host: Host, inPeriod: readonly Notification[], since: number, until: number): HostResources {
  const peaks: Partial<Record<Resource, number>> = {};
  const days = new Set(daysBetween(since, until - 1));
  for (const [day, byResource] of Object.entries(host.dailyPeaks ?? {})) {
    if (!days.has(day)) continue;
    for (const r of RESOURCES) {
      const p = byResource[r];
      if (p !== undefined && (peaks[r] === undefined || p > (peaks[r] as number))) peaks[r] = p;
    }
  }
  const timeAt = Object.fromEntries(RESOURCES.map((r) => [r, { warning: 0, critical: 0 }])) as HostResources['timeAt'];
  for (const r of RESOURCES) {
    const changes = inPeriod.filter((n) => n.hostname === host.hostname && n.kind.startsWith('resource-') && n.details.resource === r);
    let level: Level = (changes[0]?.details.from as Level | undefined) ?? host.levels[r];
    let t = since;
    const add = (to: number) => {
      if (level !== 'ok') timeAt[r][level] += Math.max(0, to - t);
    };
    for (const c of changes) {
      add(c.at);
      level = (c.details.to as Level | undefined) ?? level;
      t = c.at;
    }
    add(until);
  }
  return { hostname: host.hostname, peaks, timeAt };
}
