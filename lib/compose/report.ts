import type { Config } from '../config';
import { AlertPublisher } from '../adapters/sns/alerts';
import type { Clients } from '../adapters/clients';
import { HostStore } from '../adapters/dynamodb/hosts';
import { NotificationStore } from '../adapters/dynamodb/notifications';
import { ReportStore } from '../adapters/dynamodb/reports';
import { StatsStore } from '../adapters/dynamodb/stats';
import type { Log } from '../app/log';
import type { ReportDeps } from '../app/report';

/** Where a report reads and writes. */
export interface ReportResources {
  readonly hostsTable: string;
  readonly notificationsTable: string;
  readonly statsTable: string;
  readonly reportsTable: string;
  readonly alertsTopicArn: string;
}

/**
 * Everything a report needs, made the same way for the scheduled function and for
 * `dts report --now`, so the two can never count the fleet differently.
 */
export function reporting(
  clients: Clients,
  resources: ReportResources,
  config: Pick<Config, 'diagnose' | 'notifications' | 'lifecycle' | 'levels'>,
  log: Log,
  now: () => number = Date.now,
): ReportDeps {
  return {
    hosts: new HostStore(clients.ddb, resources.hostsTable),
    notifications: new NotificationStore(clients.ddb, resources.notificationsTable, config.notifications.ttlDays),
    stats: new StatsStore(clients.ddb, resources.statsTable),
    reports: new ReportStore(clients.ddb, resources.reportsTable, config.lifecycle.reportTtlDays),
    alerts: new AlertPublisher(clients.sns, resources.alertsTopicArn),
    scanSegments: config.diagnose.scanSegments,
    thresholds: { cpu: config.levels.cpu, mem: config.levels.mem, disk: config.levels.disk },
    log,
    now,
  };
}
