import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Config } from '../config';
import { AlertPublisher } from '../store/alerts';
import type { Clients } from '../store/clients';
import { HostStore } from '../store/hosts';
import { NotificationStore } from '../store/notifications';
import { SilenceStore } from '../store/silences';
import { StatsStore } from '../store/stats';
import type { Diagnosis } from './diagnose';
import type { Log } from './log';

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
): Diagnosis {
  return {
    hosts: new HostStore(clients.ddb, resources.hostsTable),
    stats: new StatsStore(clients.ddb, resources.statsTable),
    delivery: {
      notifications: new NotificationStore(clients.ddb, resources.notificationsTable, config.notifications.ttlDays),
      alerts: new AlertPublisher(clients.sns, resources.alertsTopicArn),
      now,
    },
    backlog: async () => {
      const out = await clients.sqs.send(new GetQueueAttributesCommand({
        QueueUrl: resources.heartbeatsQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }));
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
    },
    rule: config.liveness,
    scanSegments: config.diagnose.scanSegments,
    backlogThreshold: config.diagnose.backlogThreshold,
    sweepGraceMs: config.diagnose.sweepGraceMs,
    log,
    ...(resources.silencesTable ? { silences: new SilenceStore(clients.ddb, resources.silencesTable) } : {}),
    flap: config.lifecycle.flap,
    storm: config.lifecycle.storm,
  };
}
