import type { Beat, Notification, Silence } from '../model';
import { applySilence } from '../rules/silences';
import { skewTransition } from '../rules/skew';
import { assessBeat } from '../rules/beat';
import { extendsCpuStreak, thresholdsFor, type LevelRule } from '../rules/resources';
import type { HostStore } from '../store/hosts';
import type { Quarantine } from '../store/quarantine';
import type { Limits } from '../wire/validate';
import { validateHeartbeat } from '../wire/validate';
import { decodeRecord, receivedAtOf } from '../wire/sqs-record';
import { deliver, type Delivery } from './deliver';
import type { Log } from './log';
import { isPoison, quarantine, refusalReason, type PoisonRecord } from './poison';
import type { SqsRecordLike } from '../wire/sqs-record';

export interface HeartbeatIngest {
  readonly hosts: HostStore;
  readonly delivery: Delivery;
  readonly quarantine: Quarantine | undefined;
  readonly levels: LevelRule;
  readonly limits: Limits;
  readonly log: Log;
  /** Clock skew beyond this gets a warning, on transition; undefined: no skew warnings. */
  readonly skewThresholdMs?: number;
  /**
   * The silences, read only when a beat has a notification to deliver (rare), so a beat in
   * steady state stays one write and no read. Undefined: nothing is silenced.
   */
  readonly silences?: () => Promise<Silence[]>;
}

export type BeatOutcome = 'stored' | 'stale' | 'quarantined';

/**
 * One heartbeat: decode, validate, store with one conditional write, then publish whatever
 * level or goodbye transition it caused. Throws only on a transient failure, so SQS retries
 * this record alone; a refusal of its content by DynamoDB, SNS or the SDK is poison, and the
 * beat goes to the DLQ at once with the refusal as its reason.
 */
export async function ingestHeartbeat(d: HeartbeatIngest, record: SqsRecordLike & PoisonRecord): Promise<BeatOutcome> {
  const decoded = decodeRecord(record, 'dts.HeartbeatMessage', ['dts.HeartbeatMessage']);
  const valid = decoded.ok ? validateHeartbeat(decoded.value.message, receivedAtOf(record, d.delivery.now()), d.limits) : decoded;
  if (!valid.ok) {
    await quarantine(d.quarantine, d.log, record, valid.error);
    return 'quarantined';
  }
  try {
    return await storeBeat(d, valid.value);
  } catch (error) {
    if (!isPoison(error)) throw error;
    await quarantine(d.quarantine, d.log, record, { field: 'store', reason: `refused: ${refusalReason(error)}` });
    return 'quarantined';
  }
}

export async function storeBeat(d: HeartbeatIngest, beat: Beat): Promise<BeatOutcome> {
  const cpuThresholds = thresholdsFor('cpu', beat.labels, d.levels.cpu).thresholds;
  const streakExtends = beat.cpu !== undefined && extendsCpuStreak(beat.cpu.percent, cpuThresholds);
  const write = await d.hosts.recordBeat(beat, streakExtends);
  if (write.stale) return 'stale';

  const assessment = assessBeat(write.previous, beat, d.levels);
  for (const problem of assessment.problems) d.log.warn(problem, { hostname: beat.hostname });
  const before = write.previous?.levels;
  const levelsChanged = before === undefined
    ? Object.values(assessment.levels).some((l) => l !== 'ok')
    : (Object.keys(before) as (keyof typeof before)[]).some((r) => before[r] !== assessment.levels[r]);
  // Only the beat that is still the host's newest may move its levels, and announce the move.
  const committed = levelsChanged && (await d.hosts.commitLevels(beat.hostname, beat.receivedAt, assessment.levels));
  const due: Notification[] = assessment.notifications.filter((n) => !n.kind.startsWith('resource-') || committed);
  const skew = d.skewThresholdMs === undefined ? undefined : skewTransition(write.previous?.skewMs, beat, d.skewThresholdMs);
  if (skew) due.push(skew);
  if (due.length === 0) return 'stored';
  const silences = d.silences ? await d.silences() : [];
  for (const n of due) await deliver(d.delivery, applySilence({ ...n, labels: beat.labels }, beat, silences));
  return 'stored';
}

/** A silences reader that reads at most once per `ttlMs`: ingest asks only when it has something to say. */
export function cachedSilences(read: () => Promise<Silence[]>, ttlMs: number, now: () => number = Date.now): () => Promise<Silence[]> {
  let cached: { at: number; value: Promise<Silence[]> } | undefined;
  return () => {
    if (!cached || now() - cached.at >= ttlMs) {
      const value = read();
      cached = { at: now(), value };
      value.catch(() => { cached = undefined; });
    }
    return cached.value;
  };
}
