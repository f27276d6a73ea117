import type { Beat, Notification } from '../../lib/domain/model';

/** A fixed moment, so that days and hours fall the same way on every run. */
export const T0 = Date.parse('2026-11-20T10:00:00Z');

export function beat(hostname: string, receivedAt: number, more: Partial<Beat> = {}): Beat {
  return { hostname, receivedAt, sentAt: receivedAt, interval: 60, labels: { rack: 'r1' }, goodbye: false, ...more };
}

export function notice(hostname: string, at: number, id = `${hostname}:${at}`, more: Partial<Notification> = {}): Notification {
  return { id, hostname, kind: 'host-down', severity: 'critical', at, message: `${hostname} down`, details: { why: 'silent' }, ...more };
}
