/**
 * The agent's running peaks of its current hour, sent with every beat: ingest cannot compute a
 * maximum in its one write, so the agent does (docs/SEMANTICS.md, "24-hour history"). A restart
 * starts the hour over: the hour's slot then holds the peaks since the restart.
 */
import type { HourPeaks } from '../domain/model';
import { METRICS } from '../domain/model';
import type { HeartbeatSample } from '../producer/heartbeat';

export class HourPeakMeter {
  private peaks: HourPeaks | undefined;

  /** Take in a sample measured at `atMs` (the beat's own timestamp); returns the hour's peaks so far. */
  observe(sample: HeartbeatSample, atMs: number): HourPeaks {
    const hour = Math.floor(atMs / 3_600_000);
    if (this.peaks?.hour !== hour) this.peaks = { hour };
    for (const r of METRICS) {
      const v = sample[r]?.percent;
      if (v !== undefined) this.peaks[r] = Math.max(v, this.peaks[r] ?? 0);
    }
    return { ...this.peaks };
  }
}
