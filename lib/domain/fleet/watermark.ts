/**
 * The ingest watermark: a receive time before which every beat is known to be stored. Diagnose
 * declares a host dead only when its deadline is at or before it, so a beat still waiting in the
 * heartbeats queue (or in an ingest invocation that is retrying it) can never make a live host
 * look dead (docs/SEMANTICS.md, "Trust the monitor before blaming the host").
 *
 * It is measured in time, from two kinds of evidence:
 * - the queue holds nothing, visible, in flight or delayed: every message SQS accepted before
 *   that reading has been stored (ingest deletes a message only once it is stored);
 * - otherwise, a canary: diagnose sends one through the heartbeats queue, and ingest records its
 *   SentTimestamp once it has stored every beat of the batch the canary came in. Beats accepted
 *   before it have then been handed out before it and stored, unless they failed: a beat that
 *   ingest could not store stays in flight until SQS hands it out again, and a canary can
 *   overtake it. So ingest also records the earliest receive time of a beat it failed to store
 *   and when SQS hands it out again (a hold). SQS queues a message it hands out again behind
 *   those already waiting, so only a canary sent after that can vouch for it: until one is
 *   stored, the watermark stays before the failed beats.
 */

/** What the heartbeats queue holds, read at `at`. */
export interface QueueGauge {
  /** Visible, in flight and delayed messages. */
  readonly pending: number;
  readonly at: number;
}

/**
 * How long a beat ingest failed to store waits before SQS hands it out again: `baseMs` per
 * receive so far, at most the queue's visibility timeout. Short, because while it waits the
 * watermark cannot pass it and no death after it is declared; growing, so that a beat that keeps
 * failing does not hammer a throttled table.
 */
export function retryDelayMs(receiveCount: number, baseMs: number, visibilityTimeoutMs: number): number {
  return Math.min(visibilityTimeoutMs, baseMs * Math.max(1, receiveCount));
}

/** What ingest records of its own progress, in the monitor item. */
export interface IngestMarks {
  /** SentTimestamp of the newest canary stored. */
  readonly ingestedThrough?: number;
  /** Diagnose's own stamp on that canary, so diagnose can tell that its canary came through. */
  readonly canaryAt?: number;
  /** The earliest receive time of beats ingest failed to store, and when SQS hands the last of them out again. */
  readonly holdFrom?: number;
  readonly holdUntil?: number;
}

/** A hold in force: no canary sent after its failed beats came back has been stored yet. */
export function activeHold(marks: IngestMarks): number | undefined {
  if (marks.holdFrom === undefined || marks.holdUntil === undefined) return undefined;
  return (marks.ingestedThrough ?? 0) < marks.holdUntil ? marks.holdFrom : undefined;
}

export interface Watermark {
  /** Deadlines at or before this may be judged. */
  readonly through: number;
  /** Why it stands where it does, when that keeps the monitor from judging the present. */
  readonly reasons: string[];
}

/**
 * The watermark from a gauge and the marks read after it. `canary` is the stamp of the canary
 * diagnose sent for this reading, if it sent one, and whether it was seen stored in time.
 */
export function watermarkOf(gauge: QueueGauge, marks: IngestMarks, canary?: { readonly at: number; readonly stored: boolean }): Watermark {
  if (gauge.pending === 0) return { through: gauge.at, reasons: [] };
  const reasons: string[] = [];
  let through = marks.ingestedThrough ?? 0;
  if (canary && !canary.stored) {
    reasons.push(`ingest is behind: ${gauge.pending} message(s) wait on the heartbeats queue and a canary sent at ${iso(canary.at)} is not stored yet; `
      + (through > 0 ? `beats received after ${iso(through)} may not be stored` : 'no canary has been stored yet'));
  }
  const hold = activeHold(marks);
  if (hold !== undefined && hold < through) {
    through = hold;
    reasons.push(`ingest failed to store beats received from ${iso(hold)} on; SQS hands them out again by ${iso(marks.holdUntil as number)}, and a canary sent after that must be stored before they count as stored`);
  }
  return { through, reasons };
}

const iso = (ms: number): string => new Date(ms).toISOString();
