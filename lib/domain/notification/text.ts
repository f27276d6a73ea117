import type { Notification, NotificationKind } from '../model';
import { stormGroup } from '../fleet/storm';

/**
 * The words of a notification as a person reads them: its subject line, its body and the next
 * step, shared by the alerts topic and every channel's rendering.
 */

/** SNS subjects are at most 100 printable ASCII characters. */
export function subjectOf(n: Notification): string {
  const subject = `[dts ${n.severity}] ${n.message}`.replace(/[^\x20-\x7e]/g, '?');
  return subject.length <= 100 ? subject : `${subject.slice(0, 97)}...`;
}

/** What a person reading the alert can do next, by kind. */
const NEXT_STEP: Partial<Record<NotificationKind, (n: Notification) => string>> = {
  'host-down': (n) => `Check the host: dts host ${n.hostname}. For planned work: dts silence ${n.hostname} --for 2h --reason "..."`,
  'host-still-down': (n) => `The maintenance window is over and the host has not come back: dts host ${n.hostname}`,
  'host-flapping': (n) => `Its ups and downs are held back until it settles. See: dts notifications --host ${n.hostname}`,
  'host-stable': (n) => `See its recent history: dts notifications --host ${n.hostname}`,
  'fleet-storm': (n) => (stormGroup(n.details.scope ?? 'fleet').members === 'checks'
    ? 'Look for the shared cause (the machine or scheduler that runs these jobs) before the jobs: dts checks'
    : 'Look for the shared cause (network, power, a deploy) before the hosts: dts hosts --state dead'),
  'resource-critical': (n) => `See the host's figures: dts host ${n.hostname}`,
  'resource-warning': (n) => `See the host's figures: dts host ${n.hostname}`,
  'clock-skew': () => 'Check NTP/chrony on the host. Liveness is judged on the receive time, so no alert is wrong because of this.',
  'log-alert': (n) => `See the records: dts logs --app ${n.details.app ?? '...'}. To hold its alerts back: dts silence rule:${n.details.rule ?? '...'} --for 2h --reason "..."`,
  'monitor-degraded': () => 'No host is declared dead until the monitor catches up. Check the heartbeats queue and the ingest function.',
};

/** The next step for a notification of this kind, if there is one. */
export function nextStep(n: Notification): string | undefined {
  return NEXT_STEP[n.kind]?.(n);
}

export function bodyOf(n: Notification): string {
  const labels = Object.entries(n.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
  const next = nextStep(n);
  // Wide enough for the longest key, with a space after its colon (`limitSeconds: 15`).
  const width = Math.max(10, ...Object.keys(n.details).map((k) => k.length + 2));
  const lines = [
    n.message,
    '',
    `${'host:'.padEnd(width)}${n.hostname}`,
    `${'kind:'.padEnd(width)}${n.kind}`,
    `${'severity:'.padEnd(width)}${n.severity}`,
    `${'at:'.padEnd(width)}${new Date(n.at).toISOString()}`,
    ...(labels ? [`${'labels:'.padEnd(width)}${labels}`] : []),
    ...(n.incident ? [`${'incident:'.padEnd(width)}${n.incident}`] : []),
    ...Object.entries(n.details).map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`),
    ...(next ? ['', next] : []),
    '',
    `id: ${n.id}`,
  ];
  return lines.join('\n');
}
