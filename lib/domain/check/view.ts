import { lastDuration, type Check } from './check';
import { lateAt, nextExpected } from './judge';
import { describeSchedule } from './schedule';

/** A check as the CLI, the API and the console show it: never its key or its hash. */
export interface CheckView {
  readonly name: string;
  /** `paused`, or diagnose's last verdict. */
  readonly state: string;
  readonly schedule: string;
  readonly graceSeconds: number;
  readonly maxRunSeconds: number | null;
  readonly labels: Record<string, string>;
  readonly lastPing: string | null;
  readonly lastSignal: string | null;
  readonly nextExpected: string | null;
  /** When it turns late without a success: next expected plus grace. */
  readonly lateAt: string | null;
  readonly lastDurationSeconds: number | null;
  readonly lastExitStatus: number | null;
  readonly running: boolean;
  readonly pings: number;
  readonly createdAt: string;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function checkView(c: Check): CheckView {
  const duration = lastDuration(c);
  return {
    name: c.name,
    state: c.paused ? 'paused' : c.state,
    schedule: describeSchedule(c.schedule),
    graceSeconds: c.graceMs / 1000,
    maxRunSeconds: c.maxRunMs === undefined ? null : c.maxRunMs / 1000,
    labels: c.labels,
    lastPing: iso(c.lastPing),
    lastSignal: c.lastSignal ?? null,
    nextExpected: iso(nextExpected(c)),
    lateAt: iso(lateAt(c)),
    lastDurationSeconds: duration === undefined ? null : duration / 1000,
    lastExitStatus: c.lastExit ?? null,
    running: c.lastStart !== undefined && (c.lastEnd === undefined || c.lastStart > c.lastEnd),
    pings: c.pings,
    createdAt: new Date(c.createdAt).toISOString(),
  };
}
