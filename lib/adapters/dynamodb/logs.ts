import { BatchGetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LEVEL_NUMBERS, type LogLevel, type LogRecord } from '../../domain/model';
import { BATCH_WRITE_LIMIT, batchPutEach, type RetryPolicy } from './batch-write';
import { isPoison } from '../../domain/ingest/refusal';
import { dayOf, daysBetween } from '../../domain/model/days';
import { expiresAt, logAppKey, logAppKeys, logErrorKey, logErrorKeys, logHostKey, logShardOf, logSortBound, logSortKey } from './keys';
import type { LogEntry, LogQuery, LogsPort, LogWrite, RefusedRecord, StoredLogRecord } from '../../ports';
import { OutOfTimeError } from '../../ports';

/** Levels the sparse byError index holds: the fleet-wide error view reads only these. */
export const FLEET_ERROR_FLOOR: LogLevel = 40;
type Item = Record<string, unknown>;

/** A record to write, once per key, with every message that sent it. */
interface Slot {
  readonly item: Item;
  readonly record: LogRecord;
  readonly owners: Set<string>;
}

/** DynamoDB takes at most 100 keys in one BatchGetItem: the records of one unit. */
export const BATCH_GET_LIMIT = 100;
/** Units written at once. */
export const UNITS_IN_FLIGHT = 8;

/** One partition a log query reads: of the table (by app) or of an index (by host, fleet-wide errors). */
interface Partition {
  readonly index: 'byHost' | 'byError' | undefined;
  readonly attribute: 'pk' | 'hostPk' | 'errorPk';
  readonly pk: string;
}

const keyOf = (item: Item): string => `${item.pk as string}\u0000${item.sk as string}`;

export function recordToItem(r: LogRecord, receivedAt: number, ttlDays: number): Item {
  const ms = r.timestamp * 1000;
  const day = dayOf(ms);
  // The write shard of the hot partitions (docs/DATA-MODEL.md, "Write sharding").
  const shard = logShardOf(r.hostname, r.id);
  return {
    pk: logAppKey(r.app, day, r.level, shard),
    sk: logSortKey(r.timestamp, r.hostname, r.id),
    hostPk: logHostKey(r.hostname, day, r.level),
    // Sparse: only errors and above enter the byError index, so the fleet-wide view costs nothing for the rest.
    ...(r.level >= FLEET_ERROR_FLOOR ? { errorPk: logErrorKey(day, r.level, shard) } : {}),
    app: r.app,
    hostname: r.hostname,
    ts: r.timestamp,
    level: r.level,
    text: r.text,
    ...(Object.keys(r.fields).length ? { fields: r.fields } : {}),
    id: r.id,
    receivedAt,
    expiresAt: expiresAt(Math.max(ms, receivedAt), ttlDays),
  };
}

/** A stored item read back as the record it holds, with its sort key as its cursor. */
export function itemToRecord(item: Item): StoredLogRecord {
  return {
    app: item.app as string,
    hostname: item.hostname as string,
    timestamp: Number(item.ts),
    level: Number(item.level) as LogLevel,
    text: item.text as string,
    fields: (item.fields as Record<string, string> | undefined) ?? {},
    id: item.id as string,
    cursor: item.sk as string,
  };
}

export class LogStore implements LogsPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retry?: RetryPolicy,
  ) {}

  /**
   * Store records idempotently: the key is derived from the record's own id, so a redelivered
   * message overwrites its rows instead of adding new ones. Records of many SQS messages share
   * the BatchWriteItem calls; a call that fails for good fails the messages (owners) whose
   * records it held, and only them.
   *
   * The records go in units of 100: one keys-only BatchGetItem asks which the table holds
   * already, then the others are written, 25 a call. Each unit is finished before it counts, so
   * an invocation whose time runs out (`mayStart` says no to a unit as long as the longest so
   * far: no new unit starts) keeps everything it finished, and its next delivery skips it. A unit's writes go at once, so a unit takes
   * about two calls' time: that, not the whole write, is what the caller's reserve must cover.
   * Eight units are in flight, so up to 32 calls.
   */
  async write(entries: readonly LogEntry[], ttlDays: number, mayStart?: (needMs: number) => boolean): Promise<LogWrite> {
    // A BatchWriteItem may not name one key twice; the later duplicate wins, as a redelivery
    // would, and every message that sent the record owns the write.
    const byKey = new Map<string, Slot>();
    for (const e of entries) {
      const item = recordToItem(e.record, e.receivedAt, ttlDays);
      const key = keyOf(item);
      const owners = byKey.get(key)?.owners ?? new Set<string>();
      owners.add(e.owner);
      byKey.set(key, { item, record: e.record, owners });
    }
    const all = [...byKey.values()];
    const units: Slot[][] = [];
    for (let i = 0; i < all.length; i += BATCH_GET_LIMIT) units.push(all.slice(i, i + BATCH_GET_LIMIT));
    const total: { calls: number; readCalls: number; failed: Map<string, unknown>; refused: RefusedRecord[]; created: LogRecord[] } = {
      calls: 0, readCalls: 0, failed: new Map(), refused: [], created: [],
    };
    let next = 0;
    // The longest a unit took so far: a unit started now should take about as long (a slow or
    // busy table makes every unit slower), so none starts that would not end in time.
    let longestMs = 0;
    const worker = async (): Promise<void> => {
      while (next < units.length) {
        const unit = units[next++] as Slot[];
        if (mayStart && !mayStart(longestMs)) {
          const error = new OutOfTimeError(unit.length);
          for (const s of unit) for (const o of s.owners) total.failed.set(o, error);
          continue;
        }
        const began = Date.now();
        await this.writeUnit(unit, total);
        longestMs = Math.max(longestMs, Date.now() - began);
      }
    };
    await Promise.all(Array.from({ length: Math.min(UNITS_IN_FLIGHT, units.length) }, worker));
    return total;
  }

  /** One unit: which of its records are stored already, then the others written. */
  private async writeUnit(
    unit: readonly Slot[],
    total: { calls: number; readCalls: number; failed: Map<string, unknown>; refused: RefusedRecord[]; created: LogRecord[] },
  ): Promise<void> {
    // A record stored already (a redelivery, a producer's resend in another body, a message
    // deferred for lack of time) is neither written again nor counted again.
    let present: Set<string>;
    try {
      const found = await this.present(unit.map((s) => s.item));
      present = found.present;
      total.readCalls += found.calls;
    } catch (error) {
      total.readCalls++;
      // Transient: the unit's messages come back. A refusal: ask nothing, and let the writes
      // below find the refused record.
      if (!isPoison(error)) {
        for (const s of unit) for (const o of s.owners) total.failed.set(o, error);
        return;
      }
      present = new Set();
    }
    const slots = unit.filter((s) => !present.has(keyOf(s.item)));
    const { calls, failed } = await batchPutEach(this.ddb, this.table, slots.map((s) => s.item), {
      ...(this.retry ? { retry: this.retry } : {}),
      concurrency: BATCH_GET_LIMIT / BATCH_WRITE_LIMIT,
    });
    total.calls += calls;
    const notWritten = new Set<number>();
    for (const f of failed) {
      for (const i of f.indexes) {
        const slot = slots[i];
        if (!slot) continue;
        notWritten.add(i);
        if (f.poison) total.refused.push({ record: slot.record, owners: [...slot.owners], error: f.error });
        else for (const o of slot.owners) total.failed.set(o, f.error);
      }
    }
    slots.forEach((s, i) => { if (!notWritten.has(i)) total.created.push(s.record); });
  }

  /**
   * The keys among `items` (at most 100) that the table holds already: one BatchGetItem, keys
   * only, eventually consistent (half a read unit per record). Keys still unprocessed after
   * retries count as absent: at worst such a record is written and counted again.
   */
  private async present(items: readonly Item[]): Promise<{ present: Set<string>; calls: number }> {
    const present = new Set<string>();
    let calls = 0;
    let keys: Record<string, unknown>[] = items.map((item) => ({ pk: item.pk, sk: item.sk }));
    for (let attempt = 0; keys.length > 0 && attempt < 4; attempt++) {
      calls++;
      const out = await this.ddb.send(new BatchGetCommand({
        RequestItems: { [this.table]: { Keys: keys, ProjectionExpression: 'pk, sk' } },
      }));
      for (const found of out.Responses?.[this.table] ?? []) present.add(keyOf(found));
      keys = (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, unknown>[];
    }
    return { present, calls };
  }

  /**
   * Records newest first, in O(results) reads: one Query per (day, level) partition at or above
   * the floor (per write shard, for an app or the fleet), each bounded by the limit, merged.
   * Never a Scan.
   */
  async query(q: LogQuery): Promise<StoredLogRecord[]> {
    if (q.app !== undefined && q.host !== undefined) throw new Error('a log query names at most one of app and host');
    if (q.app === undefined && q.host === undefined && q.minLevel < FLEET_ERROR_FLOOR) throw new Error('a fleet-wide log query reads errors and above only: name an app or a host for lower levels');
    const levels = LEVEL_NUMBERS.filter((l) => l >= q.minLevel);
    const out: StoredLogRecord[] = [];
    for (const day of daysBetween(q.since, Math.max(q.since, q.until - 1))) {
      const partitions = levels.flatMap((level): Partition[] => (
        q.host !== undefined ? [{ index: 'byHost', attribute: 'hostPk', pk: logHostKey(q.host, day, level) }]
          : q.app !== undefined ? logAppKeys(q.app, day, level).map((pk) => ({ index: undefined, attribute: 'pk', pk }))
            : logErrorKeys(day, level).map((pk) => ({ index: 'byError', attribute: 'errorPk', pk }))));
      const pages = await Promise.all(partitions.map((p) => this.queryPartition(q, p, q.limit - out.length)));
      const merged = pages.flat().sort((a, b) => (a.cursor < b.cursor ? 1 : a.cursor > b.cursor ? -1 : 0));
      out.push(...merged.slice(0, q.limit - out.length));
      if (out.length >= q.limit) break;
    }
    return out;
  }

  /** One page, newest first, and the cursor of the next when there is more. */
  async page(q: LogQuery): Promise<{ records: StoredLogRecord[]; next: string | undefined }> {
    return pageOf((query) => this.query(query), q);
  }

  private async queryPartition(q: LogQuery, { index, attribute, pk }: Partition, limit: number): Promise<StoredLogRecord[]> {
    // '#' sorts before digits, so every key of the last microsecond before `until` is included.
    const to = logSortBound(q.until - 0.001) + '~';
    const from = logSortBound(q.since);
    // BETWEEN is inclusive: the cursor's own record comes back and is dropped below.
    const upper = q.before !== undefined && q.before < to ? q.before : to;
    if (upper < from) return [];
    const records: StoredLogRecord[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        ...(index ? { IndexName: index } : {}),
        KeyConditionExpression: `${attribute} = :pk AND sk BETWEEN :from AND :to`,
        ...(q.grep ? { FilterExpression: 'contains(#text, :grep)', ExpressionAttributeNames: { '#text': 'text' } } : {}),
        ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': upper, ...(q.grep ? { ':grep': q.grep } : {}) },
        ScanIndexForward: false,
        Limit: limit + 1,
        ExclusiveStartKey: start,
      }));
      records.push(...(page.Items ?? []).map(itemToRecord).filter((r) => q.before === undefined || r.cursor < q.before));
      start = page.LastEvaluatedKey;
    } while (start && records.length < limit);
    return records.slice(0, limit);
  }
}

/** One page of a newest-first query, and the cursor of the next: one record more is asked for to know. */
export async function pageOf(query: (q: LogQuery) => Promise<StoredLogRecord[]>, q: LogQuery): Promise<{ records: StoredLogRecord[]; next: string | undefined }> {
  const found = await query({ ...q, limit: q.limit + 1 });
  const records = found.slice(0, q.limit);
  return { records, next: found.length > q.limit ? records[records.length - 1]?.cursor : undefined };
}
