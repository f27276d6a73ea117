import { METRICS, type Beat, type Host, type MetricLevel, type Notification, type Metric } from '../model';
import { notification } from '../notification/notifications';
import { cpuLevel, extendsCpuStreak, isWorse, metricLevel, thresholdsFor, type MetricRule } from './metrics';

export interface BeatAssessment {
  /** Levels after this beat; a resource the beat did not report keeps its level. */
  readonly levels: Record<Metric, MetricLevel>;
  readonly cpuStreak: number;
  /** Transitions this beat caused: resource levels, and a goodbye. */
  readonly notifications: Notification[];
  /** Per-host threshold labels that could not be used. */
  readonly problems: string[];
}

const OK_LEVELS: Record<Metric, MetricLevel> = { cpu: 'ok', mem: 'ok', disk: 'ok' };

/**
 * Judge one beat against the host as it was before it (undefined for a host never seen).
 * Pure: ingest writes the beat first, gets the previous item back from the same request, and
 * asks this what changed.
 */
export function assessBeat(prev: Host | undefined, beat: Beat, rule: MetricRule): BeatAssessment {
  const before = prev?.levels ?? OK_LEVELS;
  const levels = { ...before };
  const notifications: Notification[] = [];
  const problems: string[] = [];
  let cpuStreak = prev?.cpuStreak ?? 0;

  for (const resource of METRICS) {
    const sample = beat[resource];
    if (sample === undefined) continue;
    const { thresholds, problems: p } = thresholdsFor(resource, beat.labels, rule[resource]);
    problems.push(...p);
    let next: MetricLevel;
    if (resource === 'cpu') {
      cpuStreak = extendsCpuStreak(sample.percent, thresholds) ? cpuStreak + 1 : 0;
      next = cpuLevel(before.cpu, sample.percent, cpuStreak, thresholds, rule.margin, rule.cpuSustain);
    } else {
      next = metricLevel(before[resource], sample.percent, thresholds, rule.margin);
    }
    levels[resource] = next;
    if (next === before[resource]) continue;
    const kind = next === 'ok' ? 'resource-ok' : next === 'warning' ? 'resource-warning' : 'resource-critical';
    const severity = next === 'ok' ? 'info' : next;
    const direction = isWorse(next, before[resource]) ? 'rose to' : 'fell to';
    notifications.push(notification(
      beat.hostname, kind, severity, beat.receivedAt,
      `${beat.hostname} ${resource} ${direction} ${next}: ${sample.percent.toFixed(1)}% (warning ${thresholds.warning}%, critical ${thresholds.critical}%)`,
      { resource, from: before[resource], to: next, percent: String(sample.percent) },
      resource,
    ));
  }

  if (beat.goodbye && prev?.state !== 'left') notifications.push(goodbyeNotification(beat));
  return { levels, cpuStreak, notifications, problems };
}

/** What a goodbye announces: known before the beat is written, so the write can carry it. */
export function goodbyeNotification(beat: Pick<Beat, 'hostname' | 'receivedAt'>): Notification {
  return notification(beat.hostname, 'host-left', 'info', beat.receivedAt, `${beat.hostname} said goodbye: its silence is not an outage`);
}
