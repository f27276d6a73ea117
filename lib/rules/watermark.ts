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
 *   ingest could not store stays in flight until the visibility timeout, and a canary can
 *   overtake it. So ingest also records the earliest receive time of a beat it failed to store
 *   (a hold), and the watermark stays before it until SQS has handed that beat out again.
 */

/** What the heartbeats queue holds, read at `at`. */
export interface QueueGauge {
  /** Visible, in flight and delayed messages. */
  readonly pending: number;
  readonly visibilityTimeoutMs: number;
  readonly at: number;
}

/** What ingest records of its own progress, in the monitor item. */
export interface IngestMarks {
  /** SentTimestamp of the newest canary stored. */
  readonly ingestedThrough?: number;
  /** Diagnose's own stamp on that canary, so diagnose can tell that its canary came through. */
  readonly canaryAt?: number;
  /** The earliest receive time of beats ingest failed to store, and when it last failed. */
  readonly holdFrom?: number;
  readonly holdAt?: number;
}

/** Time for SQS to hand a failed beat out again after its visibility timeout, and ingest to take it. */
export const REDELIVERY_MARGIN_MS = 5000;

/** A hold in force at `now`: the beats it stands for may still be in flight. */
export function activeHold(marks: IngestMarks, visibilityTimeoutMs: number, now: number): number | undefined {
  if (marks.holdFrom === undefined || marks.holdAt === undefined) return undefined;
  return now < marks.holdAt + visibilityTimeoutMs + REDELIVERY_MARGIN_MS ? marks.holdFrom : undefined;
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
  const hold = activeHold(marks, gauge.visibilityTimeoutMs, gauge.at);
  if (hold !== undefined && hold < through) {
    through = hold;
    reasons.push(`ingest failed to store beats received from ${iso(hold)} on; SQS hands them out again until ${iso((marks.holdAt as number) + gauge.visibilityTimeoutMs)}`);
  }
  return { through, reasons };
}

const iso = (ms: number): string => new Date(ms).toISOString();
