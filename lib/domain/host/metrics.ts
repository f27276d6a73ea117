import type { MetricLevel, Metric } from '../model';

export interface Thresholds {
  readonly warning: number;
  readonly critical: number;
}

export interface MetricRule {
  readonly cpu: Thresholds;
  readonly mem: Thresholds;
  readonly disk: Thresholds;
  /** Points below a threshold a reading must fall before its level clears. */
  readonly margin: number;
  /** Consecutive beats at or above the cpu warning threshold before cpu escalates. */
  readonly cpuSustain: number;
}

const RANK: Record<MetricLevel, number> = { ok: 0, warning: 1, critical: 2 };

export function isWorse(a: MetricLevel, b: MetricLevel): boolean {
  return RANK[a] > RANK[b];
}

/** The level of a reading with no history. */
export function rawLevel(percent: number, t: Thresholds): MetricLevel {
  if (percent >= t.critical) return 'critical';
  if (percent >= t.warning) return 'warning';
  return 'ok';
}

/**
 * The level of a reading given the previous level. Escalation is immediate; a level clears only
 * once the reading is below its threshold minus the margin, so a value hovering at a threshold
 * does not flap.
 */
export function metricLevel(prev: MetricLevel, percent: number, t: Thresholds, margin: number): MetricLevel {
  const raw = rawLevel(percent, t);
  if (!isWorse(prev, raw)) return raw;
  if (prev === 'critical' && percent >= t.critical - margin) return 'critical';
  if (percent >= t.warning - margin) return 'warning';
  return 'ok';
}

/** Whether a cpu reading extends the run of high readings that sustain counts. */
export function extendsCpuStreak(percent: number, t: Thresholds): boolean {
  return percent >= t.warning;
}

/**
 * Cpu is bursty, so it escalates only after `sustain` consecutive high beats (`streak` counts
 * this beat too). It clears as any other resource does.
 */
export function cpuLevel(prev: MetricLevel, percent: number, streak: number, t: Thresholds, margin: number, sustain: number): MetricLevel {
  const next = metricLevel(prev, percent, t, margin);
  return isWorse(next, prev) && streak < sustain ? prev : next;
}

/**
 * Per-host thresholds travel in the beat's labels, e.g. `dts.disk.warning=92`. A label that is
 * not a percent is ignored, and named in the returned problems.
 */
export function thresholdsFor(
  resource: Metric,
  labels: Readonly<Record<string, string>>,
  defaults: Thresholds,
): { thresholds: Thresholds; problems: string[] } {
  const problems: string[] = [];
  const read = (which: keyof Thresholds): number => {
    const key = `dts.${resource}.${which}`;
    const raw = labels[key];
    if (raw === undefined) return defaults[which];
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) {
      problems.push(`label ${key}=${JSON.stringify(raw)} is not a percent; using ${defaults[which]}`);
      return defaults[which];
    }
    return value;
  };
  const warning = read('warning');
  const critical = read('critical');
  if (critical < warning) {
    problems.push(`labels give ${resource} critical ${critical} below warning ${warning}; using the defaults`);
    return { thresholds: defaults, problems };
  }
  return { thresholds: { warning, critical }, problems };
}
