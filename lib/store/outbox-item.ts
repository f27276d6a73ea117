import { createHash } from 'node:crypto';
import type { Notification, NotificationKind, PendingNotification, Severity } from '../model';

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
  return {
    id: n.id, hostname: n.hostname, kind: n.kind, severity: n.severity, at: n.at, message: n.message, details: n.details,
    ...(n.labels && Object.keys(n.labels).length ? { labels: n.labels } : {}),
    ...(n.incident !== undefined ? { incident: n.incident } : {}),
    ...(n.suppressed !== undefined ? { suppressed: n.suppressed } : {}),
    queuedAt,
  };
}

function fromItem(item: Item): PendingNotification {
  const notification: Notification = {
    id: item.id as string,
    hostname: item.hostname as string,
    kind: item.kind as NotificationKind,
    severity: item.severity as Severity,
    at: Number(item.at),
    message: item.message as string,
    details: (item.details as Record<string, string> | undefined) ?? {},
    ...(item.labels ? { labels: item.labels as Record<string, string> } : {}),
    ...(item.incident !== undefined ? { incident: item.incident as string } : {}),
    ...(item.suppressed !== undefined ? { suppressed: item.suppressed as string } : {}),
  };
  return { notification, queuedAt: Number(item.queuedAt ?? item.at) };
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
