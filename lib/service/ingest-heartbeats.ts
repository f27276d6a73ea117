import type { Beat } from '../model';
import { assessBeat } from '../rules/beat';
import { extendsCpuStreak, thresholdsFor, type LevelRule } from '../rules/resources';
import type { HostStore } from '../store/hosts';
import type { Quarantine } from '../store/quarantine';
import type { Limits } from '../wire/validate';
import { validateHeartbeat } from '../wire/validate';
import { decodeRecord, receivedAtOf } from '../wire/sqs-record';
import { deliver, type Delivery } from './deliver';
import type { Log } from './log';
import { quarantine, type PoisonRecord } from './poison';
import type { SqsRecordLike } from '../wire/sqs-record';

export interface HeartbeatIngest {
  readonly hosts: HostStore;
  readonly delivery: Delivery;
  readonly quarantine: Quarantine | undefined;
  readonly levels: LevelRule;
  readonly limits: Limits;
  readonly log: Log;
}

export type BeatOutcome = 'stored' | 'stale' | 'quarantined';

/**
 * One heartbeat: decode, validate, store with one conditional write, then publish whatever
 * level or goodbye transition it caused. Throws only on a transient failure, so SQS retries
 * this record alone.
 */
export async function ingestHeartbeat(d: HeartbeatIngest, record: SqsRecordLike & PoisonRecord): Promise<BeatOutcome> {
  const decoded = decodeRecord(record, 'dts.HeartbeatMessage', ['dts.HeartbeatMessage']);
  const valid = decoded.ok ? validateHeartbeat(decoded.value.message, receivedAtOf(record, d.delivery.now()), d.limits) : decoded;
  if (!valid.ok) {
    await quarantine(d.quarantine, d.log, record, valid.error);
    return 'quarantined';
  }
  return storeBeat(d, valid.value);
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
  for (const n of assessment.notifications) {
    if (n.kind.startsWith('resource-') && !committed) continue;
    await deliver(d.delivery, n);
  }
  return 'stored';
}
