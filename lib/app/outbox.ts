import type { Notification, PendingNotification } from '../domain/model';
import { deliver, type Delivery } from './deliver';
import type { Log } from './log';

/**
 * The outbox: every notification is committed in the same conditional write as the transition
 * that decided it (on the host item, or the monitor item), and leaves that item only once it
 * is recorded and published. Whoever commits it delivers it at once; each diagnose pass, which
 * reads every host anyway, works through whatever is still there. docs/SEMANTICS.md,
 * "Delivery guarantee".
 */

/** Takes a delivered notification out of the item that holds it. */
export type Settle = (id: string) => Promise<void>;

/** What one round of delivery left behind. */
export interface OutboxReport {
  readonly published: number;
  readonly suppressed: number;
  /** Recorded before but not marked published, so published again (same id). */
  readonly republished: number;
  /** Still pending after this round: retried by the next pass. */
  readonly unpublished: number;
  /** When the oldest still-pending notification was committed; undefined when none is left. */
  readonly oldestQueuedAt: number | undefined;
}

/**
 * A notification committed this long ago may still be in the hands of whoever committed it (an
 * ingest invocation); the sweep leaves it alone so as not to publish it twice in the common case.
 */
export const SWEEP_GRACE_MS = 30_000;

/** Notifications to deliver in one round, each once, whichever items hold it. */
export class Outbox {
  private readonly entries = new Map<string, { pending: PendingNotification; holders: Settle[] }>();

  add(pending: PendingNotification, settle: Settle): void {
    const entry = this.entries.get(pending.notification.id);
    if (entry) entry.holders.push(settle);
    else this.entries.set(pending.notification.id, { pending, holders: [settle] });
  }

  /** Entries an earlier decision left: those old enough that their decider is surely gone. */
  sweep(pending: readonly PendingNotification[] | undefined, settle: Settle, now: number, graceMs = SWEEP_GRACE_MS): void {
    for (const p of pending ?? []) if (now - p.queuedAt >= graceMs) this.add(p, settle);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Deliver each notification once, then take it out of every item that holds it. A failure is
   * logged and left in place for the next pass; it never stops the others.
   */
  async flush(d: Delivery, log: Log, concurrency = 32): Promise<OutboxReport> {
    const counts = { published: 0, suppressed: 0, republished: 0, unpublished: 0 };
    let oldestQueuedAt: number | undefined;
    const all = [...this.entries.values()];
    this.entries.clear();
    for (let i = 0; i < all.length; i += concurrency) {
      await Promise.all(all.slice(i, i + concurrency).map(async ({ pending, holders }) => {
        try {
          const outcome = await deliver(d, pending.notification);
          if (outcome === 'published') counts.published++;
          else if (outcome === 'suppressed') counts.suppressed++;
          else if (outcome === 'republished') counts.republished++;
          // Settling is best effort: an entry left behind is delivered "done-before" next time.
          await Promise.all(holders.map((settle) => settle(pending.notification.id)));
        } catch (error) {
          counts.unpublished++;
          oldestQueuedAt = Math.min(oldestQueuedAt ?? pending.queuedAt, pending.queuedAt);
          log.warn('notification not delivered yet; the next diagnose pass retries it', {
            id: pending.notification.id, kind: pending.notification.kind, queuedAt: pending.queuedAt, error: String(error),
          });
        }
      }));
    }
    return { ...counts, oldestQueuedAt };
  }
}

/** Notifications decided now, as their outbox entries. */
export function pendingNow(notifications: readonly Notification[], now: number): PendingNotification[] {
  return notifications.map((notification) => ({ notification, queuedAt: now }));
}
