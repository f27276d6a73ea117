import type { QueueGauge, Watermark } from '../../domain/fleet/watermark';
import type { HeartbeatQueue, IngestMarksStore } from '../../ports';
import { retryDelayMs, watermarkOf } from '../../domain/fleet/watermark';
import { CANARY_TYPE, TYPE_ATTRIBUTE } from '../../wire/attributes';
import { decodeRecord, receiveCountOf, receivedAtOf, type SqsRecordLike } from '../../wire/sqs-record';
import { relayedReceiveTime } from '../../domain/host/relay-stamp';
import type { Log } from '../log';

/**
 * Both ends of the ingest watermark (lib/domain/fleet/watermark.ts): diagnose sends a canary and waits
 * for it; ingest stores it after the beats it came with, or records a hold when beats failed.
 */

export type { HeartbeatQueue, IngestMarksStore } from '../../ports';

export interface WatermarkDeps {
  readonly queue: HeartbeatQueue;
  readonly stats: Pick<IngestMarksStore, 'monitor'>;
  /** How long diagnose waits for its canary before it calls ingest behind. */
  readonly lagWaitMs: number;
  readonly now: () => number;
  /** How often the monitor item is read while waiting; default 100 ms. */
  readonly pollMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Where the watermark stands now. An empty queue says it at once, for one GetQueueAttributes.
 * Otherwise a canary goes through the queue, and the answer waits for it, `lagWaitMs` at most:
 * a healthy ingest stores it within its batching window. A queue that cannot be read, or a
 * canary that cannot be sent, leaves the watermark where ingest last put it, with the reason.
 */
export async function establishWatermark(d: WatermarkDeps): Promise<Watermark> {
  let gauge: QueueGauge;
  try {
    gauge = await d.queue.gauge();
  } catch (e) {
    const marks = (await d.stats.monitor()).ingest;
    return { through: marks.ingestedThrough ?? 0, reasons: [`the heartbeats queue cannot be read: ${(e as Error).message}`] };
  }
  if (gauge.pending === 0) return watermarkOf(gauge, {});
  const at = d.now();
  try {
    await d.queue.sendCanary(at);
  } catch (e) {
    const marks = (await d.stats.monitor()).ingest;
    const w = watermarkOf(gauge, marks);
    return { through: w.through, reasons: [`a canary cannot be sent on the heartbeats queue: ${(e as Error).message}`, ...w.reasons] };
  }
  const until = at + d.lagWaitMs;
  for (;;) {
    const marks = (await d.stats.monitor()).ingest;
    const stored = (marks.canaryAt ?? 0) >= at;
    if (stored || d.now() >= until) return watermarkOf({ ...gauge, at: d.now() }, marks, { at, stored });
    await sleep(Math.min(d.pollMs ?? 100, Math.max(1, until - d.now())));
  }
}

/**
 * The earliest receive time a heartbeats record stands for: its SentTimestamp, or for a relay's
 * HeartbeatBatch the earliest relay stamp in it (bounded as ingest bounds it), since those
 * beats are judged on the relay's time.
 */
export function earliestReceiveTime(record: SqsRecordLike, now: number): number {
  const sentAt = receivedAtOf(record, now);
  const decoded = decodeRecord(record, 'dts.HeartbeatMessage', ['dts.HeartbeatMessage', 'dts.HeartbeatBatch']);
  if (!decoded.ok || decoded.value.type !== 'dts.HeartbeatBatch') return sentAt;
  let earliest = sentAt;
  for (const b of decoded.value.message.beats) {
    const at = relayedReceiveTime(b.receivedAt ?? 0, sentAt);
    if (at.ok && at.value < earliest) earliest = at.value;
  }
  return earliest;
}

/** Time kept back from an invocation's timeout to report what it did not finish and record its hold. */
export const INGEST_RESERVE_MS = 5_000;

/** The error a beat fails with when its invocation runs out of time before it is stored. */
export class OutOfTime extends Error {
  constructor(ms: number) {
    super(`not stored within the invocation's budget (${Math.round(ms)} ms): handed back to SQS, and held`);
    this.name = 'OutOfTime';
  }
}

/**
 * A deadline for the beats of one invocation, `remainingMs − reserveMs` from now: a beat not
 * stored by then fails (and is handed back, and held, by settleWatermark) instead of the whole
 * invocation timing out, which would leave every beat of the batch and its canary in flight
 * for the queue's visibility timeout with no hold to say so. A write still under way then
 * finishes harmlessly: every beat write is conditional on its receive time.
 */
export function beatDeadline(remainingMs: number, reserveMs = INGEST_RESERVE_MS): { readonly expired: Promise<never>; cancel(): void } {
  // A short timeout keeps most of itself for the beats: the reserve is at most a fifth of it.
  const ms = Math.max(0, remainingMs - Math.min(reserveMs, remainingMs / 5));
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OutOfTime(ms)), ms);
  });
  expired.catch(() => undefined);
  return { expired, cancel: () => clearTimeout(timer) };
}

/** A record that is a canary, not a beat. */
export function isCanary(record: SqsRecordLike): boolean {
  return record.messageAttributes?.[TYPE_ATTRIBUTE]?.stringValue === CANARY_TYPE;
}

/** Where failed beats are sent back to: SQS hands each out again after `seconds`. */
export interface RetryLater {
  retryLater(receipts: ReadonlyArray<{ readonly receiptHandle: string; readonly seconds: number }>): Promise<void>;
}

export interface SettleDeps {
  readonly stats: Pick<IngestMarksStore, 'recordCanary' | 'holdIngest'>;
  /** The queue's visibility timeout: how long a failed beat waits when it cannot be sent back sooner. */
  readonly visibilityTimeoutMs: number;
  /** A failed beat's wait per receive so far (lib/domain/fleet/watermark.ts, retryDelayMs). */
  readonly retryBaseMs: number;
  readonly queue?: RetryLater;
  readonly now: () => number;
  readonly log: Log;
}

/** A canary's stamp further ahead of SQS's own time than this is not diagnose's: it is ignored. */
const CANARY_STAMP_LEEWAY_MS = 60_000;

type Received = SqsRecordLike & { readonly messageId: string; readonly receiptHandle?: string };

/**
 * After the beats of a batch: the beats that failed are handed out again soon (a short,
 * growing visibility), and held (a canary must not vouch for them before they are stored);
 * then the batch's canaries. Returns the ids of the records that must fail too: the canaries,
 * if their marks could not be written, so that SQS hands them out again rather than have a
 * canary vouch for nothing.
 */
export async function settleWatermark(d: SettleDeps, beats: readonly Received[], failed: ReadonlySet<string>, canaries: readonly Received[]): Promise<string[]> {
  const now = d.now();
  const failedBeats = beats.filter((r) => failed.has(r.messageId));
  const failedAt = failedBeats.map((r) => earliestReceiveTime(r, now));
  try {
    if (failedBeats.length > 0) {
      const back = failedBeats.map((r) => ({ receiptHandle: r.receiptHandle ?? '', seconds: Math.ceil(retryDelayMs(receiveCountOf(r), d.retryBaseMs, d.visibilityTimeoutMs) / 1000) }));
      let until = now + d.visibilityTimeoutMs;
      if (d.queue && back.every((b) => b.receiptHandle !== '')) {
        try {
          await d.queue.retryLater(back);
          until = now + Math.max(...back.map((b) => b.seconds)) * 1000;
        } catch (e) {
          d.log.warn('failed beats wait for the visibility timeout: they could not be sent back sooner', { beats: back.length, error: String(e) });
        }
      }
      await d.stats.holdIngest(Math.min(...failedAt), until);
    }
    if (canaries.length > 0) {
      const sent = canaries.map((r) => receivedAtOf(r, now));
      // Anyone who may send beats may send a canary; its SentTimestamp is SQS's and cannot lie,
      // and a stamp far ahead of it is not one diagnose made.
      const stamps = canaries.map((r) => Number(r.body)).filter((n, i) => Number.isFinite(n) && n <= (sent[i] as number) + CANARY_STAMP_LEEWAY_MS);
      await d.stats.recordCanary(Math.max(...sent), Math.max(0, ...stamps));
    }
    return [];
  } catch (e) {
    d.log.warn('could not record ingest progress; the batch\'s canaries are retried', { failedBeats: failedAt.length, canaries: canaries.length, error: String(e) });
    return canaries.map((r) => r.messageId);
  }
}

/** A partial batch response, as SQS's Lambda integration takes it (ReportBatchItemFailures). */
export interface BatchFailures {
  readonly batchItemFailures: ReadonlyArray<{ readonly itemIdentifier: string }>;
}

/**
 * One delivery from the heartbeats queue: each beat succeeds or fails on its own, through
 * `eachRecord` (Powertools' partial batch processing in the function), raced against the time
 * left so that a slow store fails the beats it has not stored rather than time the invocation
 * out; then the watermark is settled and diagnose's canaries are stored, last.
 */
export async function ingestHeartbeatDelivery<R extends Received>(
  d: SettleDeps,
  records: readonly R[],
  remainingMs: number,
  store: (record: R) => Promise<unknown>,
  eachRecord: (beats: R[], store: (record: R) => Promise<unknown>) => Promise<BatchFailures>,
): Promise<BatchFailures> {
  const canaries = records.filter(isCanary);
  const beats = records.filter((r) => !isCanary(r));
  const deadline = beatDeadline(remainingMs);
  const response = beats.length > 0
    ? await eachRecord(beats, (record) => Promise.race([store(record), deadline.expired])).finally(() => deadline.cancel())
    : { batchItemFailures: [] };
  deadline.cancel();
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const canariesFailed = await settleWatermark(d, beats, failed, canaries);
  return { batchItemFailures: [...response.batchItemFailures, ...canariesFailed.map((itemIdentifier) => ({ itemIdentifier }))] };
}
