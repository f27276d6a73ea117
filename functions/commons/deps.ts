import { loadConfig, type Config, type LifecycleSettings } from '../../lib/config';
import type { Delivery } from '../../lib/app/deliver';
import { AlertPublisher } from '../../lib/adapters/sns/alerts';
import { defaultClients, type Clients } from '../../lib/adapters/clients';
import { NotificationStore } from '../../lib/adapters/dynamodb/notifications';
import { Quarantine } from '../../lib/adapters/sqs/quarantine';
import { SilenceStore } from '../../lib/adapters/dynamodb/silences';

/** Read once per container: a bad variable fails the cold start with its name. */
export const config: Config = loadConfig();

/** Flapping, storms, skew, silences and reports. */
export const lifecycle: LifecycleSettings = config.lifecycle;

/** The silences table, when this function was given one. */
export function silenceStore(c: Clients = clients()): SilenceStore | undefined {
  return lifecycle.silencesTable ? new SilenceStore(c.ddb, lifecycle.silencesTable) : undefined;
}

export function clients(): Clients {
  return defaultClients();
}

export function delivery(c: Clients = clients()): Delivery {
  return {
    notifications: new NotificationStore(c.ddb, config.resources.notificationsTable, config.notifications.ttlDays),
    alerts: new AlertPublisher(c.sns, config.resources.alertsTopicArn),
    now: Date.now,
  };
}

export function quarantineFor(dlqUrl: string | undefined, c: Clients = clients()): Quarantine | undefined {
  return dlqUrl ? new Quarantine(c.sqs, dlqUrl) : undefined;
}

export const limits = { maxFutureSeconds: config.maxFutureSeconds, textMaxBytes: config.logs.textMaxBytes };
