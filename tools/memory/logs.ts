import type { LogRecord } from '../../lib/domain/model';
import { dayOf, daysBetween } from '../../lib/domain/model/days';
import type { LogsPort, LogEntry, LogQuery, LogWrite, RefusedRecord, StoredLogRecord } from '../../lib/ports';
import { BATCH_WRITE_LIMIT } from '../../lib/adapters/dynamodb/batch-write';
import { logSortBound } from '../../lib/adapters/dynamodb/keys';
import { BATCH_GET_LIMIT, FLEET_ERROR_FLOOR, itemToRecord, pageOf, recordToItem } from '../../lib/adapters/dynamodb/logs';
import { copy, type Item } from './item';
import { OutOfTimeError } from '../../lib/ports';

/** DynamoDB's largest item. */
const ITEM_BYTES = 400 * 1024;

/** An item's size as DynamoDB counts it, closely enough to tell a refused record from a stored one. */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return 21;
  if (typeof value === 'boolean' || value === null) return 1;
  if (value !== null && typeof value === 'object') {
    return 3 + Object.entries(value).reduce((t, [k, v]) => t + Buffer.byteLength(k) + sizeOf(v) + 1, 0);
  }
  return 0;
}

/** What DynamoDB answers an item over its limit with: a refusal (poison), not a transient failure. */
function tooLarge(): Error {
  const e = new Error('Item size has exceeded the maximum allowed size');
  e.name = 'ValidationException';
  return e;
}

const keyOf = (item: Item): string => `${item.pk as string}\u0000${item.sk as string}`;

/**
 * The logs table in memory: the same items (lib/adapters/dynamodb/logs.ts `recordToItem`), written once per
 * key, created only when not stored already, refused when over DynamoDB's item size; read newest
 * first, day by day, as its partitions and indexes read.
 */
export class MemoryLogs implements LogsPort {
  private readonly items = new Map<string, Item>();

  async write(entries: readonly LogEntry[], ttlDays: number, mayStart?: (needMs: number) => boolean): Promise<LogWrite> {
    const byKey = new Map<string, { item: Item; record: LogRecord; owners: Set<string> }>();
    for (const e of entries) {
      const item = recordToItem(e.record, e.receivedAt, ttlDays);
      const owners = byKey.get(keyOf(item))?.owners ?? new Set<string>();
      owners.add(e.owner);
      byKey.set(keyOf(item), { item, record: e.record, owners });
    }
    const all = [...byKey.values()];
    const out = { calls: 0, readCalls: 0, failed: new Map<string, unknown>(), refused: [] as RefusedRecord[], created: [] as LogRecord[] };
    for (let i = 0; i < all.length; i += BATCH_GET_LIMIT) {
      const unit = all.slice(i, i + BATCH_GET_LIMIT);
      if (mayStart && !mayStart(0)) {
        const error = new OutOfTimeError(unit.length);
        for (const s of unit) for (const o of s.owners) out.failed.set(o, error);
        continue;
      }
      out.readCalls++;
      const fresh = unit.filter((s) => !this.items.has(keyOf(s.item)));
      out.calls += Math.ceil(fresh.length / BATCH_WRITE_LIMIT);
      for (const s of fresh) {
        if (sizeOf(s.item) > ITEM_BYTES) {
          out.refused.push({ record: s.record, owners: [...s.owners], error: tooLarge() });
          continue;
        }
        this.items.set(keyOf(s.item), copy(s.item));
        out.created.push(s.record);
      }
    }
    return out;
  }

  async query(q: LogQuery): Promise<StoredLogRecord[]> {
    if (q.app !== undefined && q.host !== undefined) throw new Error('a log query names at most one of app and host');
    if (q.app === undefined && q.host === undefined && q.minLevel < FLEET_ERROR_FLOOR) throw new Error('a fleet-wide log query reads errors and above only: name an app or a host for lower levels');
    const to = logSortBound(q.until - 0.001) + '~';
    const from = logSortBound(q.since);
    const upper = q.before !== undefined && q.before < to ? q.before : to;
    const out: StoredLogRecord[] = [];
    if (upper < from) return out;
    const matches = (i: Item): boolean => (q.host !== undefined ? i.hostname === q.host : q.app !== undefined ? i.app === q.app : true)
      && Number(i.level) >= q.minLevel
      && (i.sk as string) >= from && (i.sk as string) <= upper
      && (q.before === undefined || (i.sk as string) < q.before)
      && (q.grep === undefined || (i.text as string).includes(q.grep));
    for (const day of daysBetween(q.since, Math.max(q.since, q.until - 1))) {
      const found = [...this.items.values()]
        .filter((i) => dayOf(Number(i.ts) * 1000) === day && matches(i))
        .sort((a, b) => ((a.sk as string) < (b.sk as string) ? 1 : (a.sk as string) > (b.sk as string) ? -1 : 0));
      out.push(...found.slice(0, q.limit - out.length).map((item) => itemToRecord(copy(item))));
      if (out.length >= q.limit) break;
    }
    return out;
  }

  async page(q: LogQuery): Promise<{ records: StoredLogRecord[]; next: string | undefined }> {
    return pageOf((query) => this.query(query), q);
  }
}
