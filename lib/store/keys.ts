/**
 * Key layouts, in one place so writers and readers cannot disagree. docs/DATA-MODEL.md explains
 * each choice.
 */
import type { LogLevel } from '../model';

/** Logs partition: one per app, UTC day and level, so a time range with a level floor is a few Queries. */
export function logAppKey(app: string, day: string, level: LogLevel): string {
  return `A#${app}#${day}#${level}`;
}

/** The byHost index partition: the same split, per host. */
export function logHostKey(hostname: string, day: string, level: LogLevel): string {
  return `H#${hostname}#${day}#${level}`;
}

/** The sparse byError index partition: the whole fleet's records at one level (error or above) on one day. */
export function logErrorKey(day: string, level: LogLevel): string {
  return `E#${day}#${level}`;
}

/**
 * Log sort key: microseconds since the epoch, zero-padded so strings sort as numbers, then the
 * host and the record's id, which make it unique and idempotent. The host is escaped (`%` and
 * `#` as %25 and %23), so the first `#` after it always ends it: host `hx#a` with id `b` and
 * host `hx` with id `a#b` are two keys. A host without `%` or `#` is written as before, so keys
 * stored before the escaping stay the keys of their records.
 */
export function logSortKey(timestampSeconds: number, hostname: string, id: string): string {
  return `${microsKey(timestampSeconds * 1000)}#${escapeKeyPart(hostname)}#${id}`;
}

/** `%` → %25 and `#` → %23: injective, and the identity on the strings that hold neither. */
export function escapeKeyPart(part: string): string {
  return part.replace(/[%#]/g, (c) => (c === '%' ? '%25' : '%23'));
}

/** The sort-key bound for a time in milliseconds: every record at or after it sorts ≥ this. */
export function logSortBound(ms: number): string {
  return microsKey(ms);
}

function microsKey(ms: number): string {
  return String(Math.max(0, Math.round(ms * 1000))).padStart(17, '0');
}

/** Notifications sort by time within a host, and within a day in the byDay index. */
export function notificationSortKey(at: number, id: string): string {
  return `${new Date(at).toISOString()}#${id}`;
}

export function countersKey(app: string): string {
  return `APP#${app}`;
}

export const MONITOR_KEY = { pk: 'MONITOR', sk: 'diagnose' } as const;

/** Epoch seconds after which DynamoDB TTL may delete an item. */
export function expiresAt(fromMs: number, days: number): number {
  return Math.floor(fromMs / 1000 + days * 86_400);
}
