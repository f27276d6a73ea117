import { LEVEL_NUMBERS, type LogLevel, type Notification } from '../../lib/domain/model';
import { MAX_ARRIVALS, type StatsPort, type DailyCounts, type LevelCounts, type MonitorState, type Watched } from '../../lib/ports';
import { outboxAttribute, outboxOf } from '../../lib/adapters/dynamodb/outbox-item';
import { notificationAttributes } from '../../lib/adapters/dynamodb/notification-item';
import { stormAttribute, WATCHED } from '../../lib/adapters/dynamodb/stats';
import { copy, type Item } from './item';
import type { HostCounts } from '../../lib/domain/host/counts';

const num = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));

/**
 * The stats table in memory: the monitor item, kept attribute for attribute as DynamoDB keeps it
 * and changed only when the same condition holds (marks that never move backwards, a degraded
 * flag that flips once), and the log counts per app and day.
 */
export class MemoryStats implements StatsPort {
  private monitorItem: Item = {};
  /** App → day → level → count. */
  private readonly counters = new Map<string, Map<string, Partial<Record<LogLevel, number>>>>();

  async addCounts(app: string, day: string, counts: LevelCounts): Promise<void> {
    const entries = Object.entries(counts).filter(([, n]) => n && n > 0);
    if (entries.length === 0) return;
    const days = this.counters.get(app) ?? new Map<string, Partial<Record<LogLevel, number>>>();
    const stored = days.get(day) ?? {};
    for (const [level, n] of entries) stored[Number(level) as LogLevel] = (stored[Number(level) as LogLevel] ?? 0) + (n as number);
    days.set(day, stored);
    this.counters.set(app, days);
  }

  async counts(app: string, fromDay: string, toDay: string): Promise<DailyCounts[]> {
    return [...(this.counters.get(app) ?? new Map()).entries()]
      .filter(([day]) => day >= fromDay && day <= toDay)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([day, c]) => ({ app, day, counts: full(c) }));
  }

  async countsOn(day: string): Promise<DailyCounts[]> {
    // The byDay index sorts a day's apps by their key, `APP#<app>`.
    return [...this.counters.entries()]
      .filter(([, days]) => days.has(day))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([app, days]) => ({ app, day, counts: full(days.get(day) ?? {}) }));
  }

  async monitor(): Promise<MonitorState> {
    const item = copy(this.monitorItem);
    const ingest: MonitorState['ingest'] = {};
    for (const key of ['ingestedThrough', 'canaryAt', 'holdFrom', 'holdUntil'] as const) {
      if (item[key] !== undefined) Object.assign(ingest, { [key]: Number(item[key]) });
    }
    return {
      lastRun: num(item.lastRun),
      lastHosts: num(item.lastHosts),
      degraded: item.degraded === true,
      degradedSince: num(item.degradedSince),
      pending: outboxOf(item),
      ingest,
      storms: Object.entries(item)
        .filter(([key, value]) => key.startsWith('storm_') && value !== null && typeof value === 'object')
        .map(([attribute, value]) => {
          const r = value as Record<string, unknown>;
          return { attribute, incident: String(r.incident), back: num(r.back), overAt: num(r.overAt) };
        }),
      arrivals: item.arrivals instanceof Set ? [...(item.arrivals as Set<string>)].sort() : [],
      watchingUntil: num(item.watchingUntil),
      checkArrivals: item.checkArrivals instanceof Set ? [...(item.checkArrivals as Set<string>)].sort() : [],
      checksWatchingUntil: num(item.checksWatchingUntil),
    };
  }

  async recordCanary(sentAt: number, canaryAt: number): Promise<void> {
    const m = this.monitorItem;
    // A missing attribute compares false, as in a DynamoDB condition.
    if (m.ingestedThrough === undefined || lt(m.ingestedThrough, sentAt) || lt(m.canaryAt, canaryAt)) {
      m.ingestedThrough = sentAt;
      m.canaryAt = canaryAt;
    }
  }

  async holdIngest(from: number, until: number): Promise<void> {
    const m = this.monitorItem;
    // A hold is replaced once a canary sent after its end is stored (ingestedThrough >= holdUntil).
    if (m.holdFrom === undefined || lt(from, m.holdFrom) || (m.ingestedThrough !== undefined && m.holdUntil !== undefined && !lt(m.ingestedThrough, m.holdUntil))) m.holdFrom = from;
    if (m.holdUntil === undefined || lt(m.holdUntil, until)) m.holdUntil = until;
  }

  async setDegraded(degraded: boolean, at: number, n?: Notification): Promise<boolean> {
    const m = this.monitorItem;
    const flips = degraded ? m.degraded === undefined || m.degraded === false : m.degraded === true;
    if (!flips) return false;
    m.degraded = degraded;
    if (degraded) m.degradedSince = at;
    else delete m.degradedSince;
    if (n) m[outboxAttribute(n.id)] = copy({ ...notificationAttributes(n), queuedAt: at });
    return true;
  }

  async settle(id: string): Promise<void> {
    Reflect.deleteProperty(this.monitorItem, outboxAttribute(id));
  }

  async announceStorm(incident: string, step: number | 'over', at: number, n: Notification): Promise<boolean> {
    const m = this.monitorItem;
    const attribute = stormAttribute(incident);
    const record = m[attribute] as { back?: number; overAt?: number } | undefined;
    const says = record === undefined || (record.overAt === undefined && (step === 'over' || record.back === undefined || record.back < step));
    if (!says) return false;
    m[attribute] = step === 'over' ? { incident, overAt: at } : { incident, back: step };
    m[outboxAttribute(n.id)] = copy({ ...notificationAttributes(n), queuedAt: at });
    return true;
  }

  async forgetStorms(attributes: readonly string[]): Promise<void> {
    for (const a of attributes) Reflect.deleteProperty(this.monitorItem, a);
  }

  async noteArrival(hostname: string, of: Watched = 'hosts'): Promise<{ readonly watchingUntil: number | undefined }> {
    const m = this.monitorItem;
    const a = WATCHED[of];
    const watchingUntil = num(m[a.until]);
    const set = (m[a.arrivals] as Set<string> | undefined) ?? new Set<string>();
    if (set.size >= MAX_ARRIVALS) return { watchingUntil: undefined };
    m[a.arrivals] = new Set([...set, hostname]);
    return { watchingUntil };
  }

  async forgetArrivals(hostnames: readonly string[], of: Watched = 'hosts'): Promise<void> {
    const a = WATCHED[of].arrivals;
    const set = this.monitorItem[a] as Set<string> | undefined;
    if (!set) return;
    const left = [...set].filter((h) => !hostnames.includes(h));
    // DynamoDB removes a string set that loses its last member.
    if (left.length === 0) Reflect.deleteProperty(this.monitorItem, a);
    else this.monitorItem[a] = new Set(left);
  }

  async watching(until: number, ended = false, of: Watched = 'hosts'): Promise<void> {
    const m = this.monitorItem;
    const u = WATCHED[of].until;
    if (ended ? num(m[u]) === until : m[u] === undefined || lt(m[u], until)) m[u] = ended ? 0 : until;
  }

  async claimArrivalPass(at: number, gapMs: number): Promise<boolean> {
    const m = this.monitorItem;
    if (m.arrivalPassAt !== undefined && Number(m.arrivalPassAt) > at - gapMs) return false;
    m.arrivalPassAt = at;
    return true;
  }

  async recordRun(at: number, hosts?: number): Promise<void> {
    const m = this.monitorItem;
    if (m.lastRun !== undefined && !lt(m.lastRun, at)) return;
    m.lastRun = at;
    if (hosts !== undefined) m.lastHosts = hosts;
  }

  private hostCountsItem: HostCounts | undefined;

  async hostCounts(): Promise<HostCounts | undefined> {
    return this.hostCountsItem === undefined ? undefined : structuredClone(this.hostCountsItem);
  }

  async recordHostCounts(counts: HostCounts): Promise<void> {
    if (this.hostCountsItem !== undefined && this.hostCountsItem.at >= counts.at) return;
    this.hostCountsItem = structuredClone(counts);
  }
}

/** `a < b` as a DynamoDB condition reads it: false when either side is missing. */
function lt(a: unknown, b: unknown): boolean {
  return a !== undefined && b !== undefined && Number(a) < Number(b);
}

function full(c: Partial<Record<LogLevel, number>>): Record<LogLevel, number> {
  return Object.fromEntries(LEVEL_NUMBERS.map((l) => [l, c[l] ?? 0])) as Record<LogLevel, number>;
}
