import { METRICS, type Host, type HostState, type MetricLevel, type Notification, type NotificationKind, type Metric, FLEET_HOST } from '../model';
import { percent } from './percent';
import { daysBetween } from '../model/days';
import { isWorse, rawLevel, thresholdsFor, type Thresholds } from '../host/metrics';
import type { Check } from '../check/check';
import { checkReport, type CheckRow, type CheckSummary } from './checks';

/** What the report reads: the hosts now, the period's notifications, and per-app daily counts. */
export interface ReportInput {
  readonly since: number;
  readonly until: number;
  readonly generatedAt: number;
  readonly hosts: readonly Host[];
  readonly notifications: readonly Notification[];
  /** Per app and UTC day: error (40) and critical (50) counts, for the days the period touches. */
  readonly appCounts: readonly { app: string; day: string; error: number; critical: number }[];
  /** Rows per section in the summary (default 20); the detail holds every row. */
  readonly top?: number;
  /** Default resource thresholds; a host's `dts.<resource>.<level>` labels override them. */
  readonly thresholds?: Readonly<Record<Metric, Thresholds>>;
  /** Availability below this percent is highlighted (default 99.9). */
  readonly availabilityTarget?: number;
  /** The checks (scheduled jobs) now, when the deployment has them. */
  readonly checks?: readonly Check[];
}

export interface Outage {
  readonly hostname: string;
  readonly start: number;
  /** Undefined while it lasts. */
  readonly end: number | undefined;
  /** Up to its end, or to the end of the period while it lasts. */
  readonly durationMs: number;
  /** How it ended: the host came back, or it was retired (or left) while down. */
  readonly endedBy?: 'retired' | 'left';
  /** The scope of the storm diagnose grouped its death into, if it did. */
  readonly storm?: string;
  /** When diagnose declared it down (in the period). */
  readonly declaredAt?: number;
}

/**
 * Outages that belong together: one host's outage, or a storm's (many hosts that died in one
 * pass, announced as one `fleet-storm`).
 */
export interface Incident {
  readonly kind: 'outage' | 'storm';
  /** For a storm: `fleet` or the `label=value` diagnose grouped it by. */
  readonly scope?: string;
  readonly hosts: number;
  /** Every host in the detail; the first ten in the summary. */
  readonly hostnames: string[];
  /** The first host down. */
  readonly start: number;
  /** The last host back; undefined while any is still down. */
  readonly end: number | undefined;
  /** Wall-clock length: from the first host down to the last back (or the period's end). */
  readonly durationMs: number;
  /** Host-time: the sum of its hosts' outages. */
  readonly downtimeMs: number;
}

/** One host over the period: its row in the detail. */
export interface HostRow {
  readonly hostname: string;
  readonly state: HostState;
  /**
   * Percent of the time it was expected up that it was up; undefined when it was never expected
   * in the period (it left or retired before it, or appeared after it). See docs/SEMANTICS.md.
   */
  readonly availability: number | undefined;
  readonly expectedMs: number;
  readonly downMs: number;
  /** Highest whole percent per resource over the UTC days the period touches. */
  readonly peaks: Partial<Record<Metric, number>>;
  /** The level of a peak past the host's thresholds (only those past one). */
  readonly over: Partial<Record<Metric, MetricLevel>>;
  /** Milliseconds spent at warning and at critical while up (only resources with some). */
  readonly timeAt: Partial<Record<Metric, { warning: number; critical: number }>>;
}

export interface AppLogCounts {
  readonly app: string;
  readonly error: number;
  readonly critical: number;
}

/** Everything, row by row: stored split across items, read with `dts report --detail`. */
export interface ReportDetail {
  readonly hosts: HostRow[];
  readonly incidents: Incident[];
  readonly apps: AppLogCounts[];
  readonly checks?: CheckRow[];
}

/**
 * The stored, rendered and published report: the fleet's figures and the worst `top` rows per
 * section. Its size depends on `top`, never on the size of the fleet.
 */
export interface FleetReport {
  readonly id: string;
  readonly since: number;
  readonly until: number;
  readonly generatedAt: number;
  readonly top: number;
  readonly hosts: {
    readonly total: number;
    readonly byState: Record<HostState, number>;
    /** Dead now, longest down first. */
    readonly downNow: { hostname: string; since: number }[];
    /** Stored hosts the report could not read (each named in the service's log). */
    readonly unreadable: number;
  };
  readonly availability: {
    /** Up time over expected time, summed over the fleet, in percent; undefined with no expected time. */
    readonly fleet: number | undefined;
    readonly target: number;
    readonly expectedMs: number;
    readonly downMs: number;
    readonly belowTarget: number;
    /** Lowest first. */
    readonly worst: { hostname: string; availability: number; downMs: number }[];
    /**
     * With checks: the hosts' up time and the checks' time on time and well over the expected time
     * of both, in percent (issue 19: checks count in the period's availability); undefined with no
     * check, or no expected time.
     */
    readonly withChecks?: number;
  };
  readonly incidents: {
    readonly total: number;
    readonly storms: number;
    /** Host outages in all, storms counted per host. */
    readonly outages: number;
    /** Host-time down, summed. */
    readonly downtimeMs: number;
    /** The incidents with the most host downtime, in time order. */
    readonly top: Incident[];
  };
  readonly resources: {
    /** Hosts that spent any time at warning or critical. */
    readonly atLevel: number;
    /** Most time at a level first (critical counts double). */
    readonly timeAt: { hostname: string; timeAt: HostRow['timeAt'] }[];
    /** Hosts whose peak passed a threshold. */
    readonly peakedOver: number;
    /** Highest peaks, those past a threshold first. */
    readonly peaks: { hostname: string; peaks: HostRow['peaks']; over: HostRow['over'] }[];
  };
  readonly logs: { readonly apps: number; readonly top: AppLogCounts[]; readonly error: number; readonly critical: number };
  readonly notifications: { readonly total: number; readonly suppressed: number; readonly byKind: Partial<Record<NotificationKind, number>> };
  /** The checks (scheduled jobs), when the deployment has any: lates, failures and their availability (lib/domain/report/checks.ts). */
  readonly checks?: CheckSummary;
  /** Where every row is. `location` is filled by the store that keeps it. */
  readonly detail: { readonly hosts: number; readonly incidents: number; readonly apps: number; readonly location?: string };
}

export interface BuiltReport {
  readonly report: FleetReport;
  readonly detail: ReportDetail;
  /** Stored items the report could not use, with why: bounded, for the log. */
  readonly problems: string[];
}

export const DEFAULT_REPORT_TOP = 20;
export const DEFAULT_AVAILABILITY_TARGET = 99.9;
const DEFAULT_THRESHOLDS: Record<Metric, Thresholds> = {
  cpu: { warning: 85, critical: 95 },
  mem: { warning: 85, critical: 95 },
  disk: { warning: 80, critical: 90 },
};
const STATES: readonly HostState[] = ['alive', 'new', 'dead', 'left', 'retired'];
const MAX_PROBLEMS = 20;
/** Host names shown per incident in the summary: a storm's full list is in the detail. */
const INCIDENT_NAMES = 10;

/** The report's id: its period's end, to the minute, so a retried run overwrites itself. */
export function reportId(until: number): string {
  return new Date(Math.floor(until / 60_000) * 60_000).toISOString().slice(0, 16) + 'Z';
}

const byName = (a: { hostname: string }, b: { hostname: string }) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0);

/**
 * The whole report in one pass over the hosts: O(hosts + notifications), each host reading only
 * its own notifications. A host or notification it cannot read is left out and named in
 * `problems`, so one bad item cannot stop every report after it.
 */
export function buildReport(input: ReportInput): BuiltReport {
  const { since, until } = input;
  const top = input.top ?? DEFAULT_REPORT_TOP;
  const target = input.availabilityTarget ?? DEFAULT_AVAILABILITY_TARGET;
  const problems: string[] = [];
  const problem = (p: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };

  const inPeriod = input.notifications.filter((n) => n.at >= since && n.at < until).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
  const ofHost = new Map<string, Notification[]>();
  for (const n of inPeriod) {
    const list = ofHost.get(n.hostname);
    if (list) list.push(n);
    else ofHost.set(n.hostname, [n]);
  }

  const byState = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<HostState, number>;
  const rows: HostRow[] = [];
  const outages: Outage[] = [];
  const downNow: { hostname: string; since: number }[] = [];
  let unreadable = 0;
  const days = new Set(daysBetween(since, until - 1));
  for (const h of input.hosts) {
    try {
      const own = ofHost.get(h.hostname) ?? [];
      const timeline = hostTimeline(h, own, since, until);
      rows.push(hostRow(h, own, timeline, days, since, until, input.thresholds ?? DEFAULT_THRESHOLDS));
      outages.push(...timeline.outages);
      byState[h.state]++;
      if (h.state === 'dead') downNow.push({ hostname: h.hostname, since: h.outageStart ?? h.stateSince });
    } catch (e) {
      unreadable++;
      problem(`host ${JSON.stringify(String((h as Partial<Host>)?.hostname))}: ${(e as Error).message}`);
    }
  }
  rows.sort(byName);
  outages.sort((a, b) => a.start - b.start || byName(a, b));
  const incidents = groupIncidents(outages, ofHost.get(FLEET_HOST) ?? [], until);

  const apps = appTotals(input.appCounts);
  const byKind: Partial<Record<NotificationKind, number>> = {};
  for (const n of inPeriod) byKind[n.kind] = (byKind[n.kind] ?? 0) + 1;

  const expectedMs = rows.reduce((t, r) => t + r.expectedMs, 0);
  const downMs = rows.reduce((t, r) => t + r.downMs, 0);
  const measured = rows.filter((r): r is HostRow & { availability: number } => r.availability !== undefined);
  const burden = (r: HostRow) => METRICS.reduce((t, res) => t + (r.timeAt[res]?.critical ?? 0) * 2 + (r.timeAt[res]?.warning ?? 0), 0);
  const atLevel = rows.filter((r) => burden(r) > 0);
  const rank: Record<MetricLevel, number> = { ok: 0, warning: 1, critical: 2 };
  const peakScore = (r: HostRow) => Math.max(0, ...METRICS.map((res) => rank[r.over[res] ?? 'ok'] * 1000 + (r.peaks[res] ?? 0)));
  const withPeaks = rows.filter((r) => Object.keys(r.peaks).length > 0);
  const loud = apps.filter((a) => a.error + a.critical > 0);

  const checks = input.checks && input.checks.length > 0 ? checkReport(input.checks, (subject) => ofHost.get(subject) ?? [], since, until, top) : undefined;

  const report: FleetReport = {
    id: reportId(until),
    since,
    until,
    generatedAt: input.generatedAt,
    top,
    hosts: {
      total: rows.length,
      byState,
      downNow: downNow.sort((a, b) => a.since - b.since || byName(a, b)).slice(0, top),
      unreadable,
    },
    availability: {
      fleet: expectedMs > 0 ? percent(expectedMs - downMs, expectedMs) : undefined,
      target,
      expectedMs,
      downMs,
      belowTarget: measured.filter((r) => r.availability < target).length,
      worst: topBy(measured.filter((r) => r.downMs > 0), top, (a, b) => a.availability - b.availability || b.downMs - a.downMs || byName(a, b))
        .map((r) => ({ hostname: r.hostname, availability: r.availability, downMs: r.downMs })),
      ...(checks && expectedMs + checks.summary.expectedMs > 0
        ? { withChecks: percent(expectedMs + checks.summary.expectedMs - downMs - checks.summary.problemMs, expectedMs + checks.summary.expectedMs) }
        : {}),
    },
    incidents: {
      total: incidents.length,
      storms: incidents.filter((i) => i.kind === 'storm').length,
      outages: outages.length,
      downtimeMs: incidents.reduce((t, i) => t + i.downtimeMs, 0),
      top: topBy(incidents, top, (a, b) => b.downtimeMs - a.downtimeMs || a.start - b.start)
        .sort((a, b) => a.start - b.start)
        .map((i) => ({ ...i, hostnames: i.hostnames.slice(0, Math.min(top, INCIDENT_NAMES)) })),
    },
    resources: {
      atLevel: atLevel.length,
      timeAt: topBy(atLevel, top, (a, b) => burden(b) - burden(a) || byName(a, b)).map((r) => ({ hostname: r.hostname, timeAt: r.timeAt })),
      peakedOver: rows.filter((r) => Object.keys(r.over).length > 0).length,
      peaks: topBy(withPeaks, top, (a, b) => peakScore(b) - peakScore(a) || byName(a, b)).map((r) => ({ hostname: r.hostname, peaks: r.peaks, over: r.over })),
    },
    logs: {
      apps: apps.length,
      top: loud.slice(0, top),
      error: apps.reduce((t, a) => t + a.error, 0),
      critical: apps.reduce((t, a) => t + a.critical, 0),
    },
    notifications: { total: inPeriod.length, suppressed: inPeriod.filter((n) => n.suppressed !== undefined).length, byKind },
    ...(checks ? { checks: checks.summary } : {}),
    detail: { hosts: rows.length, incidents: incidents.length, apps: apps.length },
  };
  return { report, detail: { hosts: rows, incidents, apps, ...(checks ? { checks: checks.rows } : {}) }, problems };
}

/** The first `n` of `items` by `compare`, without sorting all of them when n is small. */
function topBy<T>(items: readonly T[], n: number, compare: (a: T, b: T) => number): T[] {
  if (items.length <= n * 4) return [...items].sort(compare).slice(0, n);
  const best: T[] = [];
  for (const item of items) {
    if (best.length === n && compare(item, best[n - 1] as T) >= 0) continue;
    let i = best.length;
    while (i > 0 && compare(item, best[i - 1] as T) < 0) i--;
    best.splice(i, 0, item);
    if (best.length > n) best.pop();
  }
  return best;
}

function appTotals(counts: ReportInput['appCounts']): AppLogCounts[] {
  const byApp = new Map<string, { error: number; critical: number }>();
  for (const c of counts) {
    const e = byApp.get(c.app) ?? { error: 0, critical: 0 };
    e.error += Number(c.error) || 0;
    e.critical += Number(c.critical) || 0;
    byApp.set(c.app, e);
  }
  return [...byApp.entries()].map(([app, c]) => ({ app, ...c }))
    .sort((a, b) => b.critical + b.error - (a.critical + a.error) || b.critical - a.critical || (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
}

type Status = 'up' | 'down' | 'away';

interface Timeline {
  /** Consecutive, covering [since, until): what the host was doing. */
  readonly spans: { status: Status; from: number; to: number }[];
  readonly outages: Outage[];
}

/**
 * What a host was doing over the period, from its liveness notifications: up, down (from its
 * last beat to the first beat back, as outages are counted), or away (not yet seen, left after a
 * goodbye, or retired). The status at the start is what its first change came from, or, with no
 * change in the period, the state it holds now.
 */
function hostTimeline(host: Host, own: readonly Notification[], since: number, until: number): Timeline {
  const changes = own.filter((n) => LIVENESS.has(n.kind));
  const first = changes[0];
  let status: Status;
  let outageStart: number | undefined;
  let storm: string | undefined;
  let declaredAt: number | undefined;
  if (first) {
    status = first.kind === 'host-up' ? 'away' : first.kind === 'host-recovered' ? 'down' : first.kind === 'host-retired' && host.outageStart !== undefined ? 'down' : 'up';
    if (status === 'down') outageStart = parseTime(first.details.outageStart) ?? host.outageStart ?? since;
  } else {
    status = host.state === 'alive' || host.state === 'new' ? 'up' : host.state === 'dead' ? 'down' : 'away';
    if (status === 'down') outageStart = host.outageStart ?? host.stateSince;
  }
  const spans: Timeline['spans'] = [];
  const outages: Outage[] = [];
  // A host is expected only from when it was first seen.
  const seen = Number.isFinite(host.firstSeen) ? Math.max(since, Math.min(until, host.firstSeen)) : since;
  if (seen > since) spans.push({ status: 'away', from: since, to: seen });
  let from = seen;
  const move = (to: Status, at: number) => {
    const t = Math.min(until, Math.max(from, at));
    if (t > from) spans.push({ status, from, to: t });
    from = t;
    status = to;
  };
  const stormOf = () => (storm !== undefined && declaredAt !== undefined ? { storm, declaredAt } : {});
  const closeOutage = (at: number, endedBy?: Outage['endedBy']) => {
    const start = outageStart ?? at;
    outages.push({ hostname: host.hostname, start, end: at, durationMs: Math.max(0, at - start), ...(endedBy ? { endedBy } : {}), ...stormOf() });
    outageStart = undefined;
    storm = undefined;
    declaredAt = undefined;
  };
  for (const n of changes) {
    switch (n.kind) {
      case 'host-down':
        if (status === 'down') break;
        outageStart = parseTime(n.details.lastBeat) ?? n.at;
        storm = n.suppressed?.startsWith('storm:') ? n.suppressed.slice('storm:'.length) : undefined;
        declaredAt = n.at;
        move('down', outageStart);
        break;
      case 'host-recovered':
        if (status === 'down') closeOutage(n.at);
        move('up', n.at);
        break;
      case 'host-down-retracted':
        // The death was wrong (a late beat proved the host alive): the host was up all along, so
        // the span since the down is up, and no outage is counted.
        if (status === 'down') {
          status = 'up';
          outageStart = undefined;
          storm = undefined;
          declaredAt = undefined;
        }
        break;
      case 'host-up':
        if (status === 'down') closeOutage(n.at);
        move('up', n.at);
        break;
      case 'host-left':
      case 'host-retired':
        if (status === 'down') closeOutage(n.at, n.kind === 'host-left' ? 'left' : 'retired');
        move('away', n.at);
        break;
      default:
        break;
    }
  }
  move(status, until);
  if (status === 'down') {
    const start = outageStart ?? until;
    outages.push({ hostname: host.hostname, start, end: undefined, durationMs: until - start, ...stormOf() });
  }
  return { spans, outages };
}

const LIVENESS = new Set<NotificationKind>(['host-up', 'host-down', 'host-recovered', 'host-down-retracted', 'host-left', 'host-retired']);

function parseTime(iso: string | undefined): number | undefined {
  if (typeof iso !== 'string') return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Availability from the timeline; peaks from the host's daily peaks; time at a level from the
 * level changes in the period, counted only while the host is up (a dead or departed host's
 * last reading says nothing about the hours after it). The level at the start is the first
 * change's `from`, or, with no change, the level the host holds now.
 */
function hostRow(
  host: Host, own: readonly Notification[], timeline: Timeline, days: ReadonlySet<string>, since: number, until: number,
  defaults: Readonly<Record<Metric, Thresholds>>,
): HostRow {
  if (typeof host.hostname !== 'string') throw new Error('no hostname');
  if (!STATES.includes(host.state)) throw new Error(`unknown state ${JSON.stringify(host.state)}`);
  const up = timeline.spans.filter((s) => s.status === 'up');
  const expectedMs = timeline.spans.reduce((t, s) => t + (s.status === 'away' ? 0 : s.to - s.from), 0);
  const downMs = timeline.spans.reduce((t, s) => t + (s.status === 'down' ? s.to - s.from : 0), 0);

  const peaks: Partial<Record<Metric, number>> = {};
  const over: Partial<Record<Metric, MetricLevel>> = {};
  for (const [day, byResource] of Object.entries(host.dailyPeaks ?? {})) {
    if (!days.has(day) || typeof byResource !== 'object' || byResource === null) continue;
    for (const r of METRICS) {
      const p = byResource[r];
      if (typeof p === 'number' && Number.isFinite(p) && (peaks[r] === undefined || p > (peaks[r] as number))) peaks[r] = p;
    }
  }
  const labels = host.labels ?? {};
  const ownThresholds = Object.keys(labels).some((k) => k.startsWith('dts.'));
  for (const r of METRICS) {
    const p = peaks[r];
    if (p === undefined) continue;
    const level = rawLevel(p, ownThresholds ? thresholdsFor(r, labels, defaults[r]).thresholds : defaults[r]);
    if (isWorse(level, 'ok')) over[r] = level;
  }

  const timeAt: HostRow['timeAt'] = {};
  const levelChanges = own.filter((n) => n.kind.startsWith('resource-'));
  const levels = host.levels ?? {};
  for (const r of METRICS) {
    // Most hosts: no change in the period and ok now, so nothing to add up.
    if (levelChanges.length === 0 && (levels[r] ?? 'ok') === 'ok') continue;
    const changes = levelChanges.filter((n) => n.details?.resource === r);
    let level = asLevel(changes[0]?.details?.from) ?? asLevel(levels[r]) ?? 'ok';
    let t = since;
    const total = { warning: 0, critical: 0 };
    const add = (to: number) => {
      if (level !== 'ok') total[level] += overlap(up, t, to);
    };
    for (const c of changes) {
      add(c.at);
      level = asLevel(c.details.to) ?? level;
      t = c.at;
    }
    add(until);
    if (total.warning + total.critical > 0) timeAt[r] = total;
  }
  const availability = expectedMs > 0 ? percent(expectedMs - downMs, expectedMs) : undefined;
  return { hostname: host.hostname, state: host.state, availability, expectedMs, downMs, peaks, over, timeAt };
}

function asLevel(v: unknown): MetricLevel | undefined {
  return v === 'ok' || v === 'warning' || v === 'critical' ? v : undefined;
}

function overlap(spans: readonly { from: number; to: number }[], from: number, to: number): number {
  let ms = 0;
  for (const s of spans) ms += Math.max(0, Math.min(to, s.to) - Math.max(from, s.from));
  return ms;
}

/**
 * One incident per outage, except that the outages of a storm (deaths diagnose grouped into one
 * `fleet-storm`) make one incident. A storm's deaths are matched to the latest `fleet-storm` of
 * their scope at or before them; deaths of a storm announced before the period share one.
 */
function groupIncidents(outages: readonly Outage[], fleet: readonly Notification[], until: number): Incident[] {
  const storms = fleet.filter((n) => n.kind === 'fleet-storm');
  const groups = new Map<string, { scope: string; outages: Outage[] }>();
  const incidents: Incident[] = [];
  for (const o of outages) {
    if (o.storm === undefined || o.declaredAt === undefined) {
      incidents.push({ kind: 'outage', hosts: 1, hostnames: [o.hostname], start: o.start, end: o.end, durationMs: o.durationMs, downtimeMs: o.durationMs });
      continue;
    }
    const scope = o.storm;
    // The storm is announced at its first death, so each death belongs to the latest one before it.
    let announced: Notification | undefined;
    for (const s of storms) if (s.details.scope === scope && s.at <= o.declaredAt && (!announced || s.at >= announced.at)) announced = s;
    const key = `${scope}|${announced?.id ?? 'before'}`;
    const g = groups.get(key) ?? { scope, outages: [] };
    g.outages.push(o);
    groups.set(key, g);
  }
  for (const { scope, outages: os } of groups.values()) {
    const start = Math.min(...os.map((o) => o.start));
    const lasting = os.some((o) => o.end === undefined);
    const end = lasting ? undefined : Math.max(...os.map((o) => o.end as number));
    incidents.push({
      kind: 'storm', scope, hosts: os.length, hostnames: os.map((o) => o.hostname).sort(), start, end,
      durationMs: (end ?? until) - start, downtimeMs: os.reduce((t, o) => t + o.durationMs, 0),
    });
  }
  return incidents.sort((a, b) => a.start - b.start || (a.hostnames[0] ?? '').localeCompare(b.hostnames[0] ?? ''));
}
