import type { Notification, NotificationKind, Severity } from '../../domain/model';

/**
 * A notification's own attributes as DynamoDB holds them: in its row of the notifications table
 * and in an outbox entry on the item whose write decided it. One writer and one reader for both,
 * so that a field of Notification is carried by every copy or by none (an outbox once dropped the
 * incident key by keeping a reader of its own).
 */
type Item = Record<string, unknown>;

export function notificationAttributes(n: Notification): Item {
  return {
    id: n.id, hostname: n.hostname, kind: n.kind, severity: n.severity, at: n.at, message: n.message, details: n.details,
    ...(n.labels && Object.keys(n.labels).length ? { labels: n.labels } : {}),
    ...(n.incident !== undefined ? { incident: n.incident } : {}),
    ...(n.suppressed !== undefined ? { suppressed: n.suppressed } : {}),
  };
}

export function notificationFromItem(item: Item): Notification {
  return {
    id: item.id as string,
    hostname: item.hostname as string,
    kind: item.kind as NotificationKind,
    severity: item.severity as Severity,
    at: Number(item.at),
    message: item.message as string,
    details: (item.details as Record<string, string> | undefined) ?? {},
    ...(item.labels ? { labels: item.labels as Record<string, string> } : {}),
    ...(typeof item.incident === 'string' ? { incident: item.incident } : {}),
    ...(typeof item.suppressed === 'string' ? { suppressed: item.suppressed } : {}),
  };
}
