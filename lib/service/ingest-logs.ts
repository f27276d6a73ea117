import { createHash } from 'node:crypto';
import type { LogLevel, LogRecord } from '../model';
import type { LogStore } from '../store/logs';
import type { Quarantine } from '../store/quarantine';
import type { StatsStore, LevelCounts } from '../store/stats';
import { dayOf } from '../store/keys';
import { encodeBody } from '../wire/codec';
import { decodeRecord, receivedAtOf, type SqsRecordLike } from '../wire/sqs-record';
import { validateLogBatch, validateLogRecord, type Limits } from '../wire/validate';
import type { Log } from './log';
import { quarantine, type PoisonRecord } from './poison';

export interface LogIngest {
  readonly logs: LogStore;
  readonly stats: StatsStore;
  readonly quarantine: Quarantine | undefined;
  readonly limits: Limits;
  readonly ttlDays: number;
  /** Re-log each record in the legacy LogTracer format, or not at all. */
  readonly mirror: ((record: LogRecord) => void) | undefined;
  readonly log: Log;
  readonly now: () => number;
}

export interface LogOutcome {
  readonly stored: number;
  readonly rejected: number;
  readonly batchWriteCalls: number;
  /** False when this message's records had been counted before (a redelivery). */
  readonly counted: boolean;
}

/** `[app@hostname 1700000000.123456] text`, as LogTracer wrote it. */
export function legacyLine(r: LogRecord): string {
  return `[${r.app}@${r.hostname} ${r.timestamp.toFixed(6)}] ${r.text}`;
}

/**
 * One SQS message of log records: a LogMessage, or a LogBatch. Valid records are stored even
 * when some of their batch-mates are not; those are quarantined together, with their reasons.
 */
export async function ingestLogMessage(d: LogIngest, record: SqsRecordLike & PoisonRecord): Promise<LogOutcome> {
  const receivedAt = receivedAtOf(record, d.now());
  const decoded = decodeRecord(record, 'dts.LogMessage', ['dts.LogMessage', 'dts.LogBatch']);
  if (!decoded.ok) {
    await quarantine(d.quarantine, d.log, record, decoded.error);
    return { stored: 0, rejected: 1, batchWriteCalls: 0, counted: false };
  }

  let records: LogRecord[];
  let rejected = 0;
  if (decoded.value.type === 'dts.LogMessage') {
    const one = validateLogRecord(decoded.value.message, receivedAt, d.limits);
    if (!one.ok) {
      await quarantine(d.quarantine, d.log, record, one.error);
      return { stored: 0, rejected: 1, batchWriteCalls: 0, counted: false };
    }
    records = [one.value];
  } else {
    const batch = validateLogBatch(decoded.value.message, receivedAt, d.limits);
    if (!batch.ok) {
      await quarantine(d.quarantine, d.log, record, batch.error);
      return { stored: 0, rejected: 1, batchWriteCalls: 0, counted: false };
    }
    records = batch.value.records;
    rejected = batch.value.rejected.length;
    if (rejected > 0) {
      const body = encodeBody('dts.LogBatch', { records: batch.value.rejected.map((r) => r.message) });
      const reasons = batch.value.rejected.slice(0, 5).map((r) => `${r.field}: ${r.reason}`).join('; ');
      await quarantine(
        d.quarantine,
        d.log,
        { messageId: record.messageId, body, messageAttributes: { 'dts-type': { stringValue: 'dts.LogBatch', dataType: 'String' } } },
        { field: 'records', reason: `${rejected} of ${rejected + records.length} records rejected: ${reasons}` },
      );
    }
  }

  const batchWriteCalls = await d.logs.write(records, receivedAt, d.ttlDays);
  if (d.mirror) for (const r of records) d.mirror(r);
  const counted = await countOnce(d, record.body, records);
  return { stored: records.length, rejected, batchWriteCalls, counted };
}

/**
 * Per-app daily counters, one UpdateItem per app and day with one ADD per level. A message is
 * counted once: a claim keyed by the digest of its body makes a redelivery (or a producer's
 * resend of the same bytes) count nothing.
 */
async function countOnce(d: LogIngest, body: string, records: readonly LogRecord[]): Promise<boolean> {
  if (records.length === 0) return false;
  const digest = createHash('sha256').update(body).digest('base64url');
  if (!(await d.stats.claimCount(digest, d.now()))) return false;
  const byAppDay = new Map<string, { app: string; day: string; counts: LevelCounts }>();
  for (const r of records) {
    const day = dayOf(r.timestamp * 1000);
    const key = `${r.app}\u0000${day}`;
    let entry = byAppDay.get(key);
    if (!entry) byAppDay.set(key, (entry = { app: r.app, day, counts: {} }));
    entry.counts[r.level as LogLevel] = (entry.counts[r.level as LogLevel] ?? 0) + 1;
  }
  await Promise.all([...byAppDay.values()].map((e) => d.stats.addCounts(e.app, e.day, e.counts)));
  return true;
}
