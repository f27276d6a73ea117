/**
 * A fleet on a clock the test controls, over the embedded cloud (dynalite and fauxqs, through the
 * real SDK). Beats and log batches are encoded as producers send them and ingested as SQS
 * records whose SentTimestamp is the world's clock; diagnose and the report run as the functions
 * run them, with `now` injected instead of sleeping.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../lib/config';
import type { LogLevel, Silence, SilenceTarget } from '../../lib/domain/model';
import { silenceId } from '../../lib/domain/notification/silences';
import { runDiagnose, type DiagnoseSummary } from '../../lib/app/diagnose/pass';
import { ingestHeartbeat, type HeartbeatIngest } from '../../lib/app/ingest/heartbeats';
import { ingestLogMessage, type LogIngest } from '../../lib/app/ingest/logs';
import { silentLog } from '../../lib/app/log';
import { runReport, type ReportRun } from '../../lib/app/report';
import { addCheck, type CheckSpec } from '../../lib/app/checks/manage';
import { recordPing } from '../../lib/app/checks/ping';
import { validateCheckPing } from '../../lib/domain/check/ping';
import { AlertPublisher } from '../../lib/adapters/sns/alerts';
import { CheckStore } from '../../lib/adapters/dynamodb/checks';
import { HostStore } from '../../lib/adapters/dynamodb/hosts';
import { LogStore } from '../../lib/adapters/dynamodb/logs';
import { NotificationStore } from '../../lib/adapters/dynamodb/notifications';
import { ReportStore } from '../../lib/adapters/dynamodb/reports';
import { SilenceStore } from '../../lib/adapters/dynamodb/silences';
import { StatsStore } from '../../lib/adapters/dynamodb/stats';
import { encodeBody } from '../../lib/wire/codec';
import type { TestCloud } from './cloud';
import { idleQueue } from './idle-queue';

export interface HostScript {
  interval: number;
  labels?: Record<string, string>;
  /** Clock skew of the host, ms (positive: ahead). */
  skewMs?: number;
  cpu?: number;
  mem?: number;
  disk?: number;
  /** False while the host is silent. */
  up?: boolean;
}

export interface WorldOptions {
  /** The default interval diagnose's self-check holds itself to; pick the cadence diagnose runs at. */
  defaultInterval?: number;
  flap?: { changes: number; window: number };
  storm?: { share: number; minHosts: number };
  skewThresholdMs?: number;
  /** Ingest judges a dead host that beats again (recovery, retraction), as the function does; default on. */
  ingestJudgesReturns?: boolean;
}

export class World {
  now: number;
  readonly hosts: HostStore;
  readonly notifications: NotificationStore;
  readonly stats: StatsStore;
  readonly silences: SilenceStore;
  readonly reports: ReportStore;
  readonly logs: LogStore;
  readonly checks: CheckStore;
  /** Called at each step, after the beats and before diagnose: what scheduled jobs do (their signals). */
  readonly jobs: ((now: number) => Promise<void>)[] = [];
  readonly fleet = new Map<string, HostScript & { lastSent?: number }>();
  readonly passes: DiagnoseSummary[] = [];
  private readonly config = loadConfig({});
  private readonly options: Required<WorldOptions>;

  constructor(readonly cloud: TestCloud, start: number, options: WorldOptions = {}) {
    this.now = start;
    this.options = {
      defaultInterval: 60, flap: { changes: 4, window: 1800 }, storm: { share: 0.5, minHosts: 3 }, skewThresholdMs: 30_000, ingestJudgesReturns: true, ...options,
    };
    const ddb = cloud.clients.ddb;
    this.hosts = new HostStore(ddb, cloud.names.hostsTable);
    this.notifications = new NotificationStore(ddb, cloud.names.notificationsTable, 90);
    this.stats = new StatsStore(ddb, cloud.names.statsTable);
    this.silences = new SilenceStore(ddb, tableName(cloud, 'silences'));
    this.reports = new ReportStore(ddb, tableName(cloud, 'reports'), 400);
    this.logs = new LogStore(ddb, cloud.names.logsTable);
    this.checks = new CheckStore(ddb, cloud.names.checksTable);
  }

  /** A check, added now. */
  async addCheck(spec: CheckSpec): Promise<void> {
    const added = await addCheck(this.checks, spec, this.now);
    if (!added.ok) throw new Error(added.problems.join('; '));
  }

  /** A check's signal by its name (a CheckPing), received now: '' for success, 'start', 'fail' or an exit status. */
  async ping(check: string, status = ''): Promise<void> {
    const valid = validateCheckPing({ check, status });
    if (!valid.ok) throw new Error(valid.error.reason);
    const outcome = await recordPing({ checks: this.checks, logs: this.logs, logTtlDays: 14, runsHours: 24 }, valid.value, this.now);
    if (!outcome.ok) throw new Error(outcome.reason);
  }

  readonly clock = (): number => this.now;

  private delivery() {
    return { notifications: this.notifications, alerts: new AlertPublisher(this.cloud.clients.sns, this.cloud.names.alertsTopicArn), now: this.clock };
  }

  /**
   * Whether this world's diagnose announces storms' progress (reads the storms' history, as the
   * deployed function does). Its own does not, so each storm-held recovery is announced alone;
   * ingest, which may commit a recovery itself, is told the same, so both decide alike.
   */
  protected readonly announcesStormProgress: boolean = false;

  private heartbeatIngest(): HeartbeatIngest {
    return {
      hosts: this.hosts, delivery: this.delivery(), quarantine: undefined, levels: this.config.levels,
      limits: { maxFutureSeconds: 86_400, textMaxBytes: 32 * 1024 }, log: silentLog,
      skewThresholdMs: this.options.skewThresholdMs, silences: () => this.silences.all(),
      ...(this.options.ingestJudgesReturns
        ? { liveness: { rule: { defaultInterval: this.options.defaultInterval, tolerance: 3, retireAfter: 7 * 86_400 }, flap: this.options.flap, stormProgress: this.announcesStormProgress } }
        : {}),
    };
  }

  /** One beat from a host, received now (or at `receivedAt`: a beat that was late on its way). */
  async beat(hostname: string, over: Partial<HostScript> & { goodbye?: boolean; receivedAt?: number } = {}): Promise<void> {
    const h = { ...this.fleet.get(hostname), ...over } as HostScript & { goodbye?: boolean };
    const percent = (p: number | undefined) => (p === undefined ? undefined : { percent: p });
    const body = encodeBody('dts.HeartbeatMessage', {
      hostname, timestamp: (this.now + (h.skewMs ?? 0)) / 1000, interval: h.interval ?? 60, labels: h.labels ?? {},
      cpu: percent(h.cpu ?? 20), mem: percent(h.mem ?? 40), disk: percent(h.disk ?? 50), goodbye: h.goodbye ?? false,
    });
    const outcome = await ingestHeartbeat(this.heartbeatIngest(), { messageId: randomUUID(), body, attributes: { SentTimestamp: String(over.receivedAt ?? this.now) } });
    if (outcome === 'quarantined') throw new Error(`beat of ${hostname} quarantined`);
  }

  /** `count` log records of one app and level, in one batch, received now (`text`: what each says). */
  async log(app: string, hostname: string, level: LogLevel, count: number, text?: string): Promise<void> {
    const records = Array.from({ length: count }, (_, i) => ({ app, hostname, timestamp: this.now / 1000 + i / 1000, level, text: text ?? `${app} record ${i}`, id: randomUUID() }));
    const d: LogIngest = {
      logs: this.logs, stats: this.stats, quarantine: undefined, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32 * 1024 },
      ttlDays: 14, mirror: undefined, log: silentLog, now: this.clock,
    };
    await ingestLogMessage(d, {
      messageId: randomUUID(), body: encodeBody('dts.LogBatch', { records }),
      messageAttributes: { 'dts-type': { stringValue: 'dts.LogBatch' } }, attributes: { SentTimestamp: String(this.now) },
    });
  }

  async diagnose(): Promise<DiagnoseSummary> {
    const summary = await runDiagnose({
      hosts: this.hosts, stats: this.stats, delivery: this.delivery(), queue: idleQueue(() => this.now), lagWaitMs: 1000,
      rule: { defaultInterval: this.options.defaultInterval, tolerance: 3, retireAfter: 7 * 86_400 },
      scanSegments: 2, log: silentLog,
      silences: this.silences, flap: this.options.flap, storm: this.options.storm, checks: this.checks,
    });
    this.passes.push(summary);
    return summary;
  }

  async silence(target: SilenceTarget, forMs: number, reason: string): Promise<Silence> {
    const s: Silence = { id: silenceId(target, this.now), target, startsAt: this.now, endsAt: this.now + forMs, reason, createdBy: 'test' };
    await this.silences.create(s);
    return s;
  }

  async report(hours = 24): Promise<ReportRun> {
    return runReport({
      hosts: this.hosts, notifications: this.notifications, stats: this.stats, reports: this.reports,
      alerts: new AlertPublisher(this.cloud.clients.sns, this.cloud.names.alertsTopicArn), scanSegments: 2, log: silentLog, now: this.clock,
      checks: this.checks,
    }, this.now, hours);
  }

  /** Set a host's script (merged into what it had). */
  set(hostname: string, script: Partial<HostScript>): void {
    this.fleet.set(hostname, { interval: 60, up: true, ...this.fleet.get(hostname), ...script });
  }

  /**
   * Move the clock to `until` in steps of `stepMs`. At each step every host that is up and due
   * beats, then diagnose runs once.
   */
  async runUntil(until: number, stepMs: number): Promise<void> {
    while (this.now < until) {
      this.now = Math.min(until, this.now + stepMs);
      for (const [hostname, h] of this.fleet) {
        if (h.up === false) continue;
        if (h.lastSent !== undefined && this.now - h.lastSent < h.interval * 1000) continue;
        await this.beat(hostname);
        h.lastSent = this.now;
      }
      for (const job of this.jobs) await job(this.now);
      await this.diagnose();
    }
  }
}

/** A table of this stage that the test cloud's names do not list: dts-<stage>-<suffix>. */
export function tableName(cloud: TestCloud, suffix: string): string {
  return cloud.names.hostsTable.replace(/-hosts$/, `-${suffix}`);
}
