import type { Beat, Notification } from '../model';
import { formatDuration, notification } from '../notification/notifications';

/** A clock is skewed when it is more than the threshold ahead or behind; exactly at it is fine. */
export function isSkewed(skewMs: number, thresholdMs: number): boolean {
  return Math.abs(skewMs) > thresholdMs;
}

function describe(skewMs: number): string {
  return `${formatDuration(Math.abs(skewMs))} ${skewMs >= 0 ? 'ahead' : 'behind'}`;
}

/**
 * A skew warning on transition only: this beat's skew against the previous beat's (from the
 * same write's old image, so no read). A host never seen before counts as unskewed. Liveness
 * never depends on this: it is judged on the receive time.
 */
export function skewTransition(previousSkewMs: number | undefined, beat: Beat, thresholdMs: number, wasSkewed?: boolean): Notification | undefined {
  const skewMs = beat.sentAt - beat.receivedAt;
  // The committed warning state, when the host has one; before it, the previous beat's skew.
  const was = wasSkewed ?? (previousSkewMs !== undefined && isSkewed(previousSkewMs, thresholdMs));
  const is = isSkewed(skewMs, thresholdMs);
  if (was === is) return undefined;
  const details = { skewMs: String(Math.round(skewMs)), thresholdMs: String(thresholdMs) };
  return is
    ? notification(beat.hostname, 'clock-skew', 'warning', beat.receivedAt,
      `${beat.hostname} clock is ${describe(skewMs)} (limit ${formatDuration(thresholdMs)}); fix NTP. Liveness is unaffected`, details)
    : notification(beat.hostname, 'clock-ok', 'info', beat.receivedAt,
      `${beat.hostname} clock is back in step (${describe(skewMs)})`, details);
}
