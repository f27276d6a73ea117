import { createHash } from 'node:crypto';
import type { Notification, PendingNotification } from '../../domain/model';
import { notificationAttributes, notificationFromItem } from './notification-item';

/**
 * The outbox lives on the item whose conditional write decides a transition (a host, or the
 * monitor item): one top-level attribute per notification, `outbox_<digest of its id>`, so that
 * adding one is a plain SET in the deciding write and removing it a plain REMOVE, with no map
 * that must exist first. docs/DATA-MODEL.md, "The outbox".
 */
const PREFIX = 'outbox_';

export function outboxAttribute(id: string): string {
  return `${PREFIX}${createHash('sha256').update(id).digest('hex').slice(0, 24)}`;
}

type Item = Record<string, unknown>;

function toItem(n: Notification, queuedAt: number): Item {
  return { ...notificationAttributes(n), queuedAt };
}

function fromItem(item: Item): PendingNotification {
  return { notification: notificationFromItem(item), queuedAt: Number(item.queuedAt ?? item.at) };
}

/** The pending notifications an item holds, oldest first. */
export function outboxOf(item: Item): PendingNotification[] {
  return Object.entries(item)
    .filter(([key, value]) => key.startsWith(PREFIX) && value !== null && typeof value === 'object')
    .map(([, value]) => fromItem(value as Item))
    .sort((a, b) => a.queuedAt - b.queuedAt);
}

/** SET clauses that put `notifications` in an item's outbox, with their names and values. */
export function outboxSets(
  notifications: readonly Notification[],
  queuedAt: number,
  names: Record<string, string>,
  values: Record<string, unknown>,
): string[] {
  return notifications.map((n, i) => {
    names[`#ob${i}`] = outboxAttribute(n.id);
    values[`:ob${i}`] = toItem(n, queuedAt);
    return `#ob${i} = :ob${i}`;
  });
}
