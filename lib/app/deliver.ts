import type { Notification } from '../domain/model';
import type { AlertPublisherPort, Clock, NotificationsLedger } from '../ports';

/** The ledger's old name, kept for its importers. */
export type NotificationLedger = NotificationsLedger;

/** Where alerts go out (the alerts topic). */
export type Publisher = Pick<AlertPublisherPort, 'publish'>;

export interface Delivery {
  readonly notifications: NotificationsLedger;
  readonly alerts: Publisher;
  readonly now: Clock;
}

/** What delivering one notification did. */
export type Delivered =
  /** Recorded now and published now. */
  | 'published'
  /** Recorded now, not published: silenced, flapping or grouped into a storm. */
  | 'suppressed'
  /** Recorded and published (or suppressed) before: nothing to do. */
  | 'done-before'
  /** Recorded before but not marked published, so published now: at least once, same id. */
  | 'republished';

/**
 * Record a notification and publish it unless it is suppressed, so that calling this again
 * after any failure finishes the job: the record is idempotent by id, and a recorded
 * notification is published again unless it is marked published. A crash between the publish
 * and the mark publishes it twice with the same `id` attribute; subscribers drop the repeat.
 */
export async function deliver(d: Delivery, n: Notification): Promise<Delivered> {
  const fresh = await d.notifications.record(n);
  if (n.suppressed !== undefined) return fresh ? 'suppressed' : 'done-before';
  if (!fresh && (await d.notifications.publishedAt(n)) !== undefined) return 'done-before';
  await d.alerts.publish(n);
  await d.notifications.markPublished(n, d.now());
  return fresh ? 'published' : 'republished';
}
