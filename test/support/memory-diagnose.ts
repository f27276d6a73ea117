import type { DiagnoseDeps } from '../../lib/app/diagnose/pass';
import { silentLog } from '../../lib/app/log';
import { loadConfig } from '../../lib/config';
import { MemoryAlerts, MemoryChecks, MemoryHeartbeatQueue, MemoryHosts, MemoryNotifications, MemorySilences, MemoryStats } from '../../tools/memory';

const config = loadConfig({});

/**
 * A diagnose on the in-memory adapters, with checks, on the clock `now`: no hosts, one scan
 * segment, no lag wait, silences and checks in memory; `extra` adds or replaces dependencies.
 */
export function memoryCheckDiagnose(now: () => number, extra: Partial<DiagnoseDeps> = {}) {
  const checks = new MemoryChecks();
  const alerts = new MemoryAlerts();
  const notifications = new MemoryNotifications();
  const silences = new MemorySilences();
  const stats = new MemoryStats();
  const d: DiagnoseDeps = {
    hosts: new MemoryHosts(), stats, delivery: { notifications, alerts, now }, queue: new MemoryHeartbeatQueue(now), lagWaitMs: 0, rule: config.liveness,
    scanSegments: 1, log: silentLog, silences, checks, ...extra,
  };
  return { d, checks, alerts, notifications, silences, stats };
}
