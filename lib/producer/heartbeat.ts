/** A heartbeat as a program describes it, and the wire message it becomes. */
import type { CpuSample, DiskSample, HourPeaks, MemorySample } from '../domain/model';
import type { dts } from '../wire/generated/dts.js';
import { nowSeconds } from './record';

export interface HeartbeatSample {
  cpu?: CpuSample;
  mem?: MemorySample;
  disk?: DiskSample;
  /** Seconds since the host booted. */
  uptime?: number;
  /** Merged over the producer's labels. */
  labels?: Record<string, string>;
  /** Set on a graceful shutdown: the silence that follows is not an outage. */
  goodbye?: boolean;
  /** Default: the producer's interval. */
  interval?: number;
  /** Default: the producer's hostname. */
  hostname?: string;
  /** Seconds since the epoch. Default: now. */
  timestamp?: number;
  /** The highest percents since the hour of `timestamp` began (the 24-hour history); optional. */
  hourPeaks?: HourPeaks;
}

export interface HeartbeatDefaults {
  readonly hostname: string;
  readonly interval: number;
  readonly labels: Record<string, string>;
  readonly agent: { name: string; version: string };
}

export function heartbeatMessage(s: HeartbeatSample, d: HeartbeatDefaults): dts.HeartbeatMessage.$Properties {
  return {
    hostname: s.hostname ?? d.hostname,
    timestamp: s.timestamp ?? nowSeconds(),
    interval: Math.round(s.interval ?? d.interval),
    ...(s.cpu ? { cpu: s.cpu } : {}),
    ...(s.mem ? { mem: s.mem } : {}),
    ...(s.disk ? { disk: s.disk } : {}),
    labels: { ...d.labels, ...s.labels },
    goodbye: s.goodbye === true,
    agent: d.agent,
    ...(s.uptime !== undefined ? { uptime: s.uptime } : {}),
    ...(s.hourPeaks ? { hourPeaks: s.hourPeaks } : {}),
  };
}
