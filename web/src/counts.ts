/** The header's counts, from the hosts a refresh fetched. */

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
 * Counted in the page from the list it already holds: no second scan of the hosts table per
 * refresh (`GET /hosts/counts` is one), and the header never disagrees with the list below it.
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
