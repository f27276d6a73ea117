/**
 * The one composition root: where every function, the API and the CLI get their use cases'
 * dependencies, made from the configuration, the AWS clients and where each resource is. Nothing
 * else in the product calls an adapter's constructor (docs/ARCHITECTURE.md, "Layers").
 *
 * One function per consumer rather than one object holding them all, so that a function's bundle
 * holds only the adapters that it uses: esbuild drops what no reachable code names.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { CommitReply, DiagnoseWorkers, JudgeReply } from './app/diagnose/fanout';
import type { DiagnoseDeps } from './app/diagnose/pass';
import type { Delivery } from './app/deliver';
import type { HeartbeatIngest } from './app/ingest/heartbeats';
import { cachedSilences } from './app/silence-cache';
import type { LogIngest } from './app/ingest/logs';
import { silentLog, type Log } from './app/log';
import type { Notifier } from './app/notify';
import type { ReportDeps } from './app/report';
import type { StatusPagesDeps } from './app/status-pages';
import type { ApiDeps } from './api/deps';
import type { Clients } from './adapters/clients';
import { ApiKeyStore } from './adapters/dynamodb/api-keys';
import { ChannelStore } from './adapters/dynamodb/channels';
import { CheckStore } from './adapters/dynamodb/checks';
import type { PingDeps } from './app/checks/ping';
import type { NewCheckWatch } from './app/checks/manage';
import { HostPages } from './adapters/dynamodb/host-pages';
import { HostStore } from './adapters/dynamodb/hosts';
import { LogStore } from './adapters/dynamodb/logs';
import { NotificationStore } from './adapters/dynamodb/notifications';
import { ReportPages } from './adapters/dynamodb/report-pages';
import { ReportStore } from './adapters/dynamodb/reports';
import { SilenceStore } from './adapters/dynamodb/silences';
import { StatusPageStore } from './adapters/dynamodb/status-pages';
import { StatsStore } from './adapters/dynamodb/stats';
import { LogRuleStore } from './adapters/dynamodb/log-rules';
import { cachedRules } from './app/rules/count';
import type { RuleAdmin } from './app/rules/manage';
import { sendWithRetry } from './adapters/http/send';
import { lambdaDiagnoseTrigger } from './adapters/lambda/trigger';
import { lambdaInvoker } from './adapters/lambda/workers';
import { AlertPublisher } from './adapters/sns/alerts';
import { SqsHeartbeatQueue } from './adapters/sqs/heartbeat-queue';
import { Quarantine } from './adapters/sqs/quarantine';
import { SsmSecretStore } from './adapters/ssm/secrets';
import { ConfigError, type Config } from './config';
import type { NotifyConfig } from './config/notify';
import { NEW_HOSTS_GROUP } from './domain/fleet/notices';
import { FLEET_HOST, type LogRecord } from './domain/model';
import type { Clock, HeartbeatQueue, StatsPort } from './ports';
import { RESOURCES, type ResourceKey } from './config/resources';

/** Every resource a part of dts may be given: the stack's outputs, and the DLQs that only functions see. */
export type NameKey = ResourceKey | 'heartbeatsDlqUrl' | 'logsDlqUrl' | 'notifyDlqUrl';

/** Where each resource is: from a function's environment, or from the CLI's located backend. */
export interface Names {
  /** The name, or an error that says which setting is missing. */
  need(key: NameKey): string;
  /** The name, when this deployment (or this function) has one. */
  find(key: NameKey): string | undefined;
}

const ENV: Record<NameKey, string> = {
  ...Object.fromEntries(Object.entries(RESOURCES).map(([key, spec]) => [key, spec.env])) as Record<ResourceKey, string>,
  heartbeatsDlqUrl: 'DTS_HEARTBEATS_DLQ_URL',
  logsDlqUrl: 'DTS_LOGS_DLQ_URL',
  notifyDlqUrl: 'DTS_NOTIFY_DLQ_URL',
};

/** A function's resources, from the variables serverless/functions.yml gives it. */
export function namesFromEnv(env: Record<string, string | undefined> = process.env): Names {
  const find = (key: NameKey): string | undefined => env[ENV[key]]?.trim() || undefined;
  return {
    find,
    need: (key) => find(key) ?? (() => { throw new ConfigError(ENV[key], 'is required but not set'); })(),
  };
}

/** Names given whole: a test's cloud, a bench's, or what `dts doctor` discovered. */
export function fixedNames(given: Partial<Record<NameKey, string>>): Names {
  const find = (key: NameKey): string | undefined => given[key] || undefined;
  return {
    find,
    need: (key) => find(key) ?? (() => { throw new ConfigError(ENV[key], 'is required but not set'); })(),
  };
}

/** What every composition starts from. */
export interface Root {
  readonly config: Config;
  readonly clients: Clients;
  readonly names: Names;
  readonly log?: Log;
  readonly now?: Clock;
}

const clockOf = (r: Root): Clock => r.now ?? Date.now;
const logOf = (r: Root): Log => r.log ?? silentLog;

export const hostStore = (r: Root): HostStore => new HostStore(r.clients.ddb, r.names.need('hostsTable'));
export const statsStore = (r: Root): StatsStore => new StatsStore(r.clients.ddb, r.names.need('statsTable'));
/** Log rules live in the stats table (docs/DATA-MODEL.md, "Log rules"). */
export const logRuleStore = (r: Root): LogRuleStore => new LogRuleStore(r.clients.ddb, r.names.need('statsTable'), () => r.clients.ddbRaw);
export const logStore = (r: Root): LogStore => new LogStore(r.clients.ddb, r.names.need('logsTable'));
export const notificationStore = (r: Root): NotificationStore =>
  new NotificationStore(r.clients.ddb, r.names.need('notificationsTable'), r.config.notifications.ttlDays);
export const silenceStore = (r: Root): SilenceStore => new SilenceStore(r.clients.ddb, r.names.need('silencesTable'));
export const reportStore = (r: Root): ReportStore => new ReportStore(r.clients.ddb, r.names.need('reportsTable'), r.config.lifecycle.reportTtlDays);
export const apiKeyStore = (r: Root): ApiKeyStore => new ApiKeyStore(r.clients.ddb, r.names.need('apiKeysTable'));
export const channelStore = (r: Root, deliveryTtlDays?: number): ChannelStore => new ChannelStore(r.clients.ddb, r.names.need('channelsTable'), deliveryTtlDays);
export const checkStore = (r: Root): CheckStore => new CheckStore(r.clients.ddb, r.names.need('checksTable'));
export const statusPageStore = (r: Root): StatusPageStore => new StatusPageStore(r.clients.ddb, r.names.need('statusTable'));
/**
 * How `dts checks add` and `resume` have a new check watched before the next pass: noted on the
 * monitor item (the stats table) for the checks' running watch, and, given `pass` (the Lambda
 * client and the diagnose function's name), a pass started when no such watch runs; `noPass` is
 * told why none was. Undefined when the deadline watch is off or the stats table is not known.
 */
export function newCheckWatch(r: Root, pass?: { lambda: LambdaClient; functionName: string }, noPass?: (why: string) => void): NewCheckWatch | undefined {
  const stats = r.names.find('statsTable');
  if (!stats || r.config.diagnose.watchMs <= 0) return undefined;
  return {
    monitor: new StatsStore(r.clients.ddb, stats), withinMs: r.config.diagnose.watchMs, gapMs: ARRIVAL_PASS_GAP_MS,
    ...(pass ? { trigger: lambdaDiagnoseTrigger(pass.lambda, pass.functionName) } : {}),
    ...(noPass ? { noPass } : {}),
  };
}
/** The status table when this deployment has one (an older stack may not): without it, no page is kept. */
const statusPagesIfAny = (r: Root): { statusPages: StatusPageStore } | Record<string, never> => (r.names.find('statusTable') ? { statusPages: statusPageStore(r) } : {});
export const secretStore = (ssm: SSMClient): SsmSecretStore => new SsmSecretStore(ssm);

/** The silences table when this deployment has one; without it, nothing is silenced. */
function silencesIfAny(r: Root): SilenceStore | undefined {
  return r.names.find('silencesTable') ? silenceStore(r) : undefined;
}

/** Where checks' signals go, when this deployment (or this function) has a checks table. */
export function pingDeps(r: Root): PingDeps | undefined {
  return r.names.find('checksTable') ? { checks: checkStore(r), logs: logStore(r), logTtlDays: r.config.logs.ttlDays, runsHours: r.config.lifecycle.reportHours } : undefined;
}

/** The DLQ a poison message goes to at once, when the function has one. */
function quarantineIn(r: Root, key: 'heartbeatsDlqUrl' | 'logsDlqUrl' | 'notifyDlqUrl'): Quarantine | undefined {
  const url = r.names.find(key);
  return url ? new Quarantine(r.clients.sqs, url) : undefined;
}

/** Record, then publish: what every writer of notifications shares. */
export function delivery(r: Root): Delivery {
  return { notifications: notificationStore(r), alerts: new AlertPublisher(r.clients.sns, r.names.need('alertsTopicArn')), now: clockOf(r) };
}

/** What ingest's validation refuses. */
const limitsOf = (config: Config) => ({ maxFutureSeconds: config.maxFutureSeconds, textMaxBytes: config.logs.textMaxBytes });

/**
 * A diagnose pass. `coordinator`: the scheduled function and `dts diagnose --now`, which read the
 * monitor item and the heartbeats queue; a fanned-out worker reads neither (the coordinator
 * alone does), so it is not given them and fails loudly if it ever asks.
 */
export function diagnoseDeps(r: Root, role: 'coordinator' | 'worker' = 'coordinator'): DiagnoseDeps {
  const { config } = r;
  const notifications = notificationStore(r);
  // Storms are looked for as far back as a dead host stays watched: its retirement.
  const stormHorizonMs = config.liveness.retireAfter * 1000;
  const silences = silencesIfAny(r);
  return {
    hosts: hostStore(r),
    stats: role === 'coordinator' ? statsStore(r) : coordinatorOnly<StatsPort>('the stats table'),
    delivery: { notifications, alerts: new AlertPublisher(r.clients.sns, r.names.need('alertsTopicArn')), now: clockOf(r) },
    queue: role === 'coordinator' ? new SqsHeartbeatQueue(r.clients.sqs, r.names.need('heartbeatsQueueUrl'), clockOf(r)) : coordinatorOnly<HeartbeatQueue>('the heartbeats queue'),
    lagWaitMs: config.diagnose.lagWaitMs,
    rule: config.liveness,
    scanSegments: config.diagnose.scanSegments,
    sweepGraceMs: config.diagnose.sweepGraceMs,
    watchMs: config.diagnose.watchMs,
    groupWaitMs: config.diagnose.groupWaitMs,
    log: logOf(r),
    ...(silences ? { silences } : {}),
    flap: config.lifecycle.flap,
    storm: config.lifecycle.storm,
    newHostsGroup: NEW_HOSTS_GROUP,
    fleetHistory: (at) => notifications.byHost(FLEET_HOST, at - stormHorizonMs, at + 1),
    // The coordinator judges the checks; a worker judges hosts only.
    ...(role === 'coordinator' && r.names.find('checksTable') ? { checks: checkStore(r) } : {}),
    ...(role === 'coordinator' ? statusPagesIfAny(r) : {}),
    ...(role === 'coordinator' ? { logRules: logRuleStore(r) } : {}),
  };
}

/** A port that only the pass's coordinator may use: any call is a bug, said as such. */
function coordinatorOnly<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_target, key) => () => Promise.reject(new Error(`a diagnose worker never reads ${what} (${String(key)}): the coordinator does`)),
  });
}

/** The fanned-out pass's workers, as synchronous invocations of the worker function. */
export function diagnoseWorkers(config: Pick<Config, 'diagnose'>, lambda: LambdaClient, count: number): DiagnoseWorkers {
  const name = config.diagnose.workerFunction;
  if (!name) throw new ConfigError('DTS_DIAGNOSE_WORKER_FUNCTION', 'is required when DTS_DIAGNOSE_WORKERS is above 1');
  const invoke = lambdaInvoker(lambda, name);
  return { count, judge: (request) => invoke<JudgeReply>(request), commit: (request) => invoke<CommitReply>(request) };
}

/** The fleet report, scheduled or `dts report --now`. */
export function reportDeps(r: Root): ReportDeps {
  const { levels } = r.config;
  return {
    hosts: hostStore(r),
    notifications: notificationStore(r),
    stats: statsStore(r),
    reports: reportStore(r),
    alerts: new AlertPublisher(r.clients.sns, r.names.need('alertsTopicArn')),
    ...(r.names.find('checksTable') ? { checks: checkStore(r) } : {}),
    scanSegments: r.config.diagnose.scanSegments,
    thresholds: { cpu: levels.cpu, mem: levels.mem, disk: levels.disk },
    log: logOf(r),
    now: clockOf(r),
    ...statusPagesIfAny(r),
  };
}

/** Of the first beats of hosts with a short deadline, at most one starts a pass this often. */
export const ARRIVAL_PASS_GAP_MS = 5000;

/**
 * The heartbeats queue's consumer, with what it needs to move the ingest watermark. `lambda`:
 * the client that starts a pass for a new host with a short deadline, when DTS_DIAGNOSE_FUNCTION
 * names the diagnose function and the deadline watch is on.
 */
export function heartbeatIngestDeps(r: Root, lambda?: LambdaClient): HeartbeatIngest & { stats: StatsPort; queue: SqsHeartbeatQueue } {
  const { config } = r;
  const silences = silencesIfAny(r);
  const stats = statsStore(r);
  const pass = config.diagnose.diagnoseFunction;
  const pings = pingDeps(r);
  return {
    hosts: hostStore(r),
    stats,
    ...(pings ? { pings } : {}),
    ...(lambda && pass && config.diagnose.watchMs > 0
      ? { arrivals: { monitor: stats, trigger: lambdaDiagnoseTrigger(lambda, pass), withinMs: config.diagnose.watchMs, gapMs: ARRIVAL_PASS_GAP_MS } }
      : {}),
    queue: new SqsHeartbeatQueue(r.clients.sqs, r.names.need('heartbeatsQueueUrl'), clockOf(r)),
    delivery: delivery(r),
    quarantine: quarantineIn(r, 'heartbeatsDlqUrl'),
    levels: config.levels,
    limits: limitsOf(config),
    log: logOf(r),
    skewThresholdMs: config.lifecycle.skewThresholdMs,
    liveness: { rule: config.liveness, flap: config.lifecycle.flap },
    ...(silences ? { silences: cachedSilences(() => silences.all(), config.lifecycle.silenceCacheMs) } : {}),
  };
}

/** The logs queue's consumer. `mirror`: re-log each record (LogTracer's format), when DTS_MIRROR_LOGS is on. */
export function logIngestDeps(r: Root, mirror: (record: LogRecord) => void): LogIngest {
  const { config } = r;
  const rules = logRuleStore(r);
  return {
    rules: { index: cachedRules(() => rules.list(), clockOf(r), logOf(r)), store: rules },
    logs: logStore(r),
    stats: statsStore(r),
    quarantine: quarantineIn(r, 'logsDlqUrl'),
    limits: limitsOf(config),
    ttlDays: config.logs.ttlDays,
    maxReceiveCount: config.logs.maxReceiveCount,
    mirror: config.logs.mirror ? mirror : undefined,
    log: logOf(r),
    now: clockOf(r),
  };
}

/** The operator API and the console's data. */
export function apiDeps(r: Root): ApiDeps {
  const { config } = r;
  return {
    keys: apiKeyStore(r),
    hosts: hostStore(r),
    hostPages: new HostPages(r.clients.ddb, r.names.need('hostsTable')),
    notifications: notificationStore(r),
    logs: logStore(r),
    silences: silenceStore(r),
    ...(r.names.find('statsTable') ? { rules: logRuleStore(r) } : {}),
    reports: reportStore(r),
    reportPages: new ReportPages(r.clients.ddb, r.names.need('reportsTable')),
    liveness: config.liveness,
    hostCounts: statsStore(r),
    extraOrigins: config.api.extraOrigins,
    now: clockOf(r),
    ...(r.names.find('checksTable') ? { checks: checkStore(r), pings: pingDeps(r) } : {}),
    ...statusPagesIfAny(r),
  };
}

/** Status pages as the CLI keeps them: the status table, and the hosts and checks a new page is computed from. */
export function statusPagesDeps(r: Root): StatusPagesDeps {
  return {
    pages: statusPageStore(r), hosts: hostStore(r), ...(r.names.find('checksTable') ? { checks: checkStore(r) } : {}),
    scanSegments: r.config.diagnose.scanSegments, log: logOf(r),
  };
}

/** The notifier: every channel, its secret, and where a message that is no notification goes. */
export function notifierDeps(
  r: Root, settings: NotifyConfig, ssm: SSMClient, count: Notifier['count'],
): { notifier: Notifier; quarantine: Quarantine | undefined } {
  return {
    notifier: {
      channels: channelStore(r, settings.deliveryTtlDays),
      secrets: secretStore(ssm),
      // Read only (by key): the ttl of what it would write does not apply.
      notifications: new NotificationStore(r.clients.ddb, r.names.need('notificationsTable'), 0),
      send: (req) => sendWithRetry(req, settings.send),
      now: clockOf(r),
      log: logOf(r),
      count,
    },
    quarantine: quarantineIn(r, 'notifyDlqUrl'),
  };
}

/** Adding, listing and removing log rules: `dts rules` and the API. */
export function ruleAdmin(r: Root): RuleAdmin {
  return { rules: logRuleStore(r), now: clockOf(r) };
}
