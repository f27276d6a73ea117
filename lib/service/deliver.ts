import type { Notification } from '../model';
import type { AlertPublisher } from '../store/alerts';
import type { NotificationStore } from '../store/notifications';

export interface Delivery {
  readonly notifications: NotificationStore;
  readonly alerts: AlertPublisher;
  readonly now: () => number;
}

/**
 * Record a notification and, the first time only, publish it. Its deterministic id makes the
 * record idempotent; whoever records it first publishes it. A suppressed notification (a
 * silence, flapping, a storm) is recorded with its reason and not published.
 */
export async function deliver(d: Delivery, n: Notification): Promise<boolean> {
  if (!(await d.notifications.record(n))) return false;
  if (n.suppressed !== undefined) return true;
  await d.alerts.publish(n);
  await d.notifications.markPublished(n, d.now());
  return true;
}
