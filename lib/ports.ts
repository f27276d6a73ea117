/**
 * The ports: what the services (lib/app) and the API need from their stores and gateways,
 * each named after what it is for and listing only what those callers call. The DynamoDB, SQS
 * and SNS classes in lib/adapters implement them; tools/memory holds in-memory adapters that pass
 * the same contract suites (test/contract), so either may stand in without a cast.
 *
 * The value types still live beside their DynamoDB adapters (lib/adapters) and are only named here.
 */
import type { Channel, ChannelSecret } from './domain/channel/channel';
import type { Beat, Host, HostState, MetricLevel, LogLevel, LogRecord, Notification, NotificationKind, PendingNotification, Metric, Severity, Silence } from './domain/model';
import type { FleetReport, ReportDetail } from './domain/report/report';
import type { IngestMarks, QueueGauge } from './domain/fleet/watermark';
import type { Check, CheckState, Signal } from './domain/check/check';
import type { GroupDay, PageDef, PageState } from './domain/status/page';
import type { LogRule } from './domain/rule/rule';
import type { RuleSample, RuleState } from './domain/rule/judge';
import type { HostCounts } from './domain/host/counts';
/** The time in epoch milliseconds: `Date.now` in production, a test's own clock elsewhere. */
export type Clock = () => number;

/** The hosts table: one item per host, written by ingest (beats) and diagnose (transitions). */
export interface HostsPort {
  /** Store a beat; only moves `lastBeat` forward, and returns the host as it was. */
  recordBeat(beat: Beat, cpuStreakExtends: boolean, goodbye?: Announce): Promise<BeatWrite>;
  /** Levels and skew with their notifications, if the host's `lastBeat` is still `lastBeat`. */
  commitLevels(hostname: string, lastBeat: number, levels: Record<Metric, MetricLevel>, announce?: Announce, skewed?: boolean): Promise<boolean>;
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
  /**
   * Both marks come from one canary: the one diagnose stamped latest wins. Its send may be a
   * little earlier than another's, so `ingestedThrough` can step back (a more cautious watermark);
   * `canaryAt` never does.
   */
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
  /**
   * A host with a short deadline was first seen: kept for the running watch to list (at most
   * MAX_ARRIVALS wait; beyond that the next pass lists them). Returns until when a watch runs.
   */
  noteArrival(hostname: string, of?: Watched): Promise<{ readonly watchingUntil: number | undefined }>;
  /** The watch listed these arrivals. */
  forgetArrivals(hostnames: readonly string[], of?: Watched): Promise<void>;
  /** A watch runs until `until`; `ended`: the watch that said `until` stopped early. */
  watching(until: number, ended?: boolean, of?: Watched): Promise<void>;
  /**
   * Claim the pass run for hosts first seen at `at` (docs/SEMANTICS.md, "New hosts between
   * passes"): true for one caller at most every `gapMs`, false for the others.
   */
  claimArrivalPass(at: number, gapMs: number): Promise<boolean>;
}

/**
 * Whose watch an arrival is for: hosts (the default) or checks. Each has its own watch with its
 * own end, so each has its own set of arrivals and its own `watchingUntil` on the monitor item.
 */
export type Watched = 'hosts' | 'checks';

/** At most this many arrivals wait on the monitor item for a watch (a few KB of hostnames). */
export const MAX_ARRIVALS = 200;

/** Starts a diagnose pass now, outside the schedule, without waiting for it (an asynchronous invocation). */
export interface DiagnoseTrigger {
  runPass(reason: string): Promise<void>;
}

/** Log counts per app, UTC day and level. */
export interface CountsPort {
  addCounts(app: string, day: string, counts: LevelCounts): Promise<void>;
  counts(app: string, fromDay: string, toDay: string): Promise<DailyCounts[]>;
  countsOn(day: string): Promise<DailyCounts[]>;
}

/**
 * The fleet's counts by state, as the last diagnose pass saw them: one item, so that
 * `GET /api/v1/hosts/counts` is one read, not a Scan (docs/DATA-MODEL.md, "Host counts").
 */
export interface HostCountsPort {
  /** Undefined until a pass has recorded them. */
  hostCounts(): Promise<HostCounts | undefined>;
  /** Kept only if no later pass's counts are stored: an `at` never moves backwards. */
  recordHostCounts(counts: HostCounts): Promise<void>;
}

/** The stats table: the monitor item, the log counts and the host counts. */
export interface StatsPort extends MonitorPort, CountsPort, HostCountsPort {}

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

/** A message attribute as SQS carries it (the shape of the SDK's MessageAttributeValue). */
export interface QueueAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
}

/** Where a message that can never be processed goes at once, with its reason (a DLQ). */
export interface QuarantinePort {
  send(body: string, reason: string, attributes?: Record<string, QueueAttribute>): Promise<void>;
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

/**
 * The checks table: each check's definition, its last signals and diagnose's verdict, found by
 * name (the CLI, the API) or by the hash of its ping key (a ping: one write, no read).
 */
export interface ChecksPort {
  /** Store a new check; false when the name is taken. */
  add(c: Check): Promise<boolean>;
  get(name: string): Promise<Check | undefined>;
  /** Every check, in name order. */
  list(): Promise<Check[]>;
  /** Pause or resume; false when there is no such check. */
  setPaused(name: string, paused: boolean): Promise<boolean>;
  /** Forget a check, which revokes its ping key at once; false when there was none. */
  remove(name: string): Promise<boolean>;
  /**
   * Record a signal with one conditional write; the check as it is now, or undefined for an
   * unknown or revoked key. A success or failure also counts its run in the day's `runDays`
   * (with its duration, when its start was seen), and drops the days before `keepFrom` (a UTC
   * day): the end of a run reads the check first, so that its write knows the run's start.
   */
  recordSignal(keyHash: string, s: Signal, keepFrom: string): Promise<Check | undefined>;
  /** A transition decided by diagnose, if the check is unpaused and its state and last ping are still as seen. */
  changeState(change: CheckStateChange): Promise<boolean>;
  /** Take a notification out of a check's outbox; never creates a check. */
  settle(keyHash: string, id: string): Promise<void>;
}

/** A change of a check's state decided by diagnose, guarded by what it saw. */
export interface CheckStateChange {
  readonly keyHash: string;
  readonly from: CheckState;
  readonly fromSince: number;
  /** The last signal diagnose judged: a change is void if another came since. */
  readonly lastPing: number | undefined;
  readonly to: CheckState;
  readonly at: number;
  readonly problemSince: number | undefined;
  /** The storm a late's `check-late` is held back under; without it, the check holds none (docs/CHECKS.md, "Storms"). */
  readonly stormIncident?: string;
  readonly announce?: Announce;
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

/**
 * The status table: each status page's item (its definition, and the state diagnose and the
 * report compute, which is all a view reads), and its groups' daily availability.
 */
export interface StatusPagesPort {
  /** False when a page with this slug exists. */
  create(def: PageDef): Promise<boolean>;
  /** False when there was none. Its daily items are left to expire. */
  remove(slug: string): Promise<boolean>;
  /** One read: what a view costs (eventually consistent unless `consistent`, which a writer's retry asks for). */
  get(slug: string, consistent?: boolean): Promise<StoredStatusPage | undefined>;
  list(): Promise<StoredStatusPage[]>;
  /** Store a page's state if its item is still at `version`; false when another writer came first, or it is gone. */
  save(slug: string, version: number, state: PageState): Promise<boolean>;
  /** Write finished days, one item per group per day; writing a day again replaces it. */
  putDays(slug: string, days: readonly GroupDay[]): Promise<void>;
  /** A page's daily items in [fromDay, toDay], any order. */
  days(slug: string, fromDay: string, toDay: string): Promise<GroupDay[]>;
}

export interface StoredStatusPage {
  readonly def: PageDef;
  /** Undefined until diagnose or the report first computes it. */
  readonly state: PageState | undefined;
  /** Bumped by every save: what the next save is conditional on. */
  readonly version: number;
}

/** Where channel secrets live. The notifier only reads; the CLI writes and removes. */
export interface SecretsPort {
  put(ref: string, secret: ChannelSecret): Promise<void>;
  get(ref: string): Promise<ChannelSecret | undefined>;
  remove(ref: string): Promise<void>;
}

/** What sending one request to a channel came to. */
export interface SendResult {
  readonly ok: boolean;
  /** The last HTTP status, if a response came. */
  readonly status?: number;
  readonly attempts: number;
  /** Why it failed: the status and the start of the body, or the network error. */
  readonly error?: string;
  /** Worth trying again later (429, 5xx, network); false for any other refusal. */
  readonly retryable: boolean;
  /** How long the service asked to wait, when more than could be waited here. */
  readonly retryAfterMs?: number;
}

/**
 * Log rules (docs/RULES.md): their definitions, what ingest counted for them per minute, and each
 * one's judged state with its outbox. Kept in the stats table (docs/DATA-MODEL.md).
 */
export interface LogRulesPort {
  /** False when a rule of that name exists. */
  add(rule: LogRule): Promise<boolean>;
  /** Every rule, by name. */
  list(): Promise<LogRule[]>;
  get(name: string): Promise<LogRule | undefined>;
  /**
   * Remove a rule: ingest stops counting it and diagnose judging it. It is kept as retired until a
   * pass has closed its alert if it was firing (a `log-ok` through the state's outbox) and then
   * forgotten it. False when there was none.
   */
  remove(name: string): Promise<boolean>;
  /** Removed rules a pass has not forgotten yet, as they were. */
  retired(): Promise<LogRule[]>;
  /** Drop a retired rule, and its state unless the name is a rule again or the state still holds something. */
  forget(name: string): Promise<void>;
  /**
   * Add one invocation's counts: one write per minute touched, holding every rule that counted
   * in it (docs/DATA-MODEL.md, "Log rules"), never one per record or per rule.
   */
  addMinutes(minutes: readonly RuleMinuteCounts[]): Promise<void>;
  /** Diagnose carries a `--silent` rule's last-seen time (read from the minutes) into its state: only forward. */
  markSeen(name: string, at: number): Promise<void>;
  /** The minutes from `fromMinute` on, oldest first, with what the rules named counted or saw (only minutes where one did). */
  window(rules: readonly string[], fromMinute: number): Promise<RuleMinute[]>;
  /** Up to `limit` sample records of one rule from `fromMinute` on, the newest minutes first. */
  samples(name: string, fromMinute: number, limit: number): Promise<RuleSample[]>;
  /** The rule's judged state and its outbox (a rule never judged: not firing, nothing pending). */
  state(name: string): Promise<RuleState & { readonly pending: PendingNotification[] }>;
  /**
   * Commit the next state with its notifications (the outbox), if the state was last committed at
   * `judgedAt` (undefined: never). False when another pass committed first.
   */
  commit(name: string, judgedAt: number | undefined, next: RuleState, announce?: Announce): Promise<boolean>;
  settle(name: string, id: string): Promise<void>;
}

/** What one ingest invocation counted in one minute (by receive time), for every rule that counted. */
export interface RuleMinuteCounts {
  readonly minute: number;
  readonly rules: readonly {
    readonly rule: string;
    readonly count: number;
    /**
     * The first few records counted, for the alert (at most RULE_LIMITS.samples). Ingest makes
     * them when first read, so a store reads them only for the samples it writes (and an entry is
     * read, not spread: the samples are a getter).
     */
    readonly samples: readonly RuleSample[];
  }[];
  /** `--silent` rules whose scope logged in the minute, with the newest receive time rounded up to the second. */
  readonly seen: readonly { readonly rule: string; readonly at: number }[];
}

/** One minute's counts, and the newest second a `--silent` rule's scope logged in, by rule name. */
export interface RuleMinute {
  readonly minute: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly seen: Readonly<Record<string, number>>;
}


// The values that cross the ports, defined here so that the use cases (lib/app) and every
// adapter share them without importing one another.

/** Notifications to commit with a transition, in its own conditional write (the outbox). */
export interface Announce {
  readonly notifications: readonly Notification[];
  /** When they were decided. */
  readonly queuedAt: number;
}

/** What one beat did to the stored host. */
export type BeatWrite =
  /** The store already holds this beat or a newer one: nothing changed. */
  | { readonly stale: true }
  /** The beat is now the host's newest; `previous` is the host as it was (undefined if new). */
  | {
    readonly stale: false;
    readonly previous: Host | undefined;
    /** A goodbye that moved the host to `left`: its notification was committed with the beat. */
    readonly left: boolean;
  };

/** A change of state decided by diagnose, guarded by what diagnose saw. */
export interface StateChange {
  readonly hostname: string;
  readonly from: HostState;
  readonly fromSince: number;
  readonly to: HostState;
  readonly at: number;
  /** The newest beat diagnose judged; a change that depends on silence is void if a beat came since. */
  readonly lastBeat: number;
  readonly requireSilence: boolean;
  readonly outageStart: number | undefined;
  /** The liveness-change history to store with the change (flapping), if it is one. */
  readonly changes?: number[];
  /** Flapping start to store with the change; undefined clears it. Only with `changes`. */
  readonly flappingSince?: number | undefined;
  /** Its notifications, committed with it. */
  readonly announce?: Announce;
  /**
   * For a death held back under a storm: the storm's incident, recorded on the host while it is
   * dead. Any other change removes it, so a host that leaves `dead` carries none.
   */
  readonly stormIncident?: string;
}

/** Records per app, UTC day and level. */
export type LevelCounts = Partial<Record<LogLevel, number>>;

export interface DailyCounts {
  readonly app: string;
  readonly day: string;
  readonly counts: Record<LogLevel, number>;
}

/** What diagnose remembers about itself between runs. */
export interface MonitorState {
  readonly lastRun: number | undefined;
  /** Hosts the last pass examined: the fleet's size, as far as diagnose knows it. */
  readonly lastHosts: number | undefined;
  readonly degraded: boolean;
  readonly degradedSince: number | undefined;
  /** Notifications about the monitor committed with its flag and not yet known delivered. */
  readonly pending: PendingNotification[];
  /** What ingest says of its own progress: the ingest watermark's inputs (lib/domain/fleet/watermark.ts). */
  readonly ingest: IngestMarks;
  /** What was last said of each storm's recovery (`announceStorm`). */
  readonly storms: StormRecord[];
  /** Hosts with a short deadline first seen since a watch last looked (`noteArrival`). */
  readonly arrivals: string[];
  /** Until when a deadline watch runs, as the watch said; undefined when none said so. */
  readonly watchingUntil: number | undefined;
  /** Checks added or resumed since the checks' watch last looked (`noteArrival(name, 'checks')`). */
  readonly checkArrivals: string[];
  /** Until when the checks' deadline watch runs, as it said. */
  readonly checksWatchingUntil: number | undefined;
}

/** The monitor item's record of one storm's recovery notices. */
export interface StormRecord {
  readonly attribute: string;
  readonly incident: string;
  readonly back: number | undefined;
  readonly overAt: number | undefined;
}

export interface LogQuery {
  /** At most one of app and host; with neither, the fleet's errors (minLevel error or above). */
  readonly app?: string;
  readonly host?: string;
  /** The lowest level returned. */
  readonly minLevel: LogLevel;
  /** Epoch milliseconds, inclusive. */
  readonly since: number;
  /** Epoch milliseconds, exclusive. */
  readonly until: number;
  readonly limit: number;
  /** A cursor: only records that sort before it (the next page of an earlier answer). */
  readonly before?: string;
  /** Only records whose text contains this (case-sensitive), filtered within the bounded Query. */
  readonly grep?: string;
}

/** A record to store, with the time its message was received and the message it came in. */
export interface LogEntry {
  readonly record: LogRecord;
  readonly receivedAt: number;
  readonly owner: string;
}

/** A record the table refused for its content: poison, for the messages (owners) that sent it. */
export interface RefusedRecord {
  readonly record: LogRecord;
  readonly owners: readonly string[];
  readonly error: unknown;
}

export interface LogWrite {
  readonly calls: number;
  /** BatchGetItem calls that asked which records were stored already. */
  readonly readCalls: number;
  /** Records this write created: not stored before, written now. Only these are counted. */
  readonly created: readonly LogRecord[];
  /** Messages with a record whose write failed transiently (or ran out of time): they come back. */
  readonly failed: Map<string, unknown>;
  /** Records refused for their content; their neighbours were written. */
  readonly refused: readonly RefusedRecord[];
}

export interface StoredLogRecord extends LogRecord {
  /** The record's sort key: a cursor for follow mode. */
  readonly cursor: string;
}

export interface StoredNotification extends Notification {
  /** When it was published to the alerts topic; undefined if it never was. */
  readonly publishedAt: number | undefined;
}

/** What a page of notifications may be narrowed to; applied as a filter within the bounded Query. */
export interface NotificationFilter {
  readonly kind?: NotificationKind;
  readonly severity?: Severity;
  /** true: only those held back (silence, storm, flapping); false: only those that went out. */
  readonly suppressed?: boolean;
}

export interface NotificationPageQuery {
  readonly hostname?: string;
  readonly since: number;
  readonly until: number;
  readonly limit: number;
  /** A cursor from an earlier page: only notifications that sort before it. */
  readonly before?: string;
  readonly filter?: NotificationFilter;
}

export type ApiRole = 'read' | 'write';

/** A key as listed: never its secret, which exists only in the answer to `create`. */
export interface ApiKeyInfo {
  readonly keyId: string;
  readonly role: ApiRole;
  readonly name: string;
  readonly createdAt: number;
  readonly revokedAt?: number;
}

export interface HostFilter {
  readonly state?: HostState;
  /** `key=value`: hosts carrying that label value. */
  readonly label?: { readonly key: string; readonly value: string };
  /** Hostnames that start with this. */
  readonly prefix?: string;
}

export interface ReportSummary {
  readonly id: string;
  readonly since: number;
  readonly until: number;
  readonly generatedAt: number;
}

export interface StoredReport {
  readonly report: FleetReport;
  readonly markdown: string;
  readonly html: string;
  /** Every row, split across items of its own. */
  readonly detail?: ReportDetail;
}

/** Work not started because the invocation's time ran out: transient, it comes back. */
export class OutOfTimeError extends Error {
  constructor(
    readonly items: number,
    what = `${items} items not written`,
  ) {
    super(`${what}: the invocation's time budget ran out`);
    this.name = 'OutOfTimeError';
  }
}

