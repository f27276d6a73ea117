import type { Config } from '../config';
import { AlertPublisher } from '../adapters/sns/alerts';
import type { Clients } from '../adapters/clients';
import { HostStore } from '../adapters/dynamodb/hosts';
import { NotificationStore } from '../adapters/dynamodb/notifications';
import { SilenceStore } from '../adapters/dynamodb/silences';
import { StatsStore } from '../adapters/dynamodb/stats';
import { SqsHeartbeatQueue } from '../adapters/sqs/heartbeat-queue';
import { NEW_HOSTS_GROUP } from '../domain/fleet/notices';
import type { DiagnoseDeps } from '../app/diagnose/pass';
import { FLEET_HOST } from '../domain/model';
import type { Log } from '../app/log';

/** Where a diagnose pass reads and writes. */
export interface DiagnoseResources {
  readonly hostsTable: string;
  readonly statsTable: string;
  readonly notificationsTable: string;
  readonly alertsTopicArn: string;
  readonly heartbeatsQueueUrl: string;
  /** Without a silences table, nothing is silenced. */
  readonly silencesTable: string | undefined;
}

/**
 * Everything a diagnose pass needs, made the same way for the scheduled function and for
 * `dts diagnose --now`, so the two can never judge the fleet differently.
 */
export function diagnosis(
  clients: Clients,
  resources: DiagnoseResources,
  config: Pick<Config, 'liveness' | 'diagnose' | 'notifications' | 'lifecycle'>,
  log: Log,
  now: () => number = Date.now,
): DiagnoseDeps {
  const notifications = new NotificationStore(clients.ddb, resources.notificationsTable, config.notifications.ttlDays);
  // Storms are looked for as far back as a dead host stays watched: its retirement.
  const stormHorizonMs = config.liveness.retireAfter * 1000;
  return {
    hosts: new HostStore(clients.ddb, resources.hostsTable),
    stats: new StatsStore(clients.ddb, resources.statsTable),
    delivery: {
      notifications,
      alerts: new AlertPublisher(clients.sns, resources.alertsTopicArn),
      now,
    },
    queue: new SqsHeartbeatQueue(clients.sqs, resources.heartbeatsQueueUrl, now),
    lagWaitMs: config.diagnose.lagWaitMs,
    rule: config.liveness,
    scanSegments: config.diagnose.scanSegments,
    sweepGraceMs: config.diagnose.sweepGraceMs,
    watchMs: config.diagnose.watchMs,
    groupWaitMs: config.diagnose.groupWaitMs,
    log,
    ...(resources.silencesTable ? { silences: new SilenceStore(clients.ddb, resources.silencesTable) } : {}),
    flap: config.lifecycle.flap,
    storm: config.lifecycle.storm,
    newHostsGroup: NEW_HOSTS_GROUP,
    fleetHistory: (at) => notifications.byHost(FLEET_HOST, at - stormHorizonMs, at + 1),
  };
}
