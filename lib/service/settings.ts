/**
 * Settings of the alert lifecycle (flapping, storms, clock skew, silences, reports), read once
 * from the environment with the same helpers as lib/config: a default for each, and an error
 * naming a bad variable.
 */
import { readNumber, readOptionalString } from '../config/env';
import { DEFAULT_FLAP_RULE, type FlapRule } from '../rules/flapping';
import { DEFAULT_STORM_RULE, type StormRule } from '../rules/storm';

type Env = Record<string, string | undefined>;

export interface LifecycleSettings {
  readonly flap: FlapRule;
  readonly storm: StormRule;
  /** Clock skew beyond this many ms gets a warning. */
  readonly skewThresholdMs: number;
  /** How long ingest may reuse the silences it read (only read when a notification is due). */
  readonly silenceCacheMs: number;
  readonly silencesTable: string | undefined;
  readonly reportsTable: string | undefined;
  readonly reportTtlDays: number;
  /** Hours a report covers, ending at its scheduled time. */
  readonly reportHours: number;
}

export function loadLifecycleSettings(env: Env = process.env): LifecycleSettings {
  return {
    flap: {
      changes: readNumber(env, 'DTS_FLAP_CHANGES', DEFAULT_FLAP_RULE.changes, { min: 1, integer: true }),
      window: readNumber(env, 'DTS_FLAP_WINDOW', DEFAULT_FLAP_RULE.window, { min: 60 }),
    },
    storm: {
      share: readNumber(env, 'DTS_STORM_SHARE', DEFAULT_STORM_RULE.share, { min: 0, max: 1 }),
      minHosts: readNumber(env, 'DTS_STORM_MIN_HOSTS', DEFAULT_STORM_RULE.minHosts, { min: 1, integer: true }),
    },
    skewThresholdMs: readNumber(env, 'DTS_SKEW_THRESHOLD', 30, { min: 0 }) * 1000,
    silenceCacheMs: readNumber(env, 'DTS_SILENCE_CACHE_SECONDS', 30, { min: 0 }) * 1000,
    silencesTable: readOptionalString(env, 'DTS_SILENCES_TABLE'),
    reportsTable: readOptionalString(env, 'DTS_REPORTS_TABLE'),
    reportTtlDays: readNumber(env, 'DTS_REPORT_TTL_DAYS', 400, { min: 1 }),
    reportHours: readNumber(env, 'DTS_REPORT_HOURS', 24, { min: 1, max: 24 * 31 }),
  };
}
