import type { LogLevel, LogRecord } from '../../domain/model';
import type { CountsPort, LogsPort, QuarantinePort, RefusedRecord, LevelCounts } from '../../ports';
import { refusalReason } from '../../domain/ingest/refusal';
import { dayOf } from '../../domain/model/days';
import { encodeBody } from '../../wire/codec';
import type { dts } from '../../wire/generated/dts';
import { decodeRecord, receivedAtOf, receiveCountOf, type SqsRecordLike } from '../../wire/sqs-record';
import { validateLogBatch, validateLogRecord, type Limits } from '../../wire/validate';
import type { Log } from '../log';
import { quarantine, type PoisonRecord } from './poison';
import { OutOfTimeError } from '../../ports';
import type { LogRulesPort } from '../../ports';
import { RuleTally, type RuleIndex } from '../rules/count';

export interface LogIngest {
  readonly logs: LogsPort;
  readonly stats: Pick<CountsPort, 'addCounts'>;
  readonly quarantine: QuarantinePort | undefined;
  readonly limits: Limits;
  readonly ttlDays: number;
  /** Re-log each record in the legacy LogTracer format, or not at all. */
  readonly mirror: ((record: LogRecord) => void) | undefined;
  readonly log: Log;
  readonly now: () => number;
  /**
   * The queue's redrive limit (maxReceiveCount). A message still unfinished for lack of time at
   * this receive would be moved to the DLQ by SQS with no reason; it is quarantined instead, with
   * one. Absent: SQS's redrive decides.
   */
  readonly maxReceiveCount?: number;
  /** Log rules to count for (docs/RULES.md): the cached rules, and where the counts go. Without it, none. */
  readonly rules?: { readonly index: () => Promise<RuleIndex>; readonly store: Pick<LogRulesPort, 'addMinutes'> };
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
  /** Counter writes of log rules: one per minute the records fall in, whatever the number of rules (samples aside: docs/DATA-MODEL.md). */
  readonly ruleWrites?: number;
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
 * Records a group gathers before it is written. Small messages share a group, so a fleet of
 * quiet hosts, each sending a record at a time, still writes in full BatchWriteItem calls; a
 * full LogBatch (10,000 records) is a group of its own. Groups are what bounds the work done
 * before the time budget is next asked: no message is decoded, checked or written once it says no.
 */
export const GROUP_RECORDS = 1_000;

interface Parsed {
  readonly m: Message;
  readonly receivedAt: number;
  readonly records: LogRecord[];
}

/**
 * The SQS messages of one invocation, a group at a time (see GROUP_RECORDS). The records of a
 * group share the BatchWriteItem calls (25 items each) and the counter updates (one per app and
 * day, with one ADD per level). A message fails on its own: when a write that held its records
 * fails, when it could not be quarantined, or when the time budget ran out before it was
 * finished; the rest of the invocation is stored.
 */
export async function ingestLogMessages(d: LogIngest, messages: readonly Message[], budget?: TimeBudget): Promise<LogOutcome> {
  const failures = new Map<string, unknown>();
  // The reserve is at most a quarter of the time this invocation had, so a short timeout still works.
  const reserve = budget ? Math.min(budget.reserveMs, budget.remainingMs() / 4) : 0;
  // Work expected to take `needMs` (the store passes the longest unit it has written) starts
  // only if it would end before the reserve. The longest seen holds for the whole invocation: a
  // new group's first units take as long as the last group's did.
  let longestMs = 0;
  const mayStart = budget
    ? (needMs = 0) => budget.remainingMs() > reserve + (longestMs = Math.max(longestMs, needMs))
    : () => true;
  // Messages deferred before go first: a message is never sent back so often that SQS moves it
  // to the DLQ for lack of time.
  const order = [...messages].sort((a, b) => receiveCountOf(b) - receiveCountOf(a));
  const total = { stored: 0, rejected: 0, refused: 0, batchWriteCalls: 0, batchGetCalls: 0, counted: 0 };
  // Rules count the records the invocation created, and write once at its end.
  const tally = d.rules ? new RuleTally(await d.rules.index()) : undefined;
  let next = 0;
  while (next < order.length && mayStart()) {
    const group: Parsed[] = [];
    for (let size = 0; next < order.length && size < GROUP_RECORDS && mayStart();) {
      const m = order[next++] as Message;
      // One receive time per message: what validation judged is what is stored.
      const receivedAt = receivedAtOf(m, d.now());
      try {
        const { records, rejected } = await recordsOf(d, m, receivedAt);
        group.push({ m, receivedAt, records });
        size += records.length;
        total.rejected += rejected;
      } catch (error) {
        failures.set(m.messageId, error);
      }
    }
    const done = await storeGroup(d, group, mayStart, failures, tally);
    total.stored += done.stored;
    total.refused += done.refused;
    total.batchWriteCalls += done.batchWriteCalls;
    total.batchGetCalls += done.batchGetCalls;
    total.counted += done.counted;
  }
  for (const m of order.slice(next)) failures.set(m.messageId, new OutOfTimeError(0, 'message not started'));
  const ruleWrites = tally && d.rules && !tally.empty ? (await tally.flush(d.rules.store, d.log)).writes : 0;
  await quarantineLastChances(d, order, failures);
  return { ...total, failures, ...(d.rules ? { ruleWrites } : {}) };
}

/**
 * A message out of time on its last receive goes to the DLQ now, with the reason, rather than
 * be moved there by SQS's redrive with none. What it stored stays stored (and counted); a
 * redrive of it from the DLQ resumes with the rest, skipping what is there. Each quarantine is
 * one SendMessage, within the budget's reserve. If it fails, the message fails as before.
 */
async function quarantineLastChances(d: LogIngest, messages: readonly Message[], failures: Map<string, unknown>): Promise<void> {
  const limit = d.maxReceiveCount;
  if (limit === undefined || !d.quarantine) return;
  const last = messages.filter((m) => failures.get(m.messageId) instanceof OutOfTimeError && receiveCountOf(m) >= limit);
  await Promise.all(last.map(async (m) => {
    try {
      await quarantine(d.quarantine, d.log, m, {
        field: 'message',
        reason: `not finished in ${receiveCountOf(m)} receives: the time budget ran out each time; the records stored so far stay stored, and a redrive resumes with the rest`,
      });
      failures.delete(m.messageId);
    } catch (error) {
      d.log.error('could not quarantine a message out of time; SQS will redrive it without a reason', { messageId: m.messageId, error: String(error) });
    }
  }));
}

/**
 * One group: its records written (those stored already are skipped), the records the table
 * refused quarantined, the rest mirrored and counted. Counting each group as it is stored keeps
 * the counts of what was stored even if a later group does not finish.
 */
async function storeGroup(
  d: LogIngest,
  group: readonly Parsed[],
  mayStart: (needMs?: number) => boolean,
  failures: Map<string, unknown>,
  tally?: RuleTally,
): Promise<Omit<LogOutcome, 'failures' | 'rejected'>> {
  const entries = group.flatMap(({ m, receivedAt, records }) => records.map((record) => ({ record, receivedAt, owner: m.messageId })));
  if (entries.length === 0) return { stored: 0, refused: 0, batchWriteCalls: 0, batchGetCalls: 0, counted: 0 };
  const written = await d.logs.write(entries, d.ttlDays, mayStart);
  for (const [owner, error] of written.failed) failures.set(owner, error);
  const refused = await quarantineRefused(d, group.map((p) => p.m), written.refused, failures);

  const stored = group
    .filter((p) => p.records.length > 0 && !failures.has(p.m.messageId))
    .map((p) => (refused.size ? p.records.filter((r) => !refused.has(r)) : p.records));
  if (d.mirror) for (const records of stored) for (const r of records) d.mirror(r);
  const counted = await countCreated(d, written.created);
  if (tally && written.created.length > 0) {
    // Messages received in the same millisecond (one message, or one SQS poll) need no lookup.
    const one = group.every((p) => p.receivedAt === group[0]?.receivedAt) ? group[0]?.receivedAt : undefined;
    if (one !== undefined) for (const r of written.created) tally.add(r, one);
    else {
      const receivedAt = new Map(entries.map((e) => [e.record, e.receivedAt] as const));
      for (const r of written.created) tally.add(r, receivedAt.get(r) ?? d.now());
    }
  }
  return {
    stored: stored.reduce((n, records) => n + records.length, 0),
    refused: written.refused.length,
    batchWriteCalls: written.calls,
    batchGetCalls: written.readCalls,
    counted,
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
