import type { Host, Silence } from '../model';
import { historyAt, type History } from './history';
import { deadlineOf, isAliveAt, type LivenessRule } from './liveness';
import { silenceAt } from '../notification/silences';

/** A host as the API and the page show it: the stored item, plus what its age means now. */
export type HostView = Omit<Host, 'hourly'> & {
  /** Stored alive or new, but past its deadline: diagnose has not declared it dead yet. */
  overdue: boolean;
  /** Milliseconds since its last beat was received. */
  ageMs: number;
  deadline: number;
  /** The silence in force that covers it, if any: its alerts are recorded, not sent. */
  silencedBy?: string;
  /** Hourly peaks of the last 24 hours, from the ring in the item (no further read). */
  history: History;
};

/** What the view adds to the stored state at `now`; the fleet's counts (./counts.ts) are made of it too. */
export function hostFlags(h: Host, now: number, rule: LivenessRule, silences: readonly Silence[]): Pick<HostView, 'overdue' | 'silencedBy'> {
  const overdue = (h.state === 'alive' || h.state === 'new') && !isAliveAt(h, now, rule);
  const silence = silenceAt(h, silences, now);
  return { overdue, ...(silence ? { silencedBy: silence.id } : {}) };
}

export function hostView(h: Host, now: number, rule: LivenessRule, silences: readonly Silence[]): HostView {
  const { hourly, ...stored } = h;
  const { overdue, silencedBy } = hostFlags(h, now, rule, silences);
  return { ...stored, history: historyAt(hourly, now), overdue, ageMs: now - h.lastBeat, deadline: deadlineOf(h, rule), ...(silencedBy !== undefined ? { silencedBy } : {}) };
}
