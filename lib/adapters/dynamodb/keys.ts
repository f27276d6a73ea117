/**
 * Key layouts, in one place so writers and readers cannot disagree. docs/DATA-MODEL.md explains
 * each choice.
 */
import type { LogLevel } from '../../domain/model';

/**
 * Write shards of the hot partitions: one app's records of one day and level, and the fleet's
 * notifications of one day, each spread over this many partition keys by a suffix computed from
 * the record, so a burst is not capped by one key's throughput (1,000 write units a second on
 * DynamoDB). Readers query every shard in parallel, plus the unsharded key that items written
 * before sharding carry. Changing a count after deploying would hide items from readers: it is
 * a constant, not a setting.
 */
export const LOG_APP_SHARDS = 16;
export const NOTIFICATION_DAY_SHARDS = 16;

/**
 * FNV-1a (32 bits) over UTF-16 code units, then MurmurHash3's finaliser: FNV's low bits alone
 * follow the parity of the input (ids that differ in one digit pair up), the finaliser spreads
 * every bit over them. Cheap, pure and stable across runtimes.
 */
export function shardOf(value: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % shards;
}

/**
 * Logs partition: one per app, UTC day, level and shard, so a time range with a level floor is a
 * few Queries. The shard comes last, after the fixed-format day and level, so keys stay
 * injective whatever the app's name; without one it is the key items had before sharding.
 */
export function logAppKey(app: string, day: string, level: LogLevel, shard?: number): string {
  return shard === undefined ? `A#${app}#${day}#${level}` : `A#${app}#${day}#${level}#${shard}`;
}

/** The shard of a log record: from its host and id, so a redelivery lands on the same key. */
export function logShardOf(hostname: string, id: string): number {
  return shardOf(`${hostname}\u0000${id}`, LOG_APP_SHARDS);
}

/** Every partition key a reader of one app, day and level queries: each shard, then the unsharded key. */
export function logAppKeys(app: string, day: string, level: LogLevel): string[] {
  return [...Array.from({ length: LOG_APP_SHARDS }, (_, s) => logAppKey(app, day, level, s)), logAppKey(app, day, level)];
}

/** The notifications `byDay` index partition: the UTC day and a shard of the notification's id. */
export function notificationDayKey(day: string, id: string): string {
  return `${day}#${shardOf(id, NOTIFICATION_DAY_SHARDS)}`;
}

/** Every `byDay` partition of one day: each shard, then the unsharded day. */
export function notificationDayKeys(day: string): string[] {
  return [...Array.from({ length: NOTIFICATION_DAY_SHARDS }, (_, s) => `${day}#${s}`), day];
}

/** The byHost index partition: the same split, per host. */
export function logHostKey(hostname: string, day: string, level: LogLevel): string {
  return `H#${hostname}#${day}#${level}`;
}

/** The sparse byError index partition: the whole fleet's records at one level (error or above) on one day, in the shard of logShardOf. */
export function logErrorKey(day: string, level: LogLevel, shard: number): string {
  return `E#${day}#${level}#${shard}`;
}

/** Every byError partition of one day and level: the fleet's errors are sharded as one app's records are. */
export function logErrorKeys(day: string, level: LogLevel): string[] {
  return Array.from({ length: LOG_APP_SHARDS }, (_, s) => logErrorKey(day, level, s));
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

/** The fleet's counts, as the last pass saw them: beside the monitor item, not in it (docs/DATA-MODEL.md). */
export const HOST_COUNTS_KEY = { pk: 'MONITOR', sk: 'host-counts' } as const;

/** Epoch seconds after which DynamoDB TTL may delete an item. */
export function expiresAt(fromMs: number, days: number): number {
  return Math.floor(fromMs / 1000 + days * 86_400);
}
