/** UTC days: how logs, notifications, counters and reports split time. Pure. */

/** UTC day of an epoch-millisecond time: "2026-11-25". */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Every UTC day from `since` to `until`, newest first. */
export function daysBetween(since: number, until: number): string[] {
  const days: string[] = [];
  const first = Date.UTC(new Date(since).getUTCFullYear(), new Date(since).getUTCMonth(), new Date(since).getUTCDate());
  for (let t = Date.UTC(new Date(until).getUTCFullYear(), new Date(until).getUTCMonth(), new Date(until).getUTCDate()); t >= first; t -= 86_400_000) {
    days.push(dayOf(t));
  }
  return days;
}
