import { ConfigError, type Config } from '../config';
import { ApiKeyStore } from '../adapters/dynamodb/api-keys';
import type { Clients } from '../adapters/clients';
import { HostPages } from '../adapters/dynamodb/host-pages';
import { HostStore } from '../adapters/dynamodb/hosts';
import { LogStore } from '../adapters/dynamodb/logs';
import { NotificationStore } from '../adapters/dynamodb/notifications';
import { ReportPages } from '../adapters/dynamodb/report-pages';
import { ReportStore } from '../adapters/dynamodb/reports';
import { SilenceStore } from '../adapters/dynamodb/silences';
import type { ApiDeps } from '../api/deps';

/** The API's dependencies for a deployment, from its clients and configuration. */
export function apiDeps(clients: Clients, config: Config, now: () => number = Date.now): ApiDeps {
  const need = (value: string | undefined, name: string): string => {
    if (!value) throw new ConfigError(name, 'is required but not set');
    return value;
  };
  const { ddb } = clients;
  const reportsTable = need(config.lifecycle.reportsTable, 'DTS_REPORTS_TABLE');
  return {
    keys: new ApiKeyStore(ddb, need(config.api.keysTable, 'DTS_API_KEYS_TABLE')),
    hosts: new HostStore(ddb, config.resources.hostsTable),
    hostPages: new HostPages(ddb, config.resources.hostsTable),
    notifications: new NotificationStore(ddb, config.resources.notificationsTable, config.notifications.ttlDays),
    logs: new LogStore(ddb, config.resources.logsTable),
    silences: new SilenceStore(ddb, need(config.lifecycle.silencesTable, 'DTS_SILENCES_TABLE')),
    reports: new ReportStore(ddb, reportsTable, config.lifecycle.reportTtlDays),
    reportPages: new ReportPages(ddb, reportsTable),
    liveness: config.liveness,
    scanSegments: config.diagnose.scanSegments,
    extraOrigins: config.api.extraOrigins,
    now,
  };
}
