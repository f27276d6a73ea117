/**
 * The ports: what the services (lib/service) and the API need from their stores and gateways,
 * each named after what it is for and listing only what those callers call. The DynamoDB, SQS
 * and SNS classes in lib/store implement them; tools/memory holds in-memory adapters that pass
 * the same contract suites (test/contract), so either may stand in without a cast.
 *
 * The value types still live beside their DynamoDB adapters (lib/store) and are only named here.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { Channel } from './channels/channel';
import type { Beat, Host, Level, Notification, Resource, Silence } from './model';
import type { FleetReport } from './rules/report';
import type { IngestMarks, QueueGauge } from './rules/watermark';
import type { ApiKeyInfo } from './store/api-keys';
import type { HostFilter } from './store/host-pages';
import type { Announce, BeatWrite, StateChange } from './store/hosts';
import type { LogEntry, LogQuery, LogWrite, StoredLogRecord } from './store/logs';
import type { NotificationPageQuery, StoredNotification } from './store/notifications';
import type { ReportSummary } from './store/report-pages';
import type { StoredReport } from './store/reports';
import type { DailyCounts, LevelCounts, MonitorState } from './store/stats';

/** The time in epoch milliseconds: `Date.now` in production, a test's own clock elsewhere. */
export type Clock = () => number;

/** The hosts table: one item per host, written by ingest (beats) and diagnose (transitions). */
export interface HostsPort {
  /** Store a beat; only moves `lastBeat` forward, and returns the host as it was. */
  recordBeat(beat: Beat, cpuStreakExtends: boolean, goodbye?: Announce): Promise<BeatWrite>;
  /** Levels and skew with their notifications, if the host's `lastBeat` is still `lastBeat`. */
  commitLevels(hostname: string, lastBeat: number, levels: Record<Resource, Level>, announce?: Announce, skewed?: boolean): Promise<boolean>;
  /** A state change, if state, stateSince (and lastBeat when it needs silence) are as seen. */
  changeState(change: StateChange): Promise<boolean>;
  /** End flapping, if it still started at `flappingSince`. */
  endFlapping(hostname: string, flappingSince: number, announce?: Announce): Promise<boolean>;
  /** Put notifications in an existing host's outbox; false for an unknown host. */
  enqueue(hostname: string, announce: Announce): Promise<boolean>;
  /** Take a notification out of a host's outbox; never creates a host. */
  settle(hostname: string, id: string): Promise<void>;
  /** One segment of a parallel scan, page by page: every host is in exactly one segment. */
  scanSegment(segment: number, totalSegments: number): AsyncGenerator<Host[]>;
  /** Every host, each once. */
  list(totalSegments?: number): Promise<Host[]>;
  get(hostname: string): Promise<Host | undefined>;
  /** The known ones of these hosts, each once, in no particular order. */
  getMany(hostnames: readonly string[]): Promise<Host[]>;
  /** Forget a host; false when there was none. */
  remove(hostname: string): Promise<boolean>;
}

/** The monitor item: diagnose's memory between runs, its outbox, and ingest's marks. */
export interface MonitorPort {
  monitor(): Promise<MonitorState>;
  /** Never moves either mark backwards. */
  recordCanary(sentAt: number, canaryAt: number): Promise<void>;
  /** Failed beats from `from` on, handed out again by `until`: held until a canary sent after that is stored. */
  holdIngest(from: number, until: number): Promise<void>;
  /** Flip the degraded flag; false when it already was so. `n` is committed with the flip. */
  setDegraded(degraded: boolean, at: number, n?: Notification): Promise<boolean>;
  settle(id: string): Promise<void>;
  /** Never moves `lastRun` backwards. */
  recordRun(at: number, hosts?: number): Promise<void>;
  /**
   * Record a storm's recovery step (how many are back, or its end) with its notice in the
   * outbox, only if it says more than the last one; false when it does not.
   */
  announceStorm(incident: string, step: number | 'over', at: number, n: Notification): Promise<boolean>;
  /** Forget the records of storms long over. */
  forgetStorms(attributes: readonly string[]): Promise<void>;
}

/** Log counts per app, UTC day and level. */
export interface CountsPort {
  addCounts(app: string, day: string, counts: LevelCounts): Promise<void>;
  counts(app: string, fromDay: string, toDay: string): Promise<DailyCounts[]>;
  countsOn(day: string): Promise<DailyCounts[]>;
}

/** The stats table: the monitor item and the log counts. */
export interface StatsPort extends MonitorPort, CountsPort {}

/** Where notifications are recorded, once each by id; the notifications table satisfies it. */
export interface NotificationsLedger {
  /** False when one with its id exists already. */
  record(n: Notification): Promise<boolean>;
  /** When a recorded notification was published; undefined if it was not (yet). */
  publishedAt(n: Notification): Promise<number | undefined>;
  markPublished(n: Notification, at: number): Promise<void>;
}

/** The notifications table as its readers see it: by key, by host, by time, and paged. */
export interface NotificationsPort extends NotificationsLedger {
  get(hostname: string, at: number, id: string): Promise<StoredNotification | undefined>;
  /** A host's notifications in [since, until), newest first. */
  byHost(hostname: string, since: number, until: number, limit?: number): Promise<StoredNotification[]>;
  /** The fleet's notifications in [since, until), newest first. */
  byTime(since: number, until: number, limit?: number): Promise<StoredNotification[]>;
  page(q: NotificationPageQuery): Promise<{ items: (StoredNotification & { cursor: string })[]; next: string | undefined }>;
}

/** Where alerts and reports go out (the alerts topic). */
export interface AlertPublisherPort {
  publish(n: Notification): Promise<void>;
  publishReport(subject: string, body: string, id: string): Promise<void>;
}

/** Where a message that can never be processed goes at once, with its reason (a DLQ). */
export interface QuarantinePort {
  send(body: string, reason: string, attributes?: Record<string, MessageAttributeValue>): Promise<void>;
}

/** The silences table. */
export interface SilencesPort {
  /** False when one with its id exists (the same command, retried). */
  create(s: Silence): Promise<boolean>;
  all(): Promise<Silence[]>;
  /** False when there is no such silence, or it had ended already. */
  end(id: string, now: number): Promise<boolean>;
  /** Diagnose has handled a silence's end; the first close wins. */
  close(id: string, at: number): Promise<void>;
}

/** The reports table. */
export interface ReportsPort {
  detailLocation(id: string): string;
  /** Store a report, replacing a run for the same period; says when that run had published it. */
  put(r: StoredReport): Promise<{ publishedAt: number | undefined; parts: number }>;
  markPublished(id: string, at: number): Promise<void>;
  latest(limit?: number): Promise<{ report: FleetReport; parts: number; markdown?: string; html?: string }[]>;
}

/** The logs table. */
export interface LogsPort {
  write(entries: readonly LogEntry[], ttlDays: number, mayStart?: (needMs: number) => boolean): Promise<LogWrite>;
  query(q: LogQuery): Promise<StoredLogRecord[]>;
  page(q: LogQuery): Promise<{ records: StoredLogRecord[]; next: string | undefined }>;
}

/** API keys, as the API checks them. */
export interface KeysPort {
  verify(token: string): Promise<ApiKeyInfo | undefined>;
}

/** Notification channels and their delivery records, as the notifier uses them. */
export interface ChannelsPort {
  list(): Promise<Channel[]>;
  /** Whether this notification reached this channel already. */
  delivered(channel: string, notificationId: string): Promise<boolean>;
  /** False when it was marked delivered already. */
  markDelivered(channel: string, notificationId: string, at: number, status: number | undefined): Promise<boolean>;
  recordSuccess(name: string, at: number): Promise<void>;
  recordFailure(name: string, at: number, error: string): Promise<void>;
}

/** The heartbeats queue, as diagnose sees it. */
export interface HeartbeatQueue {
  gauge(): Promise<QueueGauge>;
  /** Send a canary stamped `at`. */
  sendCanary(at: number): Promise<void>;
}

/** Where ingest's marks are kept (the monitor item). */
export interface IngestMarksStore {
  monitor(): Promise<{ readonly ingest: IngestMarks }>;
  recordCanary(sentAt: number, canaryAt: number): Promise<void>;
  holdIngest(from: number, until: number): Promise<void>;
}

/** Pages of hosts for the API, in hostname order. */
export interface HostPagesPort {
  page(filter: HostFilter, limit: number, after?: string): Promise<{ hosts: Host[]; next: string | undefined }>;
}

/** Pages of report summaries for the API, newest first. */
export interface ReportPagesPort {
  page(limit: number, before?: string): Promise<{ reports: ReportSummary[]; next: string | undefined }>;
}

/** Channel secrets (SSM Parameter Store); defined beside its adapter, named here with the others. */
export type { SecretStore as SecretsPort } from './channels/secrets';
