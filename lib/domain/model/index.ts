/**
 * The domain's own types: what the rules decide about and what the stores keep. Times are
 * milliseconds since the epoch unless a name says otherwise. Nothing here knows about AWS.
 */

export type HostState = 'new' | 'alive' | 'dead' | 'left' | 'retired';
export type MetricLevel = 'ok' | 'warning' | 'critical';
export type Metric = 'cpu' | 'mem' | 'disk';
export const METRICS: readonly Metric[] = ['cpu', 'mem', 'disk'];
export type Severity = 'info' | 'warning' | 'critical';

/** The name grouped notifications (storms, new hosts, reports) are filed under, as if a host. */
export const FLEET_HOST = '@fleet';
/** The name notifications about the monitor itself are filed under. */
export const MONITOR_HOST = '@monitor';

export type NotificationKind =
  | 'host-up'
  | 'host-down'
  | 'host-recovered'
  /** A beat received before a death was stored after it: the host was never down. */
  | 'host-down-retracted'
  | 'host-left'
  | 'host-retired'
  | 'resource-warning'
  | 'resource-critical'
  | 'resource-ok'
  | 'monitor-degraded'
  | 'monitor-ok'
  /** More than N state changes in a window: one notice instead of a storm of downs and ups. */
  | 'host-flapping'
  /** A flapping host held one state for a whole window. */
  | 'host-stable'
  /** A silence ended while its host was still down. */
  | 'host-still-down'
  /** Many hosts died in one pass: one grouped notice, filed under `@fleet`. */
  | 'fleet-storm'
  /** Some of a storm's hosts are back: one grouped notice per pass, under `@fleet`. */
  | 'fleet-storm-recovering'
  /** Every host of a storm is back (or gone): the storm's incident is over. */
  | 'fleet-storm-over'
  /** Many first beats in one pass: one "12 new hosts" notice instead of one each. */
  | 'fleet-new-hosts'
  | 'clock-skew'
  | 'clock-ok'
  /** A check (a scheduled job) had no success by its next expected time plus grace. */
  | 'check-late'
  /** A check's run failed: a fail signal or a non-zero exit status. */
  | 'check-failed'
  /** A check's run started and has not finished within its longest run. */
  | 'check-long'
  /** A late, failed or long check succeeded again: the recovery, on the same incident. */
  | 'check-ok';

/** Every kind, for the filters that take one (`?kind=`, `--kind`); the compiler checks it names them all. */
export const NOTIFICATION_KINDS = [
  'host-up', 'host-down', 'host-recovered', 'host-down-retracted', 'host-left', 'host-retired', 'resource-warning', 'resource-critical', 'resource-ok',
  'monitor-degraded', 'monitor-ok', 'host-flapping', 'host-stable', 'host-still-down', 'fleet-storm', 'fleet-storm-recovering',
  'fleet-storm-over', 'fleet-new-hosts', 'clock-skew', 'clock-ok', 'check-late', 'check-failed', 'check-long', 'check-ok',
] as const satisfies readonly NotificationKind[];
export const EVERY_NOTIFICATION_KIND: [Exclude<NotificationKind, (typeof NOTIFICATION_KINDS)[number]>] extends [never] ? true : never = true;

export interface CpuSample {
  percent: number;
  cores?: number;
  load1?: number;
  load5?: number;
  load15?: number;
}

export interface MemorySample {
  percent: number;
  total?: number;
  used?: number;
  available?: number;
}

export interface DiskSample {
  percent: number;
  total?: number;
  used?: number;
  mount?: string;
}

/**
 * The highest percents of one hour (whole hours since the epoch): what a beat reports of its
 * current hour, and what a host keeps per hour for its 24-hour history (docs/SEMANTICS.md).
 */
export interface HourPeaks {
  hour: number;
  cpu?: number;
  mem?: number;
  disk?: number;
}

/** A validated heartbeat, as ingest receives it. */
export interface Beat {
  hostname: string;
  /** SQS SentTimestamp: the monitor's clock, which judges liveness. */
  receivedAt: number;
  /** The host's own clock. */
  sentAt: number;
  /** Declared seconds between beats; 0 means the configured default. */
  interval: number;
  cpu?: CpuSample;
  mem?: MemorySample;
  disk?: DiskSample;
  labels: Record<string, string>;
  goodbye: boolean;
  agent?: { name: string; version: string };
  uptime?: number;
  /** The sender's peaks since its current hour began, on its own clock (optional). */
  hourPeaks?: HourPeaks;
}

/** The stored state of one host: one item, updated by every beat and by diagnose. */
export interface Host {
  hostname: string;
  state: HostState;
  /** When the host entered its current state. */
  stateSince: number;
  /** Receive time of the newest beat. Never moves backwards. */
  lastBeat: number;
  /** The host's own timestamp on that beat. */
  sentAt: number;
  /** sentAt − lastBeat: positive when the host's clock runs ahead. */
  skewMs: number;
  interval: number;
  labels: Record<string, string>;
  agent?: { name: string; version: string };
  uptime?: number;
  cpu?: CpuSample;
  mem?: MemorySample;
  disk?: DiskSample;
  levels: Record<Metric, MetricLevel>;
  /** Consecutive beats with cpu at or above its warning threshold. */
  cpuStreak: number;
  firstSeen: number;
  /** Set while dead: the last beat before the silence. */
  outageStart?: number;
  /** Receive time of the first beat after the host was last declared dead. */
  resumedAt?: number;
  /** Times of its recent liveness changes (down, recovered), newest last: what flapping counts. */
  changes?: number[];
  /** Set while the host is flapping: since when. */
  flappingSince?: number;
  /**
   * Set while dead, when its `host-down` was held back under a storm: that storm's incident key.
   * Its recovery is then counted in the storm's progress, not announced alone
   * (lib/domain/fleet/storm-membership.ts, docs/SEMANTICS.md "Storms").
   */
  stormIncident?: string;
  /**
   * Highest whole percent seen per UTC day (`2026-11-25`) and resource, for reports. Kept by the
   * beat's own write (see docs/DATA-MODEL.md), for the last few days only.
   */
  dailyPeaks?: Record<string, Partial<Record<Metric, number>>>;
  /** Hourly peaks, one per hour slot of a 24-slot ring; a slot older than 24 hours is stale. */
  hourly?: HourPeaks[];
  /** Whether the clock-skew warning is in force: committed with its notification (ingest). */
  skewed?: boolean;
  /** Notifications committed with this host's transitions and not yet known delivered (the outbox). */
  pending?: PendingNotification[];
}

/**
 * A notification written in the same conditional write as the transition that decided it, and
 * removed once it is recorded and published. docs/SEMANTICS.md, "Delivery guarantee".
 */
export interface PendingNotification {
  readonly notification: Notification;
  /** When the transition was committed: the age that the unpublished-notifications alarm watches. */
  readonly queuedAt: number;
}

/** Python logging numbers. */
export const LOG_LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;
export type LogLevel = (typeof LOG_LEVELS)[keyof typeof LOG_LEVELS];
export const LEVEL_NUMBERS: readonly LogLevel[] = [10, 20, 30, 40, 50];

export function levelName(level: LogLevel): keyof typeof LOG_LEVELS {
  switch (level) {
    case 10: return 'DEBUG';
    case 20: return 'INFO';
    case 30: return 'WARNING';
    case 40: return 'ERROR';
    case 50: return 'CRITICAL';
  }
}

/** A validated log record. */
export interface LogRecord {
  app: string;
  hostname: string;
  /** Seconds since the epoch with microseconds, as the producer sent it. */
  timestamp: number;
  level: LogLevel;
  text: string;
  fields: Record<string, string>;
  /** The producer's id, or a digest of the content when it sent none. */
  id: string;
}

export interface Notification {
  /** Deterministic: hostname, kind, subject and transition time. */
  id: string;
  hostname: string;
  kind: NotificationKind;
  severity: Severity;
  /** When the transition happened. */
  at: number;
  message: string;
  details: Record<string, string>;
  /**
   * What this notification opens or closes: a host's down and its recovery, a level's rise and
   * fall, a storm and its end share one key (lib/domain/notification/incidents.ts). Pagers resolve by it.
   */
  incident?: string;
  /** The host's labels when it happened: published as message attributes for filtering. */
  labels?: Record<string, string>;
  /**
   * Why it was recorded but not published: `silence:<id>`, `flapping` or `storm:<scope>`.
   * Undefined for a notification that goes out.
   */
  suppressed?: string;
}

/** What a silence covers: one host, or every host carrying a label value. */
export type SilenceTarget = { readonly hostname: string } | { readonly label: string; readonly value: string };

/** A maintenance window: notifications about the hosts it covers are recorded but not published. */
export interface Silence {
  readonly id: string;
  readonly target: SilenceTarget;
  readonly startsAt: number;
  /** Exclusive. Ending a silence early moves this to the moment it was ended. */
  readonly endsAt: number;
  readonly reason: string;
  readonly createdBy?: string;
  /** When diagnose handled its end (announced hosts still down). */
  readonly closedAt?: number;
}
