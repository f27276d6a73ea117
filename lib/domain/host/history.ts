/**
 * The 24-hour history of a host: one slot of hourly peaks per hour, written by the beat's own
 * update with no read. DynamoDB has no "set if greater", so a slot holds what the newest beat of
 * that hour knew: the sender's running peak of the hour when it sends one (our agent does), and
 * otherwise that beat's own readings. docs/SEMANTICS.md, "24-hour history".
 */
import type { Beat, HourPeaks, Metric } from '../model';
import { METRICS } from '../model';

export const HOUR_MS = 3_600_000;
export const HISTORY_HOURS = 24;

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS);

/**
 * The slot a beat writes, or undefined when it carries no reading. The sender's peaks count only
 * for the hour of the beat's own timestamp; their hour moves to the monitor's clock by the skew
 * in whole hours, so a clock a few minutes off keeps its hours and one hours off lands in the right
 * slot. Each resource's value is at least the beat's own reading.
 */
export function slotOf(beat: Beat): HourPeaks | undefined {
  if (!METRICS.some((r) => beat[r] !== undefined)) return undefined;
  const peaks = beat.hourPeaks?.hour === hourOf(beat.sentAt) ? beat.hourPeaks : undefined;
  const hour = peaks ? peaks.hour + Math.round((beat.receivedAt - beat.sentAt) / HOUR_MS) : hourOf(beat.receivedAt);
  const slot: HourPeaks = { hour };
  for (const r of METRICS) {
    const reading = beat[r]?.percent;
    if (reading !== undefined) slot[r] = Math.max(reading, peaks?.[r] ?? 0);
  }
  return slot;
}

/** The last 24 hours up to `now`'s hour, oldest first: one value per hour, null where none is known. */
export interface History {
  /** Start of the first hour (epoch ms). */
  readonly from: number;
  readonly cpu: (number | null)[];
  readonly mem: (number | null)[];
  readonly disk: (number | null)[];
}

export function historyAt(slots: readonly HourPeaks[] | undefined, now: number): History {
  const last = hourOf(now);
  const first = last - HISTORY_HOURS + 1;
  const out = { from: first * HOUR_MS, cpu: [], mem: [], disk: [] } as { from: number } & Record<Metric, (number | null)[]>;
  for (const r of METRICS) out[r] = Array.from({ length: HISTORY_HOURS }, () => null);
  for (const s of slots ?? []) {
    // A slot from before the window is stale (the ring reuses it 24 hours later); one past `now`
    // comes from a clock ahead by under half an hour, and shows from its own hour on.
    if (s.hour < first || s.hour > last) continue;
    for (const r of METRICS) {
      const v = s[r];
      if (v !== undefined) out[r][s.hour - first] = v;
    }
  }
  return out;
}
