import type { Host, HostState, Silence } from '../model';
import type { LivenessRule } from './liveness';
import { hostFlags } from './view';

/**
 * The fleet's counts as `GET /api/v1/hosts/counts` answers them: hosts by stored state, those
 * stored alive or new but past their deadline (overdue), and those a silence in force covers,
 * each judged as the host view judges it at `at`.
 */
export interface HostCounts {
  readonly total: number;
  readonly byState: Readonly<Record<HostState, number>>;
  readonly overdue: number;
  readonly silenced: number;
  /** The time the hosts were judged at (a diagnose pass's); 0 when no pass has counted them. */
  readonly at: number;
}

/** Every state a host can be in, in the order the counts list them. */
export const HOST_STATES: readonly HostState[] = ['new', 'alive', 'dead', 'left', 'retired'];

/** A tally being filled as a scan reads hosts. */
export interface HostTally {
  total: number;
  byState: Record<HostState, number>;
  overdue: number;
  silenced: number;
}

export function emptyTally(): HostTally {
  return { total: 0, byState: Object.fromEntries(HOST_STATES.map((s) => [s, 0])) as Record<HostState, number>, overdue: 0, silenced: 0 };
}

/** Counts one host as the host view sees it at `now`. */
export function tallyHost(t: HostTally, h: Host, now: number, rule: LivenessRule, silences: readonly Silence[]): void {
  const { overdue, silencedBy } = hostFlags(h, now, rule, silences);
  t.total++;
  t.byState[h.state] = (t.byState[h.state] ?? 0) + 1;
  if (overdue) t.overdue++;
  if (silencedBy !== undefined) t.silenced++;
}

/** Two tallies of disjoint hosts (a fanned-out pass's segments) as one. */
export function sumTallies(a: HostTally, b: Readonly<HostTally>): HostTally {
  const byState = { ...a.byState };
  for (const s of HOST_STATES) byState[s] = (byState[s] ?? 0) + (b.byState[s] ?? 0);
  return { total: a.total + b.total, byState, overdue: a.overdue + b.overdue, silenced: a.silenced + b.silenced };
}

/** What the API answers before any pass has counted: nothing, at time 0 (docs/API.md). */
export const NO_COUNTS: HostCounts = { ...emptyTally(), at: 0 };
