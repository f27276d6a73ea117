/**
 * The domain's own types: what the rules decide about and what the stores keep. Times are
 * milliseconds since the epoch unless a name says otherwise. Nothing here knows about AWS.
 */

export type HostState = 'new' | 'alive' | 'dead' | 'left' | 'retired';
export type Level = 'ok' | 'warning' | 'critical';
export type Resource = 'cpu' | 'mem' | 'disk';
export const RESOURCES: readonly Resource[] = ['cpu', 'mem', 'disk'];
export type Severity = 'info' | 'warning' | 'critical';

export type NotificationKind =
  | 'host-up'
  | 'host-down'
  | 'host-recovered'
  | 'host-left'
  | 'host-retired'
  | 'resource-warning'
  | 'resource-critical'
  | 'resource-ok'
  | 'monitor-degraded'
  | 'monitor-ok';

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
  levels: Record<Resource, Level>;
  /** Consecutive beats with cpu at or above its warning threshold. */
  cpuStreak: number;
  firstSeen: number;
  /** Set while dead: the last beat before the silence. */
  outageStart?: number;
  /** Receive time of the first beat after the host was last declared dead. */
  resumedAt?: number;
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
}
