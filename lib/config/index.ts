import { readBoolean, readNumber, readOptionalString } from './env';
import { DEFAULT_FLAP_RULE, type FlapRule } from '../domain/host/flapping';
import type { Thresholds } from '../domain/host/metrics';
import { DEFAULT_STORM_RULE, type StormRule } from '../domain/fleet/storm';

export { ConfigError } from './env';

type Env = Record<string, string | undefined>;

export interface LivenessConfig {
  /** Seconds between beats assumed when a host declares none. */
  readonly defaultInterval: number;
  /** A host is dead after interval × tolerance seconds of silence. */
  readonly tolerance: number;
  /** Seconds of silence after which a dead host is retired and alerts stop. */
  readonly retireAfter: number;
}

export interface MetricsConfig {
  readonly cpu: Thresholds;
  readonly mem: Thresholds;
  readonly disk: Thresholds;
  /** Percentage points below a threshold that a level must fall before it clears. */
  readonly margin: number;
  /** Consecutive beats at or above the cpu warning threshold before cpu counts. */
  readonly cpuSustain: number;
}

/** The alert lifecycle: flapping, storms, clock skew, silences and reports. */
export interface LifecycleSettings {
  readonly flap: FlapRule;
  readonly storm: StormRule;
  /** Clock skew beyond this many ms gets a warning. */
  readonly skewThresholdMs: number;
  /** How long ingest may reuse the silences it read (only read when a notification is due). */
  readonly silenceCacheMs: number;
  readonly reportTtlDays: number;
  /** Hours a report covers, ending at its scheduled time. */
  readonly reportHours: number;
}

/** The settings; where each resource is comes from lib/compose.ts's `namesFromEnv` (lib/config/resources.ts). */
export interface Config {
  readonly liveness: LivenessConfig;
  readonly levels: MetricsConfig;
  readonly diagnose: {
    readonly scanSegments: number;
    /**
     * How long a pass, or the deadline watch before it declares a death, waits for its canary to
     * be stored by ingest before it calls ingest behind (docs/SEMANTICS.md, "Trust the monitor").
     */
    readonly lagWaitMs: number;
    /** Outbox entries younger than this are left to whoever committed them (docs/SEMANTICS.md, "Delivery guarantee"). */
    readonly sweepGraceMs: number;
    /** How long after its start a pass watches for deadlines (docs/SEMANTICS.md, "Detection at the deadline"); 0 turns it off. */
    readonly watchMs: number;
    /**
     * Deaths are held this long after the first deadline of a batch and confirmed together, so a
     * rack whose deadlines spread over a few seconds is one storm notice (docs/SEMANTICS.md,
     * "Storms"); 0 confirms each at its deadline.
     */
    readonly groupWaitMs: number;
    /** Worker invocations a pass fans out to at most (docs/SEMANTICS.md, "Diagnose fanned out"); 1: none. */
    readonly workers: number;
    /** Hosts (as of the last pass) per worker: a smaller fleet uses fewer workers, 1 none at all. */
    readonly hostsPerWorker: number;
    /** The worker function, needed when workers > 1. */
    readonly workerFunction: string | undefined;
    /**
     * The diagnose function itself, for ingest: the first beat of a host whose deadline comes
     * before the next pass could list it starts a pass (docs/SEMANTICS.md, "New hosts between
     * passes"). Unset: such a host waits for the next scheduled pass.
     */
    readonly diagnoseFunction: string | undefined;
  };
  readonly logs: {
    readonly ttlDays: number;
    readonly textMaxBytes: number;
    readonly mirror: boolean;
    /** The logs queue's redrive limit: at this receive, a message out of time is quarantined with its reason. */
    readonly maxReceiveCount: number;
  };
  readonly notifications: { readonly ttlDays: number };
  readonly ingest: {
    /** The heartbeats queue's visibility timeout: how long a beat that failed stays in flight when it cannot be sent back sooner. */
    readonly visibilityTimeoutMs: number;
    /** A failed beat is handed out again after this much per receive so far (lib/domain/fleet/watermark.ts, retryDelayMs). */
    readonly retryBaseMs: number;
  };
  /** How far ahead of the receive time a producer's timestamp may be, in seconds. */
  readonly maxFutureSeconds: number;
  readonly lifecycle: LifecycleSettings;
  /** The operator API (functions/api.ts). */
  readonly api: {
    /** Browser origins besides the console's own allowed by CORS (comma-separated DTS_API_ORIGINS). */
    readonly extraOrigins: readonly string[];
  };
}

export function loadConfig(env: Env = process.env): Config {
  const thresholds = (name: string, warning: number, critical: number): Thresholds => {
    const w = readNumber(env, `DTS_${name}_WARNING`, warning, { min: 0, max: 100 });
    const c = readNumber(env, `DTS_${name}_CRITICAL`, critical, { min: 0, max: 100 });
    if (c < w) throw new Error(`DTS_${name}_CRITICAL (${c}) must not be below DTS_${name}_WARNING (${w})`);
    return { warning: w, critical: c };
  };
  return {
    liveness: {
      defaultInterval: readNumber(env, 'DTS_DEFAULT_INTERVAL', 60, { min: 1 }),
      tolerance: readNumber(env, 'DTS_TOLERANCE', 3, { min: 1 }),
      retireAfter: readNumber(env, 'DTS_RETIRE_AFTER', 7 * 86_400, { min: 60 }),
    },
    levels: {
      cpu: thresholds('CPU', 85, 95),
      mem: thresholds('MEM', 85, 95),
      disk: thresholds('DISK', 80, 90),
      margin: readNumber(env, 'DTS_LEVEL_MARGIN', 5, { min: 0, max: 50 }),
      cpuSustain: readNumber(env, 'DTS_CPU_SUSTAIN', 3, { min: 1, integer: true }),
    },
    diagnose: {
      scanSegments: readNumber(env, 'DTS_SCAN_SEGMENTS', 4, { min: 1, max: 1000, integer: true }),
      lagWaitMs: readNumber(env, 'DTS_LAG_WAIT_SECONDS', 10, { min: 0.1, max: 300 }) * 1000,
      sweepGraceMs: readNumber(env, 'DTS_SWEEP_GRACE_SECONDS', 30, { min: 0 }) * 1000,
      watchMs: readNumber(env, 'DTS_WATCH_SECONDS', 60, { min: 0, max: 900 }) * 1000,
      groupWaitMs: readNumber(env, 'DTS_GROUP_WAIT_SECONDS', 10, { min: 0, max: 300 }) * 1000,
      workers: readNumber(env, 'DTS_DIAGNOSE_WORKERS', 1, { min: 1, max: 256, integer: true }),
      hostsPerWorker: readNumber(env, 'DTS_DIAGNOSE_HOSTS_PER_WORKER', 50_000, { min: 1, integer: true }),
      workerFunction: readOptionalString(env, 'DTS_DIAGNOSE_WORKER_FUNCTION'),
      diagnoseFunction: readOptionalString(env, 'DTS_DIAGNOSE_FUNCTION'),
    },
    logs: {
      ttlDays: readNumber(env, 'DTS_LOG_TTL_DAYS', 14, { min: 1 }),
      textMaxBytes: readNumber(env, 'DTS_TEXT_MAX_BYTES', 32 * 1024, { min: 256, integer: true }),
      mirror: readBoolean(env, 'DTS_MIRROR_LOGS', true),
      maxReceiveCount: readNumber(env, 'DTS_MAX_RECEIVE_COUNT', 5, { min: 1, integer: true }),
    },
    notifications: { ttlDays: readNumber(env, 'DTS_NOTIFICATION_TTL_DAYS', 90, { min: 1 }) },
    ingest: {
      visibilityTimeoutMs: readNumber(env, 'DTS_INGEST_VISIBILITY_SECONDS', 180, { min: 0, max: 43_200 }) * 1000,
      retryBaseMs: readNumber(env, 'DTS_INGEST_RETRY_SECONDS', 5, { min: 0, max: 43_200 }) * 1000,
    },
    maxFutureSeconds: readNumber(env, 'DTS_MAX_FUTURE_SECONDS', 86_400, { min: 0 }),
    lifecycle: {
      flap: {
        changes: readNumber(env, 'DTS_FLAP_CHANGES', DEFAULT_FLAP_RULE.changes, { min: 1, integer: true }),
        window: readNumber(env, 'DTS_FLAP_WINDOW', DEFAULT_FLAP_RULE.window, { min: 60 }),
      },
      storm: {
        share: readNumber(env, 'DTS_STORM_SHARE', DEFAULT_STORM_RULE.share, { min: 0, max: 1 }),
        minHosts: readNumber(env, 'DTS_STORM_MIN_HOSTS', DEFAULT_STORM_RULE.minHosts, { min: 1, integer: true }),
        windowSeconds: readNumber(env, 'DTS_STORM_WINDOW_SECONDS', DEFAULT_STORM_RULE.windowSeconds ?? 60, { min: 0, max: 3600 }),
      },
      skewThresholdMs: readNumber(env, 'DTS_SKEW_THRESHOLD', 30, { min: 0 }) * 1000,
      silenceCacheMs: readNumber(env, 'DTS_SILENCE_CACHE_SECONDS', 30, { min: 0 }) * 1000,
      reportTtlDays: readNumber(env, 'DTS_REPORT_TTL_DAYS', 400, { min: 1 }),
      reportHours: readNumber(env, 'DTS_REPORT_HOURS', 24, { min: 1, max: 24 * 31 }),
    },
    api: {
      extraOrigins: (readOptionalString(env, 'DTS_API_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    },
  };
}
