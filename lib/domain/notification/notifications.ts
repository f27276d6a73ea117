import type { Notification, NotificationKind, Severity } from '../model';
import { incidentKey } from './incidents';

/**
 * A notification's id is a function of what happened, never of who noticed it: two diagnose
 * runs that see the same transition compute the same id, and the store keeps one.
 */
export function notificationId(hostname: string, kind: NotificationKind, at: number, subject?: string): string {
  return [hostname, kind, ...(subject === undefined ? [] : [subject]), String(at)].join('|');
}

/** The transition time an id ends with: what locates the notification in its table. */
export function atOfNotificationId(id: string): number | undefined {
  const at = Number(id.slice(id.lastIndexOf('|') + 1));
  return id.includes('|') && Number.isFinite(at) ? at : undefined;
}

export function notification(
  hostname: string,
  kind: NotificationKind,
  severity: Severity,
  at: number,
  message: string,
  details: Record<string, string> = {},
  subject?: string,
): Notification {
  return {
    id: notificationId(hostname, kind, at, subject), hostname, kind, severity, at, message, details,
    incident: incidentKey({ hostname, kind, at, details }, subject),
  };
}

/** 3725000 → "1h 2m 5s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [d && `${d}d`, h && `${h}h`, m && `${m}m`, (s || total === 0) && `${s}s`].filter(Boolean);
  return parts.join(' ');
}
