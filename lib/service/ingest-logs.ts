import type { LogLevel, LogRecord } from '../model';
import type { LogStore, RefusedRecord } from '../store/logs';
import { refusalReason } from '../store/refusal';
import type { Quarantine } from '../store/quarantine';
import type { StatsStore, LevelCounts } from '../store/stats';
import { dayOf } from '../model/days';
import { encodeBody } from '../wire/codec';
import type { dts } from '../wire/generated/dts.js';
import { decodeRecord, receivedAtOf, receiveCountOf, type SqsRecordLike } from '../wire/sqs-record';
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

/**
 * The invocation's clock. Ingest starts no new write once less than `reserveMs` remains, and
 * reports the messages it could not finish as failures, so they come back (rather than the
 * whole batch timing out and every message, done or not, being received again).
 */
export interface TimeBudget {
  readonly remainingMs: () => number;
  readonly reserveMs: number;
}

/** Time kept back for the calls in flight, the quarantines, the counters and the response. */
export const DEFAULT_RESERVE_MS = 5_000;

export interface LogOutcome {
  readonly stored: number;
  readonly rejected: number;
  /** Records the table refused for their content, quarantined with the reason. */
  readonly refused: number;
  readonly batchWriteCalls: number;
  /** Records counted now: those this invocation created. A record stored before is not counted again. */
  readonly counted: number;
  /** BatchGetItem calls that asked which records were stored already. */
  readonly batchGetCalls: number;
  /** Messages that must come back: the error each failed with. Poison is not among them. */
  readonly failures: Map<string, unknown>;
}

/** `[app@hostname 1700000000.123456] text`, as LogTracer wrote it. */
export function legacyLine(r: LogRecord): string {
  return `[${r.app}@${r.hostname} ${r.timestamp.toFixed(6)}] ${r.text}`;
}

type Message = SqsRecordLike & PoisonRecord;

// In `u` mode a surrogate pair is one code point, so this matches only a lone surrogate.
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu;
const wellFormed = (s: string | null | undefined) => (s ?? '').replace(LONE_SURROGATE, '\uFFFD');

/**
 * Some records of a message, re-encoded as a LogBatch for the DLQ. Protobuf carries UTF-8, which
 * has no lone surrogates: they become U+FFFD here (the reason names the field that had one), so
 * the quarantined body always decodes.
 */
function quarantinedBatch(records: readonly (dts.ILogMessage | LogRecord)[]): string {
  return encodeBody('dts.LogBatch', {
    records: records.map((r) => ({
      ...r, app: wellFormed(r.app), hostname: wellFormed(r.hostname), text: wellFormed(r.text), id: wellFormed(r.id),
      fields: Object.fromEntries(Object.entries(r.fields ?? {}).map(([k, v]) => [wellFormed(k), wellFormed(v)])),
    })),
  });
}

/**
 * The valid records of one SQS message (a LogMessage or a LogBatch). Records that fail
 * validation are quarantined, together and with their reasons, and do not cost the others.
 */
async function recordsOf(d: LogIngest, m: Message, receivedAt: number): Promise<{ records: LogRecord[]; rejected: number }> {
  const decoded = decodeRecord(m, 'dts.LogMessage', ['dts.LogMessage', 'dts.LogBatch']);
  if (!decoded.ok) {
    await quarantine(d.quarantine, d.log, m, decoded.error);
    return { records: [], rejected: 1 };
  }
  if (decoded.value.type === 'dts.LogMessage') {
    const one = validateLogRecord(decoded.value.message, receivedAt, d.limits);
    if (one.ok) return { records: [one.value], rejected: 0 };
    await quarantine(d.quarantine, d.log, m, one.error);
    return { records: [], rejected: 1 };
  }
  const batch = validateLogBatch(decoded.value.message, receivedAt, d.limits);
  if (!batch.ok) {
    await quarantine(d.quarantine, d.log, m, batch.error);
    return { records: [], rejected: 1 };
  }
  const { records, rejected } = batch.value;
  if (rejected.length > 0) {
    const body = quarantinedBatch(rejected.map((r) => r.message));
    const reasons = rejected.slice(0, 5).map((r) => `${r.field}: ${r.reason}`).join('; ');
    await quarantine(
      d.quarantine,
      d.log,
      { messageId: m.messageId, body, messageAttributes: { 'dts-type': { stringValue: 'dts.LogBatch', dataType: 'String' } } },
      { field: 'records', reason: `${rejected.length} of ${rejected.length + records.length} records rejected: ${reasons}` },
    );
  }
  return { records, rejected: rejected.length };
}

/**
 * The SQS messages of one invocation. Their records share the BatchWriteItem calls (25 items
 * each) and the counter updates (one per app and day, with one ADD per level), so a fleet of
 * quiet hosts, each sending a record at a time, still writes in full batches. A message fails
 * on its own: when a write that held its records fails, or when it could not be quarantined;
 * the rest of the invocation is stored.
 */
export async function ingestLogMessages(d: LogIngest, messages: readonly Message[], budget?: TimeBudget): Promise<LogOutcome> {
  const failures = new Map<string, unknown>();
  const parsed = await Promise.all(messages.map(async (m) => {
    // One receive time per message: what validation judged is what is stored.
    const receivedAt = receivedAtOf(m, d.now());
    try {
      return { m, receivedAt, ...(await recordsOf(d, m, receivedAt)) };
    } catch (error) {
      failures.set(m.messageId, error);
      return { m, receivedAt, records: [] as LogRecord[], rejected: 0 };
    }
  }));
  // Chunks start in this order, so when time runs short the messages deferred before go first:
  // a message is never sent back so often that SQS moves it to the DLQ for lack of time.
  const order = [...parsed].sort((a, b) => receiveCountOf(b.m) - receiveCountOf(a.m));
  const entries = order.flatMap(({ m, receivedAt, records }) => records.map((record) => ({ record, receivedAt, owner: m.messageId })));
  // The reserve is at most a quarter of the time this invocation had, so a short timeout still works.
  const reserve = budget ? Math.min(budget.reserveMs, budget.remainingMs() / 4) : 0;
  const mayStart = budget ? () => budget.remainingMs() > reserve : undefined;
  const written = await d.logs.write(entries, d.ttlDays, mayStart);
  for (const [owner, error] of written.failed) failures.set(owner, error);
  const refused = await quarantineRefused(d, messages, written.refused, failures);

  const stored = parsed
    .filter((p) => p.records.length > 0 && !failures.has(p.m.messageId))
    .map((p) => ({ m: p.m, records: refused.size ? p.records.filter((r) => !refused.has(r)) : p.records }));
  if (d.mirror) for (const p of stored) for (const r of p.records) d.mirror(r);
  const counted = await countCreated(d, written.created);
  return {
    stored: stored.reduce((n, p) => n + p.records.length, 0),
    rejected: parsed.reduce((n, p) => n + p.rejected, 0),
    refused: written.refused.length,
    batchWriteCalls: written.calls,
    batchGetCalls: written.readCalls,
    counted,
    failures,
  };
}

/** One message alone: what a batch of one does, with its failure thrown. */
export async function ingestLogMessage(d: LogIngest, message: Message): Promise<Omit<LogOutcome, 'failures' | 'refused'>> {
  const { failures, refused: _refused, ...outcome } = await ingestLogMessages(d, [message]);
  const failure = failures.get(message.messageId);
  if (failure !== undefined) throw failure;
  return outcome;
}

/**
 * Records the table refused for their content (poison): each message that sent some is
 * acknowledged, its refused records quarantined as a LogBatch with the table's reason, and its
 * other records stay stored. A quarantine that fails fails the message, which comes back.
 */
async function quarantineRefused(
  d: LogIngest,
  messages: readonly Message[],
  refused: readonly RefusedRecord[],
  failures: Map<string, unknown>,
): Promise<Set<LogRecord>> {
  const byOwner = new Map<string, RefusedRecord[]>();
  for (const r of refused) {
    const owner = r.owners[0] as string;
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), r]);
  }
  await Promise.all([...byOwner].map(async ([owner, rs]) => {
    const m = messages.find((x) => x.messageId === owner);
    const body = quarantinedBatch(rs.map((r) => r.record));
    const reason = `${rs.length} record${rs.length > 1 ? 's' : ''} refused by the table: ${refusalReason(rs[0]?.error)}`;
    try {
      await quarantine(d.quarantine, d.log, {
        messageId: m?.messageId ?? owner, body, messageAttributes: { 'dts-type': { stringValue: 'dts.LogBatch', dataType: 'String' } },
      }, { field: `records[id=${rs[0]?.record.id}]`, reason });
    } catch (error) {
      failures.set(owner, error);
    }
  }));
  return new Set(refused.map((r) => r.record));
}

/**
 * Per-app daily counters, for the records this invocation created: a record stored already (by
 * a redelivery of its message, or in another body) is not counted again. One UpdateItem per app
 * and day for the whole invocation. The records are stored before they are counted, so a
 * failure here can lose counts, never records.
 */
async function countCreated(d: LogIngest, created: readonly LogRecord[]): Promise<number> {
  const byAppDay = new Map<string, { app: string; day: string; counts: LevelCounts }>();
  for (const r of created) {
    const day = dayOf(r.timestamp * 1000);
    const key = `${r.app}\u0000${day}`;
    let entry = byAppDay.get(key);
    if (!entry) byAppDay.set(key, (entry = { app: r.app, day, counts: {} }));
    entry.counts[r.level as LogLevel] = (entry.counts[r.level as LogLevel] ?? 0) + 1;
  }
  await Promise.all([...byAppDay.values()].map((e) => d.stats.addCounts(e.app, e.day, e.counts).catch((error: unknown) => {
    d.log.error('could not add daily counts; the records are stored', { app: e.app, day: e.day, error: String(error) });
  })));
  return created.length;
}
