import type { HostState } from '../../domain/model';
import type { DiagnoseSummary } from './pass';

/** A fleet metric of one diagnose pass, as CloudWatch takes it. */
export interface PassMetric {
  readonly name: string;
  readonly unit: 'Count' | 'Seconds' | 'Milliseconds';
  readonly value: number;
}

const STATES: readonly HostState[] = ['new', 'alive', 'dead', 'left', 'retired'];

/**
 * What each pass reports about the fleet and about itself (docs/SEMANTICS.md, "Watching the
 * watcher"): hosts by state, transitions, the notifications it could not deliver yet and how
 * old the oldest is, and how long it took. Nine custom metrics, counted in `npm run cost`.
 */
export function passMetrics(s: DiagnoseSummary, durationMs: number): PassMetric[] {
  const transitions = Object.values(s.transitions).reduce((a, b) => a + (b ?? 0), 0);
  const oldest = s.outbox.oldestQueuedAt === undefined ? 0 : Math.max(0, (s.at - s.outbox.oldestQueuedAt) / 1000);
  return [
    ...STATES.map((state) => ({ name: `Hosts${state[0]?.toUpperCase()}${state.slice(1)}`, unit: 'Count' as const, value: s.hostsByState[state] ?? 0 })),
    { name: 'Transitions', unit: 'Count', value: transitions },
    { name: 'UnpublishedNotifications', unit: 'Count', value: s.outbox.unpublished },
    { name: 'OldestUnpublishedSeconds', unit: 'Seconds', value: Math.round(oldest) },
    { name: 'PassDuration', unit: 'Milliseconds', value: Math.round(durationMs) },
  ];
}

/** How many custom metrics a pass publishes: what the cost model counts. */
export const PASS_METRIC_COUNT = STATES.length + 4;
