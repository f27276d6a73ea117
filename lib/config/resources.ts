/**
 * The deployment's AWS resources by key: the variable a function is given each in, the stack
 * output, the CLI flag, and the name's suffix in a stage (dts-<stage>-<suffix>). Data only, so
 * that the composition root and the CLI's locator share it without loading either.
 */
export interface ResourceNames {
  logsQueueUrl: string;
  heartbeatsQueueUrl: string;
  hostsTable: string;
  logsTable: string;
  notificationsTable: string;
  statsTable: string;
  silencesTable: string;
  reportsTable: string;
  alertsTopicArn: string;
  apiKeysTable: string;
  channelsTable: string;
  checksTable: string;
}
export type ResourceKey = keyof ResourceNames;

interface Spec {
  readonly env: string;
  readonly output: string;
  readonly flag: string;
  readonly kind: 'queue' | 'table' | 'topic';
  /** The stage's resource name suffix: dts-<stage>-<suffix>. */
  readonly suffix: string;
}

export const RESOURCES: Record<ResourceKey, Spec> = {
  logsQueueUrl: { env: 'DTS_LOGS_QUEUE_URL', output: 'LogsQueueUrl', flag: '--logs-queue-url', kind: 'queue', suffix: 'logs' },
  heartbeatsQueueUrl: { env: 'DTS_HEARTBEATS_QUEUE_URL', output: 'HeartbeatsQueueUrl', flag: '--heartbeats-queue-url', kind: 'queue', suffix: 'heartbeats' },
  hostsTable: { env: 'DTS_HOSTS_TABLE', output: 'HostsTableName', flag: '--hosts-table', kind: 'table', suffix: 'hosts' },
  logsTable: { env: 'DTS_LOGS_TABLE', output: 'LogsTableName', flag: '--logs-table', kind: 'table', suffix: 'logs' },
  notificationsTable: { env: 'DTS_NOTIFICATIONS_TABLE', output: 'NotificationsTableName', flag: '--notifications-table', kind: 'table', suffix: 'notifications' },
  statsTable: { env: 'DTS_STATS_TABLE', output: 'StatsTableName', flag: '--stats-table', kind: 'table', suffix: 'stats' },
  silencesTable: { env: 'DTS_SILENCES_TABLE', output: 'SilencesTableName', flag: '--silences-table', kind: 'table', suffix: 'silences' },
  reportsTable: { env: 'DTS_REPORTS_TABLE', output: 'ReportsTableName', flag: '--reports-table', kind: 'table', suffix: 'reports' },
  alertsTopicArn: { env: 'DTS_ALERTS_TOPIC_ARN', output: 'AlertsTopicArn', flag: '--alerts-topic-arn', kind: 'topic', suffix: 'alerts' },
  apiKeysTable: { env: 'DTS_API_KEYS_TABLE', output: 'ApiKeysTableName', flag: '--api-keys-table', kind: 'table', suffix: 'api-keys' },
  channelsTable: { env: 'DTS_CHANNELS_TABLE', output: 'ChannelsTableName', flag: '--channels-table', kind: 'table', suffix: 'channels' },
  checksTable: { env: 'DTS_CHECKS_TABLE', output: 'ChecksTableName', flag: '--checks-table', kind: 'table', suffix: 'checks' },
};
