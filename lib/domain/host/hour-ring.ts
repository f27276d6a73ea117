/**
 * The hourly ring in the host item: 24 top-level number attributes `h0` … `h23`, slot
 * `hour % 24`, each one number that packs the slot's hour and its three whole percents:
 *
 *     hour × 10^9 + cpu × 10^6 + mem × 10^3 + disk      (999: no reading of that resource)
 *
 * 15 digits, 9 bytes by DynamoDB's size rule, so the full ring is under 300 bytes. Top-level
 * attributes because a beat SETs its slot without knowing whether the item exists (a map path
 * needs its parent, and list indexes do not mix with if_not_exists). The hour travels with the
 * slot, so a reader ignores what the ring kept from more than 24 hours ago.
 */
import type { HourPeaks } from '../model';
import { METRICS } from '../model';
import { HISTORY_HOURS } from './history';

const NONE = 999;
const SLOT = /^h(\d{1,2})$/;

export const slotAttribute = (hour: number): string => `h${hour % HISTORY_HOURS}`;

export function encodeSlot(p: HourPeaks): number {
  const [cpu, mem, disk] = METRICS.map((r) => {
    const v = p[r];
    return v === undefined ? NONE : Math.min(100, Math.max(0, Math.round(v)));
  }) as [number, number, number];
  return p.hour * 1e9 + cpu * 1e6 + mem * 1e3 + disk;
}

export function decodeSlot(n: number): HourPeaks | undefined {
  if (!Number.isSafeInteger(n) || n < 0) return undefined;
  const hour = Math.floor(n / 1e9);
  const out: HourPeaks = { hour };
  const parts = [Math.floor(n / 1e6) % 1000, Math.floor(n / 1e3) % 1000, n % 1000];
  METRICS.forEach((r, i) => {
    const v = parts[i] as number;
    if (v <= 100) out[r] = v;
  });
  return out;
}

/** The slots stored in an item, each where the ring keeps it (a slot in the wrong attribute is dropped). */
export function slotsOf(item: Record<string, unknown>): HourPeaks[] {
  const out: HourPeaks[] = [];
  for (const [key, value] of Object.entries(item)) {
    const m = SLOT.exec(key);
    if (!m || value === undefined || value === null) continue;
    const slot = decodeSlot(Number(value));
    if (slot && slotAttribute(slot.hour) === key) out.push(slot);
  }
  return out.sort((a, b) => a.hour - b.hour);
}
