/** The header's counts, from the hosts a refresh fetched, and how often the page refreshes. */

/** What a count needs of a host view (GET /api/v1/hosts). */
export interface Counted {
  readonly state: string;
  readonly overdue: boolean;
  readonly silencedBy?: string;
}

export interface Counts {
  total: number;
  byState: Record<string, number>;
  overdue: number;
  silenced: number;
}

/**
 * Counted in the page from the list it already holds, not read from `GET /hosts/counts` (the last
 * diagnose pass's, up to a minute older): the header never disagrees with the list below it.
 */
export function countHosts(hosts: readonly Counted[]): Counts {
  const byState: Record<string, number> = { new: 0, alive: 0, dead: 0, left: 0, retired: 0 };
  let overdue = 0;
  let silenced = 0;
  for (const h of hosts) {
    byState[h.state] = (byState[h.state] ?? 0) + 1;
    if (h.overdue) overdue++;
    if (h.silencedBy !== undefined) silenced++;
  }
  return { total: hosts.length, byState, overdue, silenced };
}

/** Hosts a refresh reads per 10 s of wait, unless `?refresh=` fixes the period. */
const HOSTS_PER_10_S = 1000;

/**
 * The wait before the next refresh. Each refresh reads the whole hosts table (a Scan), so unless
 * `?refresh=N` (seconds, at least 1) fixes it, the wait grows with the fleet: 10 s per 1,000
 * hosts, so an open page reads about 12.5 read units a second whatever the fleet's size
 * (docs/CONSOLE.md).
 */
export function refreshPeriodMs(hosts: number, asked: string | null): number {
  if (asked !== null) return Math.max(1000, (Number(asked) || 10) * 1000);
  return 10_000 * Math.max(1, Math.ceil(hosts / HOSTS_PER_10_S));
}

/**
 * The label to group by when the operator has not chosen: the one on most hosts, if it is on at
 * least half of them (role first among equals); otherwise none, so that a fleet without labels is
 * not one group of "(none)".
 */
export function defaultGrouping(hosts: readonly { readonly labels: Readonly<Record<string, string>> }[]): string {
  const counts = new Map<string, number>();
  for (const h of hosts) for (const k of Object.keys(h.labels)) counts.set(k, (counts.get(k) ?? 0) + 1);
  const ranked = [...counts].filter(([, n]) => n * 2 >= hosts.length && n > 0)
    .sort(([a, x], [b, y]) => y - x || Number(b === 'role') - Number(a === 'role') || a.localeCompare(b));
  return ranked[0]?.[0] ?? '';
}
